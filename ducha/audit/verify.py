"""`verify` of the store: recompute chain and Merkle tree from the stored events, page by page.

Three things are walked together in position order: the stored events, the audit index
(one entry per event, sealed by the signed checkpoints) and the checkpoints. The store's
recomputed chain and root must match every checkpoint; the index names the first position
where the store departs from what was sealed, and its digests tell the kind of fault.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from ducha.audit import canonical
from ducha.audit.checkpoints import Checkpoint, LeafRow
from ducha.audit.merkle import Frontier
from ducha.audit.report import FaultKind, VerifyReport

if TYPE_CHECKING:
    from ducha.audit.chain import Auditor, Digest


class Recomputed:
    """A chain and a Merkle tree recomputed leaf by leaf, in O(log n) memory."""

    def __init__(self) -> None:
        self.chain = canonical.GENESIS
        self.frontier = Frontier()

    def add(self, leaf: bytes) -> None:
        self.chain = canonical.chain_next(self.chain, leaf)
        self.frontier.append(leaf)

    def why_not(self, checkpoint: Checkpoint) -> str | None:
        if self.frontier.size != checkpoint.size:
            return f"it covers {checkpoint.size} events, {self.frontier.size} are there"
        if self.chain != checkpoint.chain_head:
            return "the chain head differs"
        if self.frontier.root() != checkpoint.merkle_root:
            return "the Merkle root differs"
        return None


def verify_store(auditor: Auditor) -> VerifyReport:
    """Recomputes the chain from the store; names the first bad position and the failing checkpoints."""
    from ducha.audit.chain import digest_of, iter_notifications

    report = VerifyReport(source=f"store of node {auditor.node}")
    public = auditor.key.public_raw
    store, index = Recomputed(), Recomputed()
    checkpoints = _Peek(auditor.store.iter_checkpoints(auditor.node))
    last_sealed = (auditor.store.last_leaf() or LeafRow(-1, 0, b"", b"", b"", b"")).position
    stored = (digest_of(auditor.node, n) for n in iter_notifications(auditor.reader))
    for position, event, entry in _merge(stored, _index_rows(auditor)):
        _check_checkpoints(report, checkpoints, position, store, index, public, until=position - 1)
        if event is not None:
            store.add(event.leaf)
            report.events += 1
        if entry is not None:
            index.add(entry.leaf)
        if event is None and entry is not None:
            report.fault(position, FaultKind.REMOVED, "a sealed event is missing")
        elif entry is None and event is not None:
            if position <= last_sealed:
                report.fault(position, FaultKind.INSERTED, "an event the index never sealed")
            else:
                report.unsealed += 1
        elif event.leaf != entry.leaf:
            report.fault(position, *_classify(auditor, event, entry))
    _check_checkpoints(report, checkpoints, None, store, index, public, until=None)
    return report


def _check_checkpoints(
    report: VerifyReport, checkpoints: _Peek, position: int | None, store: Recomputed, index: Recomputed,
    public: bytes, until: int | None,
) -> None:
    """Checks every checkpoint at or before `until` (None: all that are left)."""
    while (checkpoint := checkpoints.peek()) is not None and (until is None or checkpoint.position <= until):
        next(checkpoints)
        if not checkpoint.signed_by(public):
            report.bad_checkpoint(checkpoint.position, "its signature is not the node's")
        elif (why := store.why_not(checkpoint)) is not None:
            report.bad_checkpoint(checkpoint.position, why)
        if index.why_not(checkpoint) is not None:
            report.notes.append(f"the audit index disagrees with checkpoint {checkpoint.position}: it was altered")


def _classify(auditor: Auditor, event: Digest, entry: LeafRow) -> tuple[FaultKind, str]:
    """Tells a moved event from an altered one, and a shift by a removal or an insertion."""
    from ducha.audit.chain import digest_of

    def stored_at(position: int) -> Digest | None:
        found = auditor.reader.notifications(position - 1, 1)
        return digest_of(auditor.node, found[0]) if found and found[0].id == position else None

    for column, value in (("content", event.content), ("state", event.state)):
        for q in auditor.store.positions_with(column, value):
            if q == event.position:
                continue
            there = stored_at(q)
            if there is not None and getattr(there, column) == getattr(entry, column):
                return FaultKind.REORDERED, f"exchanged with position {q}"
            if column == "content" and q > event.position:
                return FaultKind.REMOVED, f"the event sealed here is gone; position {q}'s event moved up"
    following = auditor.reader.notifications(event.position, 1)
    if following and digest_of(auditor.node, following[0]).content == entry.content:
        return FaultKind.INSERTED, f"a foreign event pushed the sealed one to {following[0].id}"
    return FaultKind.ALTERED, "the stored event differs from the sealed one"


def _index_rows(auditor: Auditor) -> Iterator[LeafRow]:
    after = -1
    while page := auditor.store.leaves(after, 1000):
        yield from page
        after = page[-1].position


def _merge(stored: Iterator[Digest], sealed: Iterator[LeafRow]) -> Iterator[tuple[int, Digest | None, LeafRow | None]]:
    """The union of both sequences by position, each position once."""
    a, b = _Peek(stored), _Peek(sealed)
    while a.peek() is not None or b.peek() is not None:
        pa = a.peek().position if a.peek() is not None else None
        pb = b.peek().position if b.peek() is not None else None
        position = min(p for p in (pa, pb) if p is not None)
        yield position, next(a) if pa == position else None, next(b) if pb == position else None


class _Peek:
    """An iterator one may look one step ahead in."""

    def __init__(self, items: Iterator) -> None:
        self.items = iter(items)
        self.head = next(self.items, None)

    def peek(self):
        return self.head

    def __next__(self):
        head, self.head = self.head, next(self.items, None)
        return head

    def __iter__(self):
        return self

