"""A full or read-only store is an answer, not a reset.

Provoked for real: a node's data directory on a small tmpfs filled to the last byte (root
may mount; elsewhere those tests skip), SQLite files held to their size with
`PRAGMA max_page_count`, a read-only SQLite connection and a read-only PostgreSQL
transaction. Commands are then answered 507 as problems on the connection they came on,
`/readyz` names the store, and once space returns everything goes on where it was.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import sqlite3
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import nats
import psycopg
import pytest
import structlog

from ducha.embedded_nats import EmbeddedNats
from ducha.store_faults import StoreFault, WriteHealth, store_fault
from handlers.projector import Projector
from handlers.relay import ensure_stream
from projections.base import digest, rebuild
from projections.case_board import CaseBoard
from projections.store import ViewStore, _connect_sqlite
from tests.integration.node_process import (
    NODE, agency_token, ducha, free_port, proposal, start_node, stop_node, wait_ready,
)
from tests.projections.history import History

DISK_BYTES = 16 * 1024 * 1024


async def eventually(condition, within: float = 60.0) -> None:
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, "the condition did not come true in time"
        await asyncio.sleep(0.05)


# ---- what counts as a store fault --------------------------------------------------------------

def full_sqlite(path: Path) -> sqlite3.Connection:
    """A SQLite database that may not grow by a page: the next insert meets SQLITE_FULL."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("CREATE TABLE t (x BLOB)")
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages}")
    return conn


def test_a_full_sqlite_database_is_a_full_store(tmp_path: Path) -> None:
    conn = full_sqlite(tmp_path / "full.sqlite3")
    with pytest.raises(sqlite3.OperationalError) as raised:
        conn.execute("INSERT INTO t VALUES (randomblob(100000))")
    assert "database or disk is full" in str(raised.value)
    assert store_fault(raised.value) is StoreFault.FULL


def test_a_read_only_sqlite_database_is_a_read_only_store(tmp_path: Path) -> None:
    sqlite3.connect(tmp_path / "ro.sqlite3").execute("CREATE TABLE t (x)").connection.commit()
    conn = sqlite3.connect(f"file:{tmp_path / 'ro.sqlite3'}?mode=ro", uri=True)
    with pytest.raises(sqlite3.OperationalError) as raised:
        conn.execute("INSERT INTO t VALUES (1)")
    assert "attempt to write a readonly database" in str(raised.value)
    assert store_fault(raised.value) is StoreFault.READ_ONLY


def test_a_fault_wrapped_by_eventsourcing_is_found_in_its_causes(tmp_path: Path) -> None:
    from eventsourcing.persistence import OperationalError

    conn = full_sqlite(tmp_path / "full.sqlite3")
    try:
        try:
            conn.execute("INSERT INTO t VALUES (randomblob(100000))")
        except sqlite3.OperationalError as error:
            raise OperationalError(error) from error
    except OperationalError as wrapped:
        assert store_fault(wrapped) is StoreFault.FULL


@pytest.mark.parametrize(
    ("code", "fault"),
    [(errno.ENOSPC, StoreFault.FULL), (errno.EDQUOT, StoreFault.FULL), (errno.EROFS, StoreFault.READ_ONLY)],
)
def test_the_operating_systems_no_space_and_read_only_are_store_faults(code: int, fault: StoreFault) -> None:
    assert store_fault(OSError(code, os.strerror(code))) is fault


def test_postgresqls_disk_full_is_a_full_store() -> None:
    assert store_fault(psycopg.errors.DiskFull("could not extend file")) is StoreFault.FULL


@pytest.mark.postgres
def test_a_read_only_postgresql_transaction_is_a_read_only_store(postgres_url: str) -> None:
    url, _, schema = postgres_url.partition("?schema=")
    with psycopg.connect(url) as conn, pytest.raises(psycopg.Error) as raised:
        conn.execute("SET TRANSACTION READ ONLY")
        conn.execute(f"CREATE TABLE {schema.split('&')[0]}.t (x int)")
    assert store_fault(raised.value) is StoreFault.READ_ONLY


