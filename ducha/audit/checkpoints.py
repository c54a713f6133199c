"""Where the audit keeps its checkpoints and its index: data_dir/audit.sqlite3, or PostgreSQL.

Three tables: `audit_checkpoints` (the signed checkpoints), `audit_leaves` (per event, in
tree order: its position, leaf hash, chain head, and the digests that tell a moved event
from an altered one) and `audit_nodes` (the perfect interior nodes of the Merkle tree,
so proofs cost O(log n) look-ups). The index is trusted only as far as the checkpoints'
signatures vouch for it: `verify` recomputes it against them.
"""

from __future__ import annotations

import base64
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse, urlunparse

import psycopg

from ducha.audit.canonical import checkpoint_message
from ducha.keys import verify as verify_signature

_TABLES = (
    "CREATE TABLE IF NOT EXISTS audit_checkpoints (position {int} PRIMARY KEY, size {int} NOT NULL, "
    "chain_head {blob} NOT NULL, merkle_root {blob} NOT NULL, time TEXT NOT NULL, signature {blob} NOT NULL)",
    "CREATE TABLE IF NOT EXISTS audit_leaves (idx {int} PRIMARY KEY, position {int} NOT NULL UNIQUE, "
    "leaf {blob} NOT NULL, chain {blob} NOT NULL, content {blob} NOT NULL, state {blob} NOT NULL)",
    "CREATE INDEX IF NOT EXISTS audit_leaves_content ON audit_leaves (content)",
    "CREATE INDEX IF NOT EXISTS audit_leaves_state ON audit_leaves (state)",
    "CREATE TABLE IF NOT EXISTS audit_nodes (level {int} NOT NULL, idx {int} NOT NULL, hash {blob} NOT NULL, "
    "PRIMARY KEY (level, idx))",
)


@dataclass(frozen=True)
class Checkpoint:
    """A signed statement: the node's first `size` events, up to `position`, chain to `chain_head`
    and form the Merkle tree with root `merkle_root`, as of `time` (RFC 3339, UTC)."""

    node: str
    position: int
    size: int
    chain_head: bytes
    merkle_root: bytes
    time: str
    signature: bytes

    def message(self) -> bytes:
        return checkpoint_message(self.node, self.position, self.size, self.chain_head, self.merkle_root, self.time)

    def signed_by(self, public_raw: bytes) -> bool:
        return verify_signature(public_raw, self.signature, self.message())

    def as_json(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "size": self.size,
            "chain_head": self.chain_head.hex(),
            "merkle_root": self.merkle_root.hex(),
            "time": self.time,
            "signature": base64.b64encode(self.signature).decode(),
        }

    @classmethod
    def from_json(cls, node: str, data: dict[str, Any]) -> Checkpoint:
        return cls(
            node=node,
            position=int(data["position"]),
            size=int(data["size"]),
            chain_head=bytes.fromhex(data["chain_head"]),
            merkle_root=bytes.fromhex(data["merkle_root"]),
            time=str(data["time"]),
            signature=base64.b64decode(data["signature"]),
        )


@dataclass(frozen=True)
class LeafRow:
    """One event's entry in the audit index."""

    idx: int
    position: int
    leaf: bytes
    chain: bytes
    content: bytes
    state: bytes


