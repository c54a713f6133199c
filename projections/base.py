"""What every projection shares: tracking, dead letters, batches, digest and rebuild.

A projection's view changes and its tracking position (per source node) are committed in
one transaction, so an envelope at or below the tracked position is skipped: exactly-once
effect on top of at-least-once delivery. Each envelope is applied inside a savepoint, so
one that fails (a poison envelope) undoes only itself.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice

from domain.envelope import Envelope
from projections.store import Projection, Tx, ViewStore

REBUILD_BATCH = 1000


class Tracking:
    """The positions a projection has applied, per source node, inside one transaction.

    Read from the table, or handed in by a caller that keeps them in memory between its
    transactions (the projector, the only writer of its projections' rows while it runs):
    it gets a copy, so a transaction rolled back leaves the caller's positions as they were.
    Only the rows that changed are written.
    """

    def __init__(self, tx: Tx, projection: str, positions: Mapping[str, int] | None = None) -> None:
        self.tx = tx
        self.projection = projection
        self.positions = dict(positions) if positions is not None else load_tracking(tx, projection)
        self._changed: set[str] = set()

    def seen(self, envelope: Envelope) -> bool:
        """True when the envelope was applied already (a redelivery or a duplicate)."""
        return envelope.position <= self.positions.get(envelope.node, 0)

    def advance(self, envelope: Envelope) -> None:
        self.positions[envelope.node] = envelope.position
        self._changed.add(envelope.node)

    def save(self) -> None:
        self.tx.executemany(
            "INSERT INTO projection_tracking (projection, node, position) VALUES (?, ?, ?) "
            "ON CONFLICT (projection, node) DO UPDATE SET position = excluded.position",
            [(self.projection, node, self.positions[node]) for node in sorted(self._changed)],
        )


def load_tracking(tx: Tx, projection: str) -> dict[str, int]:
    """The positions a projection has applied, per source node, as committed."""
    rows = tx.query("SELECT node, position FROM projection_tracking WHERE projection = ?", (projection,))
    return {row["node"]: int(row["position"]) for row in rows}


class Poisoned(Exception):
    """An envelope failed in a batch applied without savepoints: apply the batch again with them."""


def apply_one(tx: Tx, projection: Projection, envelope: Envelope, *, guarded: bool = True) -> Exception | None:
    """Applies one envelope inside a savepoint; answers the error that undid it, if any.

    Unguarded (no savepoint, two statements fewer), a failure raises `Poisoned` instead:
    the caller rolls the whole batch back and applies it again guarded.
    """
    if not guarded:
        try:
            projection.apply(tx, envelope)
        except Exception as error:
            raise Poisoned(describe(error)) from error
        return None
    try:
        with tx.savepoint():
            projection.apply(tx, envelope)
    except Exception as error:  # a poison envelope is reported, never allowed to abort the batch
        return error
    return None


def record_dead_letter(
    tx: Tx, projection: str, message: str, error: str, *, node: str | None = None,
    position: int | None = None, subject: str | None = None,
) -> None:
    """Keeps a message the projection could not apply, with why and when (wall time: not part of any digest)."""
    tx.execute(
        "INSERT INTO dead_letters (projection, node, position, subject, message, error, at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (projection, node, position, subject, message, error, datetime.now(UTC).isoformat()),
    )


def describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


@dataclass
class BatchResult:
    """What a batch did: envelopes applied, skipped as already seen, and dead-lettered."""

    applied: int = 0
    skipped: int = 0
    dead: list[Envelope] = field(default_factory=list)


def apply_batch(views: ViewStore, projection: Projection, envelopes: Iterable[Envelope]) -> BatchResult:
    """Applies envelopes and the tracking in ONE transaction; a poison envelope is dead-lettered at once.

    Tried first without savepoints; when an envelope fails, the batch is applied again with one per envelope.
    """
    envelopes = list(envelopes)
    try:
        return _apply_batch(views, projection, envelopes, guarded=False)
    except Poisoned:
        return _apply_batch(views, projection, envelopes, guarded=True)


def _apply_batch(views: ViewStore, projection: Projection, envelopes: list[Envelope], *, guarded: bool) -> BatchResult:
    result = BatchResult()
    with views.transaction() as tx:
        tracking = Tracking(tx, projection.name)
        for envelope in envelopes:
            if tracking.seen(envelope):
                result.skipped += 1
                continue
            error = apply_one(tx, projection, envelope, guarded=guarded)
            if error is None:
                result.applied += 1
            else:
                dead_letter_envelope(tx, projection.name, envelope, error)
                result.dead.append(envelope)
            tracking.advance(envelope)
        tracking.save()
    return result


def dead_letter_envelope(tx: Tx, projection: str, envelope: Envelope, error: BaseException) -> None:
    record_dead_letter(
        tx, projection, envelope.model_dump_json(), describe(error),
        node=envelope.node, position=envelope.position, subject=envelope.subject,
    )


def digest(views: ViewStore, projection: Projection) -> str:
    """sha256 of the view's canonical content (rows sorted, canonical JSON); tracking is left out."""
    with views.transaction() as tx:
        tables = projection.canonical_rows(tx)
    canonical = {
        table: sorted(json.dumps(row, sort_keys=True, ensure_ascii=False, separators=(",", ":")) for row in rows)
        for table, rows in tables.items()
    }
    text = json.dumps(canonical, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def rebuild(
    views: ViewStore, projection: Projection, envelopes: Iterable[Envelope],
    progress: Callable[[int], None] | None = None, *, batch: int = REBUILD_BATCH,
) -> int:
    """Empties the view and folds the envelopes again, `batch` per transaction; answers how many were read."""
    with views.transaction() as tx:
        projection.reset(tx)
        tx.execute("DELETE FROM projection_tracking WHERE projection = ?", (projection.name,))
        tx.execute("DELETE FROM dead_letters WHERE projection = ?", (projection.name,))
    total = 0
    iterator = iter(envelopes)
    while chunk := list(islice(iterator, batch)):
        apply_batch(views, projection, chunk)
        total += len(chunk)
        if progress is not None:
            progress(len(chunk))
    return total
