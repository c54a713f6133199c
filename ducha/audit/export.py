"""`audit export`: the node's events (all, a unit's, or a period's) with what proves them, for offline checking.

The directory holds (docs/audit.md has the formats): `manifest.json`, `public_key.b64`,
`checkpoints.jsonl`, `consistency.jsonl`, `events.jsonl` and, for a selection,
`proofs.jsonl`. Everything is written as it is read, one page at a time.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from itertools import takewhile
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO
from uuid import UUID

from eventsourcing.persistence import Notification

from ducha.audit.checkpoints import Checkpoint, LeafRow
from ducha.audit.merkle import consistency_proof, inclusion_proof

if TYPE_CHECKING:
    from ducha.audit.chain import Auditor

FORMAT = "ducha-audit-export/1"


def export(auditor: Auditor, directory: Path, unit: str | None = None, since: date | None = None,
           until: date | None = None) -> dict[str, Any]:
    """Seals the present head, then writes the export; answers its manifest."""
    final = auditor.checkpoint()
    directory.mkdir(parents=True, exist_ok=True)
    complete = unit is None and since is None and until is None
    (directory / "public_key.b64").write_text(base64.b64encode(auditor.key.public_raw).decode() + "\n")
    _write_checkpoints(auditor, directory, final)
    selector = _Selector(unit, since, until)
    with open(directory / "events.jsonl", "w") as events, open(directory / "proofs.jsonl", "w") as proofs:
        count = _write_events(auditor, final, events, None if complete else proofs, selector)
    if complete:
        (directory / "proofs.jsonl").unlink()
    manifest = {
        "format": FORMAT,
        "node": auditor.node,
        "complete": complete,
        "selection": {"unit": unit, "since": _iso(since), "until": _iso(until)},
        "checkpoint": final.as_json(),
        "events": count,
    }
    (directory / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    return manifest


def _write_checkpoints(auditor: Auditor, directory: Path, final: Checkpoint) -> None:
    """Every checkpoint up to the final one, and a consistency proof from each to the final one."""
    with open(directory / "checkpoints.jsonl", "w") as out, open(directory / "consistency.jsonl", "w") as proofs:
        for checkpoint in auditor.store.iter_checkpoints(auditor.node):
            if checkpoint.position > final.position:
                break
            out.write(json.dumps(checkpoint.as_json()) + "\n")
            if 0 < checkpoint.size < final.size:
                proof = consistency_proof(checkpoint.size, final.size, auditor.subtree)
                line = {"from_size": checkpoint.size, "to_size": final.size, "proof": [p.hex() for p in proof]}
                proofs.write(json.dumps(line) + "\n")


def _write_events(auditor: Auditor, final: Checkpoint, events: TextIO, proofs: TextIO | None,
                  selector: _Selector) -> int:
    from ducha.audit.chain import iter_notifications
    from ducha.audit.verify import _index_rows, _merge

    count = index = 0
    stored = _Positioned(takewhile(lambda n: n.id <= final.position, iter_notifications(auditor.reader)))
    for _, notification, sealed in _merge(stored, _index_rows(auditor)):
        if notification is None:
            continue  # the store lost it: the gap in "index" shows it
        if proofs is None or selector.takes(auditor, notification.item):
            events.write(json.dumps(_event_line(index, notification.item, sealed), ensure_ascii=False) + "\n")
            if proofs is not None:
                path = inclusion_proof(index, final.size, auditor.subtree) if index < final.size else []
                line = {"index": index, "position": notification.position, "proof": [p.hex() for p in path]}
                proofs.write(json.dumps(line) + "\n")
            count += 1
        index += 1
    return count


def _event_line(index: int, n: Notification, sealed: LeafRow | None) -> dict[str, Any]:
    from ducha.audit.chain import _raw

    state = _raw(n.state)
    line: dict[str, Any] = {
        "index": index,
        "position": n.id,
        "aggregate_id": str(UUID(str(n.originator_id))),
        "aggregate_version": n.originator_version,
        "topic": n.topic,
    }
    try:
        line["state"] = state.decode()
    except UnicodeDecodeError:
        line["state_b64"] = base64.b64encode(state).decode()
    line["sealed_chain"] = sealed.chain.hex() if sealed is not None else None
    return line


class _Positioned:
    """Notifications with a `.position`, for merging with the index."""

    def __init__(self, notifications: Iterator[Notification]) -> None:
        self.notifications = notifications

    def __iter__(self) -> Iterator[Any]:
        for n in self.notifications:
            yield _Item(n)


class _Item:
    def __init__(self, item: Notification) -> None:
        self.item, self.position = item, item.id


class _Selector:
    """Which events an export of a unit or a period takes.

    A unit takes every event that names the unit (as actor, sponsor, target or any other
    field) and every later event of an aggregate it took. A period compares the day the
    event was recorded (UTC), both ends included.
    """

    def __init__(self, unit: str | None, since: date | None, until: date | None) -> None:
        self.unit, self.since, self.until = unit, since, until
        self.aggregates: set[UUID] = set()

    def takes(self, auditor: Auditor, notification: Notification) -> bool:
        try:
            envelope = auditor.reader.to_envelope(notification)
        except Exception:  # an event that no longer decodes is shown, so the verifier names it
            return True
        day = envelope.recorded_at.date()
        if (self.since and day < self.since) or (self.until and day > self.until):
            return False
        if self.unit is None:
            return True
        if envelope.aggregate_id in self.aggregates or _names(self.unit, [envelope.actor, envelope.payload]):
            self.aggregates.add(envelope.aggregate_id)
            return True
        return False


def _names(unit: str, value: Any) -> bool:
    if isinstance(value, str):
        return value == unit
    if isinstance(value, dict):
        return any(_names(unit, v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_names(unit, v) for v in value)
    return False


def _iso(day: date | datetime | None) -> str | None:
    return day.isoformat() if day is not None else None
