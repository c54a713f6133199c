"""The supervisor (守护) of the embedded nats-server: a server that dies is started again.

The event store is the truth and the stream only its copy, so a dead nats-server loses no
command: the writer goes on committing. But without a bus the relay cannot publish and
the views stay where they were. The supervisor notices the server's end (it waits on the
thread that lives exactly as long as the server), starts it again on the same port and the
same store directory, so that every nats-py connection of the node reconnects to the
address it knows and JetStream finds its streams and consumers on disk; the relay then
publishes what was committed meanwhile and the projectors apply it.

Restarts back off (a server that dies at once is not restarted in a hot loop), and the
back-off starts over once a server has stayed up `stable_after` seconds. `stop()` ends the
supervision before it stops the server, so a node that stops never restarts its server.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable

import structlog

from ducha.embedded_nats import EmbeddedNats
from ducha.metrics import NATS_RESTARTS
from handlers.relay import Backoff

log = structlog.get_logger(__name__)

FIRST_DELAY = 0.2
MOST_DELAY = 30.0
STABLE_AFTER = 60.0

# Starts a server: on the given port, or (None) on one the kernel picks.
StartServer = Callable[[int | None], EmbeddedNats]


class NatsSupervisor:
    """Starts the embedded nats-server and starts it again, on the same port and data, whenever it dies."""

    def __init__(
        self, start: StartServer, *, first_delay: float = FIRST_DELAY, most_delay: float = MOST_DELAY,
        stable_after: float = STABLE_AFTER,
    ) -> None:
        self._start = start
        self._backoff = Backoff(first_delay, most_delay)
        self.stable_after = stable_after
        self.server: EmbeddedNats | None = None
        self.restarts = 0
        self._stopping = False
        self._watch: asyncio.Task[None] | None = None
        self._starting: asyncio.Future[EmbeddedNats] | None = None

    @property
    def url(self) -> str:
        assert self.server is not None, "the embedded nats-server is not started"
        return self.server.url

    @property
    def running(self) -> bool:
        """True while a server runs (False between its death and its restart)."""
        return self.server is not None and self.server.returncode is None

    async def start(self) -> EmbeddedNats:
        """Starts the server (on a free port) and begins watching it."""
        self.server = await self._spawn(None)
        self._watch = asyncio.create_task(self._supervise(), name="nats-supervisor")
        return self.server

    async def stop(self) -> None:
        """Ends the supervision, then stops the server: nothing is restarted from here on."""
        self._stopping = True
        if self._watch is not None:
            self._watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watch
            self._watch = None
        if self._starting is not None:  # a restart under way, or done as the cancel came: its server stops too
            with contextlib.suppress(Exception):
                started = await self._starting
                if started is not self.server:
                    await asyncio.to_thread(started.stop)
        if self.server is not None:
            await asyncio.to_thread(self.server.stop)
            self.server = None

    async def _supervise(self) -> None:
        while not self._stopping:
            assert self.server is not None
            up_since = time.monotonic()
            await asyncio.to_thread(self.server.wait)
            if self._stopping:
                return
            if time.monotonic() - up_since >= self.stable_after:
                self._backoff.reset()
            log.error("embedded nats-server died; starting it again", pid=self.server.pid,
                      returncode=self.server.returncode, port=self.server.port)
            self.server = await self._restart(self.server.port)

    async def _restart(self, port: int) -> EmbeddedNats:
        """Starts a server on `port` again, backing off between attempts, until one runs."""
        while True:
            delay = self._backoff.next()
            await asyncio.sleep(delay)
            try:
                server = await self._spawn(port)
            except Exception as error:  # e.g. the port is taken for now, or JetStream is slow to recover
                log.error("embedded nats-server did not start again", port=port, error=repr(error), retry_in=delay)
                continue
            self.restarts += 1
            NATS_RESTARTS.inc()
            log.warning("embedded nats-server started again", pid=server.pid, url=server.url, restarts=self.restarts)
            return server

    async def _spawn(self, port: int | None) -> EmbeddedNats:
        # Shielded: a stop() that lands during a start still gets the server, and stops it.
        self._starting = asyncio.ensure_future(asyncio.to_thread(self._start, port))
        return await asyncio.shield(self._starting)
