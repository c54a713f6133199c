"""A crash with real processes: `kill -9` the node during a burst of concurrent proposals.

Every proposal answered 2xx must be in the store, on the stream exactly once and on the
board after a restart, and the board's digest must equal a rebuild's. Killing the node's
process must not leave its embedded nats-server behind to block the next start.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import httpx
import nats
import pytest

from domain.actor import Role
from domain.envelope import stream_name
from ducha.embedded_nats import EmbeddedNats
from ducha.keys import NodeKey
from ducha.store import EventReader, open_store
from ducha.tokens import issue_token

pytestmark = pytest.mark.slow

NODE = "220000"
BURST = 240
CONCURRENCY = 48
KILL_AFTER = 60  # answered proposals before the kill


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_node(data_dir: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = os.environ | {"DUCHA_LOG_JSON": "true", "DUCHA_RATE_LIMIT": ""}  # a burst, not a client to throttle
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "ducha.cli", "serve", "--data-dir", str(data_dir), "--port", str(port), "--node", NODE],
            stdout=out, stderr=subprocess.STDOUT, env=env,
        )


def wait_ready(port: int, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, f"the node exited with {process.returncode}"
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("the node did not become ready")


def proposal(n: int) -> dict[str, object]:
    return {
        "case_type": "special" if n % 2 else "comprehensive",
        "topic": "livelihood",
        "title": f"民生实事项目落实情况督查 第{n}号",
        "targets": ["220100", "220200"],
        "methods": ["inspection"],
        "window_start": "2026-12-07",
        "window_end": "2026-12-18",
        "rationale": "crash test",
        "on": "2026-11-20",
    }


async def burst(port: int, token: str, process: subprocess.Popen[bytes]) -> dict[str, int]:
    """Proposes concurrently; kills the node after KILL_AFTER answers. Returns {case id: position} of 2xx answers."""
    answered: dict[str, int] = {}
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(BURST):
        queue.put_nowait(n)
    headers = {"Authorization": f"Bearer {token}"}

    async def worker(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            n = queue.get_nowait()
            try:
                response = await client.post("/v1/cases", json=proposal(n), headers=headers)
            except httpx.HTTPError:
                continue
            if response.is_success:
                answered[response.json()["id"]] = int(response.headers["Ducha-Position"])
                if len(answered) == KILL_AFTER:
                    os.kill(process.pid, signal.SIGKILL)

    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:
        await asyncio.gather(*(worker(client) for _ in range(CONCURRENCY)))
    return answered


def wait_gone(pid: int, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


async def stream_message_ids(store_dir: Path) -> list[str]:
    server = EmbeddedNats.start(store_dir)
    try:
        nc = await nats.connect(server.url)
        js = nc.jetstream()
        info = await js.stream_info(stream_name(NODE))
        ids = []
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            message = await js.get_msg(stream_name(NODE), seq=seq)
            ids.append(message.headers["Nats-Msg-Id"])
        await nc.close()
        return ids
    finally:
        server.stop()


def ducha(*args: str) -> str:
    return subprocess.run([sys.executable, "-m", "ducha.cli", *args], check=True, capture_output=True, text=True).stdout


async def test_kill_9_during_a_burst_loses_nothing_acknowledged(tmp_path: Path) -> None:
    data_dir, port, log = tmp_path / "node", free_port(), tmp_path / "node.log"
    token = issue_token(NodeKey.load_or_create(data_dir), NODE, "220000-DCS", Role.AGENCY, "王敏", timedelta(hours=1))
    node = start_node(data_dir, port, log)
    wait_ready(port, node)
    nats_pid = int((data_dir / "nats" / "nats-server.pid").read_text())

    answered = await burst(port, token, node)
    node.wait(timeout=10)
    assert len(answered) >= KILL_AFTER
    assert wait_gone(nats_pid), "the embedded nats-server outlived its node"

    node = start_node(data_dir, port, log)  # the next start is not blocked
    try:
        wait_ready(port, node)
        headers = {"Authorization": f"Bearer {token}"}
        last = max(answered.values())
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            for case_id in answered:
                response = await client.get(f"/v1/cases/{case_id}", params={"after": last}, headers=headers)
                assert response.status_code == 200, response.text
                assert response.headers["Ducha-Consistency"].startswith("fresh")
    finally:
        node.send_signal(signal.SIGTERM)
        node.wait(timeout=30)

    app = open_store(None, data_dir)
    proposed = [e.aggregate_id for e in EventReader(app, NODE).iter_envelopes() if e.type == "CaseProposed"]
    positions = app.recorder.max_notification_id()
    app.close()
    assert {str(i) for i in proposed} >= set(answered)

    ids = await stream_message_ids(data_dir / "nats")
    assert len(ids) == positions
    assert max(Counter(ids).values()) == 1

    live = ducha("projections", "digest", "case_board", "--data-dir", str(data_dir))
    rebuilt = ducha("projections", "rebuild", "case_board", "--data-dir", str(data_dir))
    assert rebuilt.strip().splitlines()[-1] == live.strip()
