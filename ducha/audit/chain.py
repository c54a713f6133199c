"""The auditor: hashes the node's history into its index and signs checkpoints (审计检查点).

`checkpoint()` brings the index up to the store's present head, page by page, and signs
(position, size, chain head, Merkle root, time) with the node's key. The node calls it
every N events and at shutdown; it is synchronous, like the event store.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Notification

from ducha.audit import canonical
from ducha.audit.checkpoints import AuditStore, Checkpoint, LeafRow
from ducha.audit.merkle import Frontier, node_hash, split
from ducha.clock import Clock, SystemClock
from ducha.keys import NodeKey
from ducha.store import EventReader

PAGE = 1000


@dataclass(frozen=True)
class Digest:
    """What the audit computes from one stored event."""

    position: int
    leaf: bytes
    content: bytes
    state: bytes


def digest_of(node: str, notification: Notification) -> Digest:
    found = notification.originator_id  # a UUID from eventsourcing's recorders; anything else is read as one
    aggregate_id = found if isinstance(found, UUID) else UUID(str(found))
    version, topic, state = notification.originator_version, notification.topic, _raw(notification.state)
    encoded = canonical.encode_event(node, notification.id, aggregate_id, version, topic, state)
    return Digest(
        position=notification.id,
        leaf=canonical.leaf_hash(encoded),
        content=canonical.content_digest(aggregate_id, version, topic, state),
        state=canonical.state_digest(state),
    )


def _raw(state: bytes | str) -> bytes:
    """The state's bytes; SQLite hands back text when someone stored the state as text."""
    return state.encode() if isinstance(state, str) else bytes(state)


def iter_notifications(reader: EventReader, after: int = 0, page: int = PAGE) -> Iterator[Notification]:
    """The stored events in position order, one page in memory at a time."""
    while batch := reader.notifications(after, page):
        yield from batch
        after = batch[-1].id


def utc_text(clock: Clock) -> str:
    return clock.now().astimezone(UTC).isoformat(timespec="microseconds")


class Auditor:
    """Chains, indexes, checkpoints, verifies and exports one node's history."""

    def __init__(self, reader: EventReader, key: NodeKey, store: AuditStore, clock: Clock | None = None) -> None:
        self.reader = reader
        self.key = key
        self.store = store
        self.clock = clock or SystemClock()
        self.node = reader.node

    def checkpoint(self) -> Checkpoint:
        """Indexes the events not yet indexed and signs the present head (or returns the latest
        checkpoint when nothing new was recorded since)."""
        with self.store.lock:
            last = self.store.last_leaf()
            frontier = self.resume_frontier(last.idx + 1 if last else 0)
            chain = last.chain if last else canonical.GENESIS
            position = last.position if last else 0
            for page in _pages(iter_notifications(self.reader, position)):
                chain, position = self._index_page(page, frontier, chain)
            latest = self.store.latest_checkpoint(self.node)
            if latest is not None and latest.size == frontier.size:
                return latest
            return self._sign(position, frontier.size, chain, frontier.root())

    def _index_page(self, page: list[Notification], frontier: Frontier, chain: bytes) -> tuple[bytes, int]:
        nodes: list[tuple[int, int, bytes]] = []
        frontier.on_node = lambda level, index, digest: nodes.append((level, index, digest))
        rows = []
        for notification in page:
            digest = digest_of(self.node, notification)
            chain = canonical.chain_next(chain, digest.leaf)
            rows.append(LeafRow(frontier.size, digest.position, digest.leaf, chain, digest.content, digest.state))
            frontier.append(digest.leaf)
        with self.store.transaction() as cursor:
            self.store.add_leaves(cursor, rows)
            self.store.add_nodes(cursor, nodes)
        return chain, rows[-1].position

    def _sign(self, position: int, size: int, chain: bytes, root: bytes) -> Checkpoint:
        time = utc_text(self.clock)
        message = canonical.checkpoint_message(self.node, position, size, chain, root, time)
        checkpoint = Checkpoint(self.node, position, size, chain, root, time, self.key.sign(message))
        with self.store.transaction() as cursor:
            self.store.add_checkpoint(cursor, checkpoint)
        return checkpoint

    def resume_frontier(self, size: int) -> Frontier:
        """The frontier of the first `size` indexed leaves, read back from the index."""
        roots, offset = [], 0
        for level in Frontier.levels(size):
            roots.append(self.store.perfect_node(level, offset >> level))
            offset += 1 << level
        return Frontier(size, roots)

    def subtree(self, lo: int, hi: int) -> bytes:
        """MTH(D[lo:hi]) for a subtree of the RFC 9162 tree, from the index's perfect nodes."""
        width = hi - lo
        if width & (width - 1) == 0 and lo % width == 0:
            return self.store.perfect_node(width.bit_length() - 1, lo // width)
        k = split(width)
        return node_hash(self.subtree(lo, lo + k), self.subtree(lo + k, hi))

    # ---- verification and export (in their own modules) -------------------------------

    def verify_store(self) -> Any:
        from ducha.audit.verify import verify_store

        return verify_store(self)

    async def verify_stream(self, js: Any, stream: str | None = None) -> Any:
        from ducha.audit.stream import verify_stream

        return await verify_stream(self, js, stream)

    @staticmethod
    def verify_export(directory: Path) -> Any:
        from ducha.audit.offline import verify_export

        return verify_export(directory)

    @staticmethod
    def prove_consistency(old_directory: Path, new_directory: Path) -> Any:
        from ducha.audit.offline import prove_consistency

        return prove_consistency(old_directory, new_directory)

    def export(self, directory: Path, unit: str | None = None, since: Any = None, until: Any = None) -> Any:
        from ducha.audit.export import export

        return export(self, directory, unit=unit, since=since, until=until)


def _pages(notifications: Iterator[Notification], size: int = PAGE) -> Iterator[list[Notification]]:
    page: list[Notification] = []
    for notification in notifications:
        page.append(notification)
        if len(page) == size:
            yield page
            page = []
    if page:
        yield page
