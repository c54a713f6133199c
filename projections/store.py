"""The view store: where projections keep their read models (SQLite file or PostgreSQL).

A thin layer, not an ORM: a connection per thread, transactions with savepoints, and one
SQL text for both backends (written with `?` placeholders; translated for psycopg). The
shared tables `projection_tracking` and `dead_letters` live here beside every view.

Writers (`transaction()`: the projectors, installs, rebuilds) take turns behind one lock;
readers (`read()`: every query) take none and read a consistent snapshot beside them
(SQLite in WAL mode, PostgreSQL's MVCC), so a batch being applied never stalls a query.

`call` runs short work on the event loop's own thread when the views are a SQLite file, and
in a worker thread on PostgreSQL. A SQLite statement is microseconds of CPU in this process,
and the module gives the GIL up around each one: from a worker thread, every statement then
waits to take the GIL back from the loop (the convoy effect), which on a busy node cost the
case board 4 to 5 times its own CPU per event and held the views' write lock that long. On
PostgreSQL a statement is a network round trip, which must not hold up the loop.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ParamSpec, Protocol, TypeVar
from urllib.parse import parse_qs, urlencode, urlparse, urlunparse

import psycopg
from psycopg.rows import dict_row

P = ParamSpec("P")
R = TypeVar("R")

SHARED_DDL = (
    """CREATE TABLE IF NOT EXISTS projection_tracking (
        projection TEXT NOT NULL, node TEXT NOT NULL, position BIGINT NOT NULL,
        PRIMARY KEY (projection, node))""",
    """CREATE TABLE IF NOT EXISTS dead_letters (
        projection TEXT NOT NULL, node TEXT, position BIGINT, subject TEXT,
        message TEXT NOT NULL, error TEXT NOT NULL, at TEXT NOT NULL)""",
)


class Projection(Protocol):
    """A pure fold of envelopes into view rows, plus the tables it keeps them in."""

    name: str
    ddl: Sequence[str]

    def apply(self, tx: Tx, envelope: Any) -> None: ...

    def canonical_rows(self, tx: Tx) -> dict[str, list[dict[str, Any]]]: ...

    def reset(self, tx: Tx) -> None: ...


class Tx:
    """The cursor-like object a transaction hands out; the same calls on both backends."""

    def __init__(self, conn: Any, *, postgres: bool) -> None:
        self._conn = conn
        self._postgres = postgres
        self._savepoints = 0

    def _sql(self, sql: str) -> str:
        return sql.replace("?", "%s") if self._postgres else sql

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self._conn.execute(self._sql(sql), params)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self._conn.cursor().executemany(self._sql(sql), rows)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        return [dict(row) for row in self._conn.execute(self._sql(sql), params).fetchall()]

    def query_one(self, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
        rows = self.query(sql, params)
        return rows[0] if rows else None

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """Undoes only what ran inside it when it raises; the error goes on to the caller."""
        self._savepoints += 1
        name = f"sp_{self._savepoints}"
        self.execute(f"SAVEPOINT {name}")
        try:
            yield
        except BaseException:
            self.execute(f"ROLLBACK TO SAVEPOINT {name}")
            self.execute(f"RELEASE SAVEPOINT {name}")
            raise
        self.execute(f"RELEASE SAVEPOINT {name}")


class ViewStore:
    """The read models of one node, on SQLite (WAL) by default or PostgreSQL at scale."""

    def __init__(self, connect: Callable[[], Any], *, postgres: bool) -> None:
        self._connect = connect
        self.postgres = postgres
        self._write_lock = threading.RLock()
        self._local = threading.local()
        self._connections: list[Any] = []
        self._connections_lock = threading.Lock()

    async def call(self, work: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
        """`work(*args, **kwargs)`: inline on SQLite (a local file), in a worker thread on PostgreSQL.

        For bounded work only (one row, one page, one chunk of a batch): inline, it holds up
        the event loop while it runs.
        """
        return await short_work(not self.postgres, work, *args, **kwargs)

    async def call_writing(self, work: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
        """As `call`, for work that writes: inline only when the write lock is free (then held for the
        work), else in a worker thread that waits for it, so the loop never waits on another writer
        (a federation outbox collecting a batch of reports, say)."""
        if self.postgres or not self._write_lock.acquire(blocking=False):
            return await asyncio.to_thread(work, *args, **kwargs)
        try:
            return work(*args, **kwargs)
        finally:
            self._write_lock.release()

    def checkpoint(self) -> None:
        """Writes the WAL's committed pages back to the views' file (SQLite; nothing on PostgreSQL).
        Passive: it neither waits for nor blocks readers and writers, and copies what it can."""
        if not self.postgres:
            self._connection().execute("PRAGMA wal_checkpoint(PASSIVE)")

    @classmethod
    def open(cls, store_url: str | None, data_dir: Path) -> ViewStore:
        if store_url and store_url.startswith(("postgresql://", "postgres://")):
            return cls(lambda: _connect_postgres(store_url), postgres=True)
        data_dir.mkdir(parents=True, exist_ok=True)
        path = data_dir / "views.sqlite3"
        return cls(lambda: _connect_sqlite(path), postgres=False)

    def _connection(self) -> Any:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._connect()
            if not self.postgres and _runs_an_event_loop():
                # SQLite checkpoints the WAL in the connection whose commit fills it (every 1000
                # pages): writing pages back and syncing the file, which must not hold up the loop.
                # `checkpoint()`, from a worker thread, does it instead (Node.start runs it).
                conn.execute("PRAGMA wal_autocheckpoint=0")
            with self._connections_lock:
                self._connections.append(conn)
        return conn

    def install(self, projection: Projection) -> None:
        """Creates the shared tables and the projection's own, when missing."""
        with self.transaction() as tx:
            for ddl in (*SHARED_DDL, *projection.ddl):
                tx.execute(ddl)

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        """One writing transaction: committed when the block ends, rolled back when it raises."""
        with self._write_lock:
            with self._begin("BEGIN IMMEDIATE") as tx:
                yield tx

    @contextmanager
    def read(self) -> Iterator[Tx]:
        """One reading transaction: a consistent snapshot, beside any writer."""
        with self._begin("BEGIN") as tx:
            yield tx

    @contextmanager
    def _begin(self, begin: str) -> Iterator[Tx]:
        conn = self._connection()
        if self.postgres:
            with conn.transaction():
                yield Tx(conn, postgres=True)
            return
        conn.execute(begin)
        try:
            yield Tx(conn, postgres=False)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def tracked_position(self, projection: str, node: str) -> int:
        with self.read() as tx:
            row = tx.query_one(
                "SELECT position FROM projection_tracking WHERE projection = ? AND node = ?", (projection, node)
            )
        return int(row["position"]) if row else 0

    def close(self) -> None:
        with self._write_lock, self._connections_lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        self._local = threading.local()


async def short_work(local: bool, work: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
    """`work(*args, **kwargs)` inline when its store is a `local` SQLite file, else in a worker thread (the
    module's docstring says why); for the views (`ViewStore.call`) and the event store (`Node.read_store`)."""
    if local:
        return work(*args, **kwargs)
    return await asyncio.to_thread(work, *args, **kwargs)


def _runs_an_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _connect_sqlite(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=10)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")  # WAL stays consistent; views can be rebuilt anyway
    return conn


def _connect_postgres(store_url: str) -> psycopg.Connection[Any]:
    """Connects; a `?schema=NAME` parameter becomes the connection's search_path."""
    url = urlparse(store_url)
    query = parse_qs(url.query)
    schema = query.pop("schema", [None])[0]
    conninfo = urlunparse(url._replace(query=urlencode(query, doseq=True)))
    options = {"options": f"-c search_path={schema}"} if schema else {}
    return psycopg.connect(conninfo, autocommit=True, row_factory=dict_row, **options)