@pytest.mark.parametrize("error", [sqlite3.OperationalError("database is locked"), OSError(errno.EACCES, "no"),
                                   RuntimeError("a bug"), psycopg.errors.TooManyConnections("busy")])
def test_other_failures_are_no_store_fault(error: Exception) -> None:
    assert store_fault(error) is None


def test_a_refusal_is_reported_until_a_commit_succeeds(tmp_path: Path) -> None:
    health = WriteHealth()
    health.refused(OSError(errno.ENOSPC, "No space left on device"))
    reported = health.failing()
    health.committed()
    assert reported is not None and reported["detail"] == "full"
    assert health.failing() is None


def test_a_refusal_is_no_longer_reported_once_it_is_old() -> None:
    now = [0.0]
    health = WriteHealth(clock=lambda: now[0], remember=60.0)
    health.refused(OSError(errno.ENOSPC, "No space left on device"))
    now[0] = 61.0
    assert health.failing() is None


# ---- a small filesystem filled to the last byte ----------------------------------------------

@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A tmpfs of DISK_BYTES mounted for the test (root only: elsewhere the test skips)."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK_BYTES},mode=0755", "tmpfs", str(mount_point)],
        capture_output=True, text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small filesystem here: {mounted.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def fill(disk: Path) -> Path:
    """Writes a file until the filesystem has not one byte left; removing it gives the space back."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (1 << 20, 1 << 16, 1 << 12, 1 << 9, 1):
            with contextlib.suppress(OSError):
                while True:
                    os.write(fd, b"\0" * size)
    finally:
        os.close(fd)
    assert os.statvfs(disk).f_bavail == 0
    return filler


def test_a_commit_on_a_full_disk_is_refused_counted_and_reported(small_disk: Path, registry) -> None:
    history = History(small_disk / "events", registry)
    try:
        history.propose()
        filler = fill(small_disk)
        with pytest.raises(Exception) as raised:
            for _ in range(50):  # the first few may still fit in the WAL's pages
                history.propose()
        refused = history.writer.health.failing()
        filler.unlink()
        history.propose()
    finally:
        history.close()
    assert store_fault(raised.value) is StoreFault.FULL
    assert refused is not None and refused["detail"] == "full"
    assert history.writer.health.failing() is None


# ---- a projector whose views cannot grow -----------------------------------------------------

@pytest.fixture
async def js(nats_server: EmbeddedNats) -> AsyncIterator:
    nc = await nats.connect(nats_server.url)
    await ensure_stream(nc.jetstream(), NODE)
    yield nc.jetstream()
    await nc.close()


def held_views(path: Path) -> tuple[ViewStore, list[sqlite3.Connection]]:
    """The case board's views, each connection held to the file's present size (`max_page_count`)."""
    connections: list[sqlite3.Connection] = []

    def connect() -> sqlite3.Connection:
        conn = _connect_sqlite(path)
        conn.execute(f"PRAGMA max_page_count = {conn.execute('PRAGMA page_count').fetchone()[0]}")
        connections.append(conn)
        return conn

    views = ViewStore(connect, postgres=False)
    return views, connections


async def test_a_projector_whose_views_are_full_applies_everything_once_space_returns(
    tmp_path: Path, js, registry,
) -> None:
    created = ViewStore.open(None, tmp_path)  # with room for its tables only
    created.install(CaseBoard())
    created.close()
    views, connections = held_views(tmp_path / "views.sqlite3")
    history = History(tmp_path / "events", registry)
    projector = Projector(js, views, CaseBoard(), NODE, batch=50)
    with structlog.testing.capture_logs() as logs:
        task = asyncio.create_task(projector.run())
        try:
            for n in range(40):
                history.propose(title=f"高标准农田建设 第{n}号")
            for envelope in history.envelopes():
                await js.publish(envelope.subject, envelope.model_dump_json().encode(),
                                 headers={"Nats-Msg-Id": envelope.message_id, "Ducha-Position": str(envelope.position)})
            await eventually(lambda: any("interrupted" in entry["event"] for entry in logs))  # a batch met SQLITE_FULL
            assert not task.done() and projector.position < 40
            for conn in connections:
                conn.execute("PRAGMA max_page_count = 1073741823")
            assert await projector.wait_for(40, timeout=60)
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    try:
        live = digest(views, CaseBoard())
        rebuilt_views = ViewStore.open(None, tmp_path / "rebuilt")
        rebuilt_views.install(CaseBoard())
        rebuild(rebuilt_views, CaseBoard(), history.envelopes())
        assert digest(rebuilt_views, CaseBoard()) == live
        rebuilt_views.close()
    finally:
        views.close()
        history.close()


# ---- a whole node on a full disk: `ducha serve`, one keep-alive connection -------------------

REQUESTS = 30


def local_port(response: httpx.Response) -> int:
    """The client's port of the connection the response came on: the same port, the same connection."""
    return response.extensions["network_stream"].get_extra_info("client_addr")[1]


async def test_a_node_on_a_full_disk_answers_507_on_the_same_connection_and_goes_on_when_space_returns(
    small_disk: Path, nats_server: EmbeddedNats, tmp_path: Path,
) -> None:
    data_dir, port = small_disk / "node", free_port()
    token = agency_token(data_dir)
    headers = {"Authorization": f"Bearer {token}"}
    node = start_node(data_dir, port, tmp_path / "node.log", args=("--nats-url", nats_server.url))
    try:
        wait_ready(port, node)
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30, limits=limits) as client:
            answered = [(await client.post("/v1/cases", json=proposal(n), headers=headers)) for n in range(3)]
            filler = fill(small_disk)
            refused = []
            for n in range(3, 3 + 50 + REQUESTS):  # past what the WAL's pages still take, REQUESTS refusals
                response = await client.post("/v1/cases", json=proposal(n), headers=headers)
                (refused if response.status_code == 507 else answered).append(response)
                if len(refused) == REQUESTS:
                    break
            ready_when_full = await client.get("/readyz")
            filler.unlink()
            freed_at = time.monotonic()
            after = await client.post("/v1/cases", json=proposal(999), headers=headers)
            taken_in = time.monotonic() - freed_at
            metrics = (await client.get("/metrics")).text

            assert len(refused) == REQUESTS and all(r.status_code == 201 for r in answered)
            assert {r.headers["content-type"] for r in refused} == {"application/problem+json"}
            assert {r.json()["type"] for r in refused} == {"urn:ducha:problem:store-full"}
            assert all(int(r.headers["Retry-After"]) > 0 for r in refused)
            assert {local_port(r) for r in [*answered, *refused, after]} == {local_port(after)}
            assert ready_when_full.status_code == 503
            assert ready_when_full.json()["checks"]["store"]["detail"] == "full"
            assert after.status_code == 201
            assert f'ducha_store_write_errors_total{{kind="full"}} {float(REQUESTS)}' in metrics

            answered.append(after)
            last = max(int(r.headers["Ducha-Position"]) for r in answered)
            deadline = time.monotonic() + 60
            while (await client.get("/readyz")).status_code != 200:
                assert time.monotonic() < deadline, "the node did not become ready again"
                await asyncio.sleep(0.1)
            for response in answered:
                case = await client.get(f"/v1/cases/{response.json()['id']}", params={"after": last}, headers=headers)
                assert case.status_code == 200 and case.headers["Ducha-Consistency"] == "fresh"
            print(f"disk full: {len(answered)} acknowledged (all visible), {len(refused)} answered 507 on one connection; "
                  f"a command taken {taken_in * 1000:.0f} ms and every view fresh {time.monotonic() - freed_at:.2f} s "
                  "after space returned")
    finally:
        stop_node(node)
    live = ducha("projections", "digest", "case_board", "--data-dir", str(data_dir))
    rebuilt = ducha("projections", "rebuild", "case_board", "--data-dir", str(data_dir))
    assert rebuilt.strip().splitlines()[-1] == live.strip()
