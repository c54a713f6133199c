"""The embedded nats-server: it starts with JetStream, stops cleanly, and never outlives its parent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import nats
import pytest

from ducha.embedded_nats import EmbeddedNats
from ducha.settings import JetStreamSync

REPO = Path(__file__).resolve().parents[2]


def running(pid: int) -> bool:
    """True while `pid` is a live process (a zombie counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def wait_until_gone(pid: int, within: float = 10.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if not running(pid):
            return True
        time.sleep(0.05)
    return False


async def test_server_accepts_jetstream_publishes(nats_server: EmbeddedNats) -> None:
    nc = await nats.connect(nats_server.url)
    try:
        js = nc.jetstream()
        await js.add_stream(name="PROBE", subjects=["probe.>"])
        ack = await js.publish("probe.one", b"hello")
    finally:
        await nc.close()
    assert ack.stream == "PROBE" and ack.seq == 1


def test_server_listens_on_loopback_only(nats_server: EmbeddedNats) -> None:
    assert nats_server.url.startswith("nats://127.0.0.1:")


def test_stop_leaves_no_process(tmp_path: Path) -> None:
    server = EmbeddedNats.start(tmp_path / "nats")
    server.stop()
    assert not running(server.pid)
    server.stop()  # a second stop is harmless


def test_stale_server_in_pid_file_is_stopped_by_next_start(tmp_path: Path) -> None:
    stale = EmbeddedNats.start(tmp_path / "nats")  # as if its run crashed without stopping it
    fresh = EmbeddedNats.start(tmp_path / "nats")
    try:
        assert not running(stale.pid)
        assert running(fresh.pid)
    finally:
        fresh.stop()
        stale.stop()


def test_server_outlives_the_thread_that_started_it(tmp_path: Path) -> None:
    started: list[EmbeddedNats] = []
    thread = threading.Thread(target=lambda: started.append(EmbeddedNats.start(tmp_path / "nats")))
    thread.start()
    thread.join()
    try:
        assert running(started[0].pid)
    finally:
        started[0].stop()


@pytest.mark.parametrize(("sync", "interval"), [(JetStreamSync.ALWAYS, "always"), (JetStreamSync.DEFAULT, '"2m"')])
def test_sync_setting_reaches_the_config(tmp_path: Path, sync: JetStreamSync, interval: str) -> None:
    server = EmbeddedNats.start(tmp_path / "nats", sync=sync)  # the server accepts it: it starts
    server.stop()
    config = (tmp_path / "nats" / "nats-server.conf").read_text()
    assert f"sync_interval: {interval}" in config


def test_server_logs_to_the_store_directory(nats_server: EmbeddedNats) -> None:
    assert "Server is ready" in (nats_server.store_dir / "nats-server.log").read_text()


@pytest.mark.slow
def test_server_dies_with_a_killed_parent(tmp_path: Path) -> None:
    script = textwrap.dedent(
        f"""
        import sys, time
        from pathlib import Path
        from ducha.embedded_nats import EmbeddedNats
        server = EmbeddedNats.start(Path({str(tmp_path / "nats")!r}))
        print("SERVER-PID", server.pid, flush=True)
        time.sleep(600)
        """
    )
    parent = subprocess.Popen([sys.executable, "-c", script], cwd=REPO, stdout=subprocess.PIPE, text=True)
    server_pid = None
    try:
        for line in parent.stdout:  # type: ignore[union-attr]
            if line.startswith("SERVER-PID"):
                server_pid = int(line.split()[1])
                break
        assert server_pid is not None and running(server_pid)
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        assert wait_until_gone(server_pid)
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
        if server_pid is not None and running(server_pid):
            os.kill(server_pid, signal.SIGKILL)  # the test failed: do not leak the server
