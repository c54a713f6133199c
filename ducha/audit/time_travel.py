"""Time travel (回溯): the node's views as they stood at a position or a moment, replayed from its events.

The node's history (the event store's notification log) is read a page at a time, from the
first event up to a **cut**, and folded by every projection of `ducha.bootstrap.PROJECTIONS`
into a fresh view store: a SQLite file in a temporary directory, removed afterwards. Memory
holds one page of envelopes, never the history; the temporary file holds the views.

The cut is a prefix of the history, so the views shown are views the node really had:

* `position=N` — every event up to and including position N;
* `at=T` — every event **recorded** (`recorded_at`, stamped by the node's clock when the act was
  committed) at or before T. The writer commits acts one after another and stamps each with the
  clock as it commits, so recorded times rise with positions; the replay stops at the first
  event recorded after T.

Act-date semantics (the `on` day an act says it happened, which may be earlier than when it
was recorded) are deliberately not offered: the events with an act date up to D are not a
prefix of the history, and folding them would show a board the node never had at any moment.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from pathlib import Path
from typing import Any
from uuid import UUID

from domain.envelope import Envelope
from ducha.store import EventReader
from projections.base import apply_batch, digest
from projections.case_board import Audience, get_case, list_cases
from projections.store import Projection, ViewStore

PAGE = 1000
BOARD_PAGE = 200


@dataclass(frozen=True)
class Cut:
    """Where the replay stops: at a position, or after the last event recorded at or before a moment."""

    position: int | None = None
    at: datetime | None = None

    def __post_init__(self) -> None:
        if (self.position is None) == (self.at is None):
            raise ValueError("give exactly one of a position or a moment")
        if self.at is not None and self.at.tzinfo is None:
            raise ValueError("the moment must carry its time zone (e.g. 2026-11-25T10:00:00+08:00)")

    def includes(self, envelope: Envelope) -> bool:
        if self.position is not None:
            return envelope.position <= self.position
        assert self.at is not None
        return envelope.recorded_at <= self.at


@dataclass
class Snapshot:
    """The views replayed up to a cut: `position` and `recorded_at` are the last event's folded in (0/None: none)."""

    cut: Cut
    views: ViewStore
    projections: dict[str, Projection]
    directory: Path
    position: int = 0
    recorded_at: datetime | None = None
    events: int = 0

    def digests(self) -> dict[str, str]:
        """The digest of every view at the cut (projections.base.digest, as `ducha projections digest`)."""
        return {name: digest(self.views, projection) for name, projection in sorted(self.projections.items())}

    def cases(
        self, unit: str | None = None, *, limit: int | None = None, offset: int = 0, audience: Audience | None = None,
    ) -> tuple[list[dict[str, Any]], int]:
        """The case board at the cut (a unit's cases only, with the board's own filter), and how many match; the
        cases `audience` could see at the cut only, when one is given (None: the whole board, for the node's own
        tools)."""
        if limit is not None:
            return list_cases(self.views, unit=unit, limit=limit, offset=offset, audience=audience)
        rows, total = list_cases(self.views, unit=unit, limit=BOARD_PAGE, offset=offset, audience=audience)
        while len(rows) < total - offset:
            more, _ = list_cases(self.views, unit=unit, limit=BOARD_PAGE, offset=offset + len(rows), audience=audience)
            if not more:
                break
            rows.extend(more)
        return rows, total

    def case(self, case_id: UUID, audience: Audience | None = None) -> dict[str, Any] | None:
        """One case as the board showed it at the cut, or None when it did not exist yet (or `audience` could
        not see it then)."""
        return get_case(self.views, case_id, audience)

    def head(self) -> dict[str, Any]:
        """What every answer starts with: the cut asked for and where the replay stopped."""
        moment = self.cut.at or self.recorded_at  # asked by position: the moment of its last event
        return {
            "position": self.position,
            "at": moment.isoformat() if moment else None,
            "last_recorded_at": self.recorded_at.isoformat() if self.recorded_at else None,
            "events": self.events,
        }


def _projections() -> dict[str, Projection]:
    from ducha.bootstrap import PROJECTIONS  # the composition root imports the audit package: import late

    return {name: factory() for name, factory in PROJECTIONS.items()}


def _until(envelopes: Iterator[Envelope], cut: Cut) -> Iterator[Envelope]:
    for envelope in envelopes:
        if not cut.includes(envelope):
            return  # a prefix: nothing after the first event past the cut
        yield envelope


@contextlib.contextmanager
def replayed(reader: EventReader, cut: Cut, *, page: int = PAGE) -> Iterator[Snapshot]:
    """Replays the node's history up to `cut` into temporary views; they are removed when the block ends."""
    with tempfile.TemporaryDirectory(prefix="ducha-as-of-") as directory:
        views = ViewStore.open(None, Path(directory))
        try:
            snapshot = Snapshot(cut, views, _projections(), Path(directory))
            for projection in snapshot.projections.values():
                views.install(projection)
            _fold(reader, snapshot, page)
            yield snapshot
        finally:
            views.close()


def _fold(reader: EventReader, snapshot: Snapshot, page: int) -> None:
    # Stop reading pages at the cut's position instead of reading the rest of the history.
    after_last = snapshot.cut.position
    envelopes = _until(reader.iter_envelopes(batch=page), snapshot.cut)
    while chunk := list(islice(envelopes, page)):
        for projection in snapshot.projections.values():
            apply_batch(snapshot.views, projection, chunk)
        snapshot.position = chunk[-1].position
        snapshot.recorded_at = chunk[-1].recorded_at
        snapshot.events += len(chunk)
        if after_last is not None and snapshot.position >= after_last:
            break


def as_of(reader: EventReader, cut: Cut, *, unit: str | None = None, limit: int | None = None,
          offset: int = 0, audience: Audience | None = None) -> dict[str, Any]:
    """The whole node (or a unit's cases) at the cut: position, moment, every view's digest and the case board
    (the cases `audience` could see at the cut, when one is given)."""
    with replayed(reader, cut) as snapshot:
        cases, total = snapshot.cases(unit, limit=limit, offset=offset, audience=audience)
        return snapshot.head() | {"unit": unit, "digests": snapshot.digests(), "total": total, "cases": cases}


def case_as_of(reader: EventReader, cut: Cut, case_id: UUID, audience: Audience | None = None) -> dict[str, Any]:
    """One case at the cut (`case` is None when it did not exist yet, or `audience` could not see it then), with
    the position and moment."""
    with replayed(reader, cut) as snapshot:
        return snapshot.head() | {"case": snapshot.case(case_id, audience)}
