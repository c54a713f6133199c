"""Seals the node's history: a signed audit checkpoint every N events, and one at shutdown."""

from __future__ import annotations

import asyncio

import structlog

from ducha.audit.chain import Auditor

log = structlog.get_logger(__name__)


class Checkpointer:
    """Calls the auditor off the writer thread whenever `every` new events were recorded."""

    def __init__(self, auditor: Auditor, *, every: int = 1000, poll: float = 5.0) -> None:
        self.auditor = auditor
        self.every = every
        self.poll = poll
        self.sealed = 0

    async def run(self) -> None:
        """Checks every `poll` seconds; seals when `every` events are waiting. Runs until cancelled."""
        while True:
            recorded = await asyncio.to_thread(self.auditor.reader.last_position)
            if recorded - self.sealed >= self.every:
                await self.seal()
            await asyncio.sleep(self.poll)

    async def seal(self) -> None:
        """Indexes what is new and signs a checkpoint of the present head."""
        try:
            checkpoint = await asyncio.to_thread(self.auditor.checkpoint)
        except Exception as error:  # the next round tries again; the history itself is safe
            log.error("audit checkpoint failed", error=repr(error))
            return
        self.sealed = checkpoint.position
        log.info("audit checkpoint", position=checkpoint.position, size=checkpoint.size)