class AuditStore:
    """The audit's tables, on SQLite (one connection, behind a lock) or PostgreSQL."""

    def __init__(self, connection: Any, postgres: bool) -> None:
        self.connection = connection
        self.postgres = postgres
        self.lock = threading.RLock()
        kinds = {"int": "BIGINT", "blob": "BYTEA"} if postgres else {"int": "INTEGER", "blob": "BLOB"}
        with self.transaction() as cursor:
            for statement in _TABLES:
                cursor.execute(statement.format(**kinds))

    @classmethod
    def open(cls, store_url: str | None, data_dir: Path) -> AuditStore:
        """Beside the event store: the same PostgreSQL schema, or data_dir/audit.sqlite3."""
        if store_url and store_url.startswith(("postgresql://", "postgres://")):
            url = urlparse(store_url)
            schema = parse_qs(url.query).get("schema", [None])[0]
            options = {"options": f"-csearch_path={schema}"} if schema else {}
            return cls(psycopg.connect(urlunparse(url._replace(query="")), autocommit=True, **options), postgres=True)
        data_dir.mkdir(parents=True, exist_ok=True)
        return cls(sqlite3.connect(data_dir / "audit.sqlite3", check_same_thread=False, isolation_level=None), False)

    def close(self) -> None:
        self.connection.close()

    class _Tx:
        def __init__(self, store: AuditStore) -> None:
            self.store = store

        def __enter__(self) -> Any:
            self.store.lock.acquire()
            if self.store.postgres:
                self.block = self.store.connection.transaction()
                self.block.__enter__()
                return self.store.connection.cursor()
            cursor = self.store.connection.cursor()
            cursor.execute("BEGIN IMMEDIATE")
            return cursor

        def __exit__(self, kind: Any, error: Any, trace: Any) -> None:
            try:
                if self.store.postgres:
                    self.block.__exit__(kind, error, trace)
                else:
                    self.store.connection.execute("COMMIT" if kind is None else "ROLLBACK")
            finally:
                self.store.lock.release()

    def transaction(self) -> AuditStore._Tx:
        return AuditStore._Tx(self)

    def sql(self, statement: str) -> str:
        return statement.replace("?", "%s") if self.postgres else statement

    def query(self, statement: str, *params: Any) -> list[tuple[Any, ...]]:
        with self.transaction() as cursor:
            cursor.execute(self.sql(statement), params)
            return [tuple(bytes(v) if isinstance(v, memoryview) else v for v in row) for row in cursor.fetchall()]

    # ---- checkpoints ------------------------------------------------------------------

    def add_checkpoint(self, cursor: Any, checkpoint: Checkpoint) -> None:
        cursor.execute(
            self.sql("INSERT INTO audit_checkpoints VALUES (?, ?, ?, ?, ?, ?)"),
            (checkpoint.position, checkpoint.size, checkpoint.chain_head, checkpoint.merkle_root,
             checkpoint.time, checkpoint.signature),
        )

    def checkpoints(self, node: str, after: int = -1, limit: int = 1000) -> list[Checkpoint]:
        rows = self.query("SELECT * FROM audit_checkpoints WHERE position > ? ORDER BY position LIMIT ?", after, limit)
        return [Checkpoint(node, *row) for row in rows]

    def iter_checkpoints(self, node: str) -> Iterator[Checkpoint]:
        after = -1
        while page := self.checkpoints(node, after):
            yield from page
            after = page[-1].position

    def latest_checkpoint(self, node: str) -> Checkpoint | None:
        rows = self.query("SELECT * FROM audit_checkpoints ORDER BY position DESC LIMIT 1")
        return Checkpoint(node, *rows[0]) if rows else None

    # ---- the index --------------------------------------------------------------------

    def add_leaves(self, cursor: Any, rows: Sequence[LeafRow]) -> None:
        cursor.executemany(
            self.sql("INSERT INTO audit_leaves VALUES (?, ?, ?, ?, ?, ?)"),
            [(r.idx, r.position, r.leaf, r.chain, r.content, r.state) for r in rows],
        )

    def add_nodes(self, cursor: Any, nodes: Sequence[tuple[int, int, bytes]]) -> None:
        cursor.executemany(self.sql("INSERT INTO audit_nodes VALUES (?, ?, ?)"), nodes)

    def leaves(self, after_position: int, limit: int) -> list[LeafRow]:
        rows = self.query("SELECT * FROM audit_leaves WHERE position > ? ORDER BY position LIMIT ?", after_position, limit)
        return [LeafRow(*row) for row in rows]

    def last_leaf(self) -> LeafRow | None:
        rows = self.query("SELECT * FROM audit_leaves ORDER BY idx DESC LIMIT 1")
        return LeafRow(*rows[0]) if rows else None

    def leaf_at(self, position: int) -> LeafRow | None:
        rows = self.query("SELECT * FROM audit_leaves WHERE position = ?", position)
        return LeafRow(*rows[0]) if rows else None

    def positions_with(self, column: str, digest: bytes) -> list[int]:
        assert column in ("content", "state")
        return [row[0] for row in self.query(f"SELECT position FROM audit_leaves WHERE {column} = ?", digest)]

    def perfect_node(self, level: int, index: int) -> bytes:
        if level == 0:
            rows = self.query("SELECT leaf FROM audit_leaves WHERE idx = ?", index)
        else:
            rows = self.query("SELECT hash FROM audit_nodes WHERE level = ? AND idx = ?", level, index)
        if not rows:
            raise LookupError(f"the audit index has no node ({level}, {index})")
        return rows[0][0]
