"""A crash with real processes: `kill -9` the node during a burst of concurrent proposals.

Every proposal answered 2xx must be in the store, on the stream exactly once and on the
board after a restart, and the board's digest must equal a rebuild's. Killing the node's
process must not leave its embedded nats-server behind to block the next start.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
from collections import Counter
from pathlib import Path

import httpx
import pytest

from ducha.store import EventReader, open_store
from tests.integration.node_process import (
    NODE, agency_token, ducha, free_port, proposal, start_node, stream_message_ids, wait_gone, wait_ready,
)

pytestmark = pytest.mark.slow

BURST = 240
CONCURRENCY = 48
KILL_AFTER = 60  # answered proposals before the kill


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


async def test_kill_9_during_a_burst_loses_nothing_acknowledged(tmp_path: Path) -> None:
    data_dir, port, log = tmp_path / "node", free_port(), tmp_path / "node.log"
    token = agency_token(data_dir)
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
