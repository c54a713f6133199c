"""A node as a real process (`ducha serve`), for the fault tests: start it, wait for it, talk to it.

A helper module, not a test module: the tests that kill a node, its nats-server or its disk
import it.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path

import httpx
import nats

from domain.actor import Role
from domain.envelope import stream_name
from ducha.embedded_nats import EmbeddedNats
from ducha.keys import NodeKey
from ducha.tokens import issue_token

NODE = "220000"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_node(
    data_dir: Path, port: int, log: Path, *, args: tuple[str, ...] = (), env: Mapping[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """`ducha serve` on `port` with its data in `data_dir`; its output goes to `log`. No rate limit: the
    tests send bursts, not a client to throttle."""
    environment = os.environ | {"DUCHA_LOG_JSON": "true", "DUCHA_RATE_LIMIT": ""} | dict(env or {})
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "ducha.cli", "serve", "--data-dir", str(data_dir), "--port", str(port),
             "--node", NODE, *args],
            stdout=out, stderr=subprocess.STDOUT, env=environment,
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


def stop_node(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        process.wait(timeout=30)


def agency_token(data_dir: Path) -> str:
    """A token of the provincial supervision office (督查室), signed with the node's own key."""
    return issue_token(NodeKey.load_or_create(data_dir), NODE, "220000-DCS", Role.AGENCY, "王敏", timedelta(hours=1))


def proposal(n: int) -> dict[str, object]:
    return {
        "case_type": "special" if n % 2 else "comprehensive",
        "topic": "livelihood",
        "title": f"民生实事项目落实情况督查 第{n}号",
        "targets": ["220100", "220200"],
        "methods": ["inspection"],
        "window_start": "2026-12-07",
        "window_end": "2026-12-18",
        "rationale": "fault test",
        "on": "2026-11-20",
    }


def metric(text: str, name: str) -> float:
    """The value of an unlabelled sample in a Prometheus text exposition (0 when absent)."""
    for line in text.splitlines():
        if line.startswith(f"{name} "):
            return float(line.split()[1])
    return 0.0


def ducha(*args: str) -> str:
    return subprocess.run([sys.executable, "-m", "ducha.cli", *args], check=True, capture_output=True, text=True).stdout


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
    """The message ids on the node's stream, in stream order, read from its (stopped) server's store."""
    server = EmbeddedNats.start(store_dir)
    try:
        nc = await nats.connect(server.url)
        js = nc.jetstream()
        info = await js.stream_info(stream_name(NODE))
        ids = [(await js.get_msg(stream_name(NODE), seq=seq)).headers["Nats-Msg-Id"]
               for seq in range(info.state.first_seq, info.state.last_seq + 1)]
        await nc.close()
        return ids
    finally:
        server.stop()
