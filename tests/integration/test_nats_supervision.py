"""The embedded nats-server is supervised: killed, it is started again on its port and its data.

Real processes only: the nats-server the node (or the supervisor) spawns, killed with
`kill -9`, and a node run as `ducha serve`. The event store is the truth: commands are
acknowledged while the bus is down, and become visible once it is back, without a node
restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import nats
import pytest

from ducha.embedded_nats import EmbeddedNats, EmbeddedNatsError
from ducha.metrics import NATS_RESTARTS
from ducha.nats_supervisor import NatsSupervisor
from ducha.store import open_store
from handlers.projector import Projector
from handlers.relay import Relay, ensure_stream
from projections.case_board import CaseBoard
from projections.store import ViewStore
from tests.integration.node_process import (
    NODE, agency_token, ducha, free_port, metric, proposal, start_node, stop_node, stream_message_ids, wait_gone,
    wait_ready,
)

pytestmark = pytest.mark.slow


async def eventually(condition, within: float = 60.0) -> None:
    """Waits until `condition()` holds (the tests wait on conditions, never on a fixed time)."""
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, "the condition did not come true in time"
        await asyncio.sleep(0.05)


@pytest.fixture
async def supervisor(tmp_path: Path) -> AsyncIterator[NatsSupervisor]:
    started = NatsSupervisor(lambda port: EmbeddedNats.start(tmp_path / "nats", port=port), first_delay=0.05)
    await started.start()
    yield started
    await started.stop()


def restarted(supervisor: NatsSupervisor, times: int = 1):
    return lambda: supervisor.restarts >= times and supervisor.running


async def test_a_killed_server_is_started_again_on_its_port(supervisor: NatsSupervisor) -> None:
    before = supervisor.server
    os.kill(before.pid, signal.SIGKILL)
    await eventually(restarted(supervisor))
    assert supervisor.server.pid != before.pid
    assert supervisor.server.url == before.url


async def test_a_restarted_server_keeps_its_streams(supervisor: NatsSupervisor) -> None:
    nc = await nats.connect(supervisor.url, max_reconnect_attempts=-1, reconnect_time_wait=0.1)
    try:
        js = nc.jetstream()
        await js.add_stream(name="PROBE", subjects=["probe.>"])
        await js.publish("probe.one", b"kept")
        os.kill(supervisor.server.pid, signal.SIGKILL)
        await eventually(restarted(supervisor))
        await eventually(lambda: nc.is_connected)
        message = await js.get_msg("PROBE", seq=1)
    finally:
        await nc.close()
    assert message.data == b"kept"


async def test_a_restart_is_counted(supervisor: NatsSupervisor) -> None:
    before = NATS_RESTARTS._value.get()
    os.kill(supervisor.server.pid, signal.SIGKILL)
    await eventually(restarted(supervisor))
    assert NATS_RESTARTS._value.get() == before + 1


async def test_a_failed_restart_is_tried_again_until_a_server_runs(tmp_path: Path) -> None:
    attempts: list[int | None] = []

    def start(port: int | None) -> EmbeddedNats:
        attempts.append(port)
        if 2 <= len(attempts) <= 3:  # the first two restarts fail
            raise EmbeddedNatsError("not now")
        return EmbeddedNats.start(tmp_path / "nats", port=port)

    supervisor = NatsSupervisor(start, first_delay=0.05)
    await supervisor.start()
    try:
        os.kill(supervisor.server.pid, signal.SIGKILL)
        await eventually(restarted(supervisor))
    finally:
        await supervisor.stop()
    assert attempts[1:] == [attempts[1]] * 3 and attempts[1] is not None


async def test_a_stopped_supervisor_leaves_no_server_running(supervisor: NatsSupervisor) -> None:
    server = supervisor.server
    await supervisor.stop()
    assert wait_gone(server.pid)
    assert supervisor.server is None and supervisor.restarts == 0


async def test_a_server_dying_as_the_node_stops_is_not_started_again(tmp_path: Path) -> None:
    spawned: list[EmbeddedNats] = []

    def start(port: int | None) -> EmbeddedNats:
        spawned.append(EmbeddedNats.start(tmp_path / "nats", port=port))
        return spawned[-1]

    supervisor = NatsSupervisor(start, first_delay=0.0)
    await supervisor.start()
    os.kill(supervisor.server.pid, signal.SIGKILL)
    await supervisor.stop()
    await asyncio.sleep(0)
    assert all(server.returncode is not None for server in spawned)
    assert not (tmp_path / "nats" / "nats-server.pid").exists()


# ---- the relay and a projector on a server killed under them ---------------------------------

LONG = 600.0  # an ack timeout and a pull request's expiry far longer than any test's patience


@pytest.fixture
async def bus(supervisor: NatsSupervisor) -> AsyncIterator[tuple[nats.aio.client.Client, list]]:
    """A connection to the supervised server that, once made again, tells the parts in the list."""
    told: list = []

    async def reconnected() -> None:
        for part in told:
            part.reconnected()

    nc = await nats.connect(supervisor.url, max_reconnect_attempts=-1, reconnect_time_wait=0.1, reconnected_cb=reconnected)
    await ensure_stream(nc.jetstream(), NODE)
    yield nc, told
    await nc.close()


@contextlib.asynccontextmanager
async def running(work) -> AsyncIterator[None]:
    task = asyncio.create_task(work)
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def publish_in_flight(nc) -> bool:
    """True once a JetStream publish awaits its ack and its bytes have left the client."""
    waiting = any(t.get_coro().__qualname__ == "JetStreamContext.publish" and not t.done() for t in asyncio.all_tasks())
    return waiting and nc.pending_data_size == 0


async def test_the_relay_does_not_wait_out_its_ack_timeout_for_a_killed_server(
    supervisor: NatsSupervisor, bus, history,
) -> None:
    nc, told = bus
    relay = Relay(history.reader, nc.jetstream(), NODE, ack_timeout=LONG)
    told.append(relay)
    history.writer.on_commit(lambda _position: relay.wake())
    async with running(relay.run()):
        history.propose()
        await eventually(lambda: relay.published_position == 1)
        os.kill(supervisor.server.pid, signal.SIGSTOP)  # the next publish reaches the server, never its ack
        history.propose()
        await eventually(lambda: publish_in_flight(nc))
        os.kill(supervisor.server.pid, signal.SIGKILL)
        await eventually(lambda: relay.published_position == 2)


async def test_a_projector_asks_a_restarted_server_again_without_waiting_for_its_request_to_expire(
    supervisor: NatsSupervisor, bus, history, tmp_path: Path,
) -> None:
    nc, told = bus
    views = ViewStore.open(None, tmp_path / "views")
    views.install(CaseBoard())
    relay = Relay(history.reader, nc.jetstream(), NODE)
    projector = Projector(nc.jetstream(), views, CaseBoard(), NODE, fetch_timeout=LONG)
    told.extend([relay, projector])
    history.writer.on_commit(lambda _position: relay.wake())
    try:
        async with running(relay.run()), running(projector.run()):
            history.propose()
            assert await projector.wait_for(1, timeout=60)
            os.kill(supervisor.server.pid, signal.SIGKILL)  # its open pull request dies with it
            await eventually(restarted(supervisor))
            history.propose()
            assert await projector.wait_for(2, timeout=60)
    finally:
        views.close()


# ---- a whole node: `ducha serve`, its nats-server killed during a stream of commands ----------

BURST = 200
CONCURRENCY = 16
KILL_AFTER = 50  # answered proposals before the nats-server is killed


async def propose_killing_nats(port: int, token: str, nats_pid: int) -> tuple[dict[str, int], list[str], float]:
    """Proposes BURST cases; kills the nats-server after KILL_AFTER answers. Returns the 2xx answers
    ({case id: position}), every other outcome, and the moment of the kill."""
    answered: dict[str, int] = {}
    failed: list[str] = []
    killed_at = 0.0
    numbers = iter(range(BURST))
    headers = {"Authorization": f"Bearer {token}"}

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal killed_at
        for n in numbers:
            try:
                response = await client.post("/v1/cases", json=proposal(n), headers=headers)
            except httpx.HTTPError as error:
                failed.append(repr(error))
                continue
            if not response.is_success:
                failed.append(f"{response.status_code} {response.text}")
                continue
            answered[response.json()["id"]] = int(response.headers["Ducha-Position"])
            if len(answered) == KILL_AFTER:
                os.kill(nats_pid, signal.SIGKILL)
                killed_at = time.monotonic()

    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
        await asyncio.gather(*(worker(client) for _ in range(CONCURRENCY)))
    return answered, failed, killed_at


async def all_visible(port: int, token: str, answered: dict[str, int], within: float = 120.0) -> None:
    """Every answered case reads fresh from the board: the views caught up with the store."""
    last = max(answered.values())
    headers = {"Authorization": f"Bearer {token}"}
    deadline = time.monotonic() + within
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
        for case_id in answered:
            while True:
                response = await client.get(f"/v1/cases/{case_id}", params={"after": last}, headers=headers)
                assert response.status_code == 200, response.text
                if response.headers["Ducha-Consistency"] == "fresh":
                    break
                assert time.monotonic() < deadline, f"the views stay behind: {response.headers['Ducha-Consistency']}"


async def test_commands_acknowledged_while_nats_is_dead_become_visible_after_its_restart(
    tmp_path: Path, store_url: str | None,
) -> None:
    data_dir, port, log = tmp_path / "node", free_port(), tmp_path / "node.log"
    store = ("--store-url", store_url) if store_url else ()
    token = agency_token(data_dir)
    node = start_node(data_dir, port, log, args=store)
    try:
        wait_ready(port, node)
        pid_file = data_dir / "nats" / "nats-server.pid"
        killed = int(pid_file.read_text())

        answered, failed, killed_at = await propose_killing_nats(port, token, killed)
        assert failed == [] and len(answered) == BURST
        await all_visible(port, token, answered)
        recovered_in = time.monotonic() - killed_at
        print(f"nats-server killed: {len(answered)} acknowledged; all visible {recovered_in:.1f} s after the kill")

        restarted_pid = int(pid_file.read_text())
        assert restarted_pid != killed
        metrics = httpx.get(f"http://127.0.0.1:{port}/metrics").text
        assert metric(metrics, "ducha_nats_restarts_total") == 1
    finally:
        stop_node(node)
    assert wait_gone(restarted_pid), "the restarted nats-server outlived its node"

    app = open_store(store_url, data_dir)
    positions = app.recorder.max_notification_id()
    app.close()
    ids = await stream_message_ids(data_dir / "nats")
    assert len(ids) == positions and max(Counter(ids).values()) == 1

    live = ducha("projections", "digest", "case_board", "--data-dir", str(data_dir), *store)
    rebuilt = ducha("projections", "rebuild", "case_board", "--data-dir", str(data_dir), *store)
    assert rebuilt.strip().splitlines()[-1] == live.strip()
