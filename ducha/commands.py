"""The application layer: each command loads an aggregate, calls one domain method, saves.

The domain gets `now`, the unit registry and the actor from here; the writer commits.
Commands arrive from HTTP, from other levels' messages and from the clock alike.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import UUID, uuid4

from domain.actor import Actor
from domain.case import Case
from domain.errors import DomainError
from domain.units import UnitRegistry
from ducha.clock import Clock
from ducha.metrics import COMMAND_SECONDS, COMMANDS
from ducha.writer import Outcome, Writer


class CaseCommands:
    """Commands on supervision cases (督查事项)."""

    def __init__(self, writer: Writer, registry: UnitRegistry, clock: Clock) -> None:
        self.writer = writer
        self.registry = registry
        self.clock = clock

    async def propose(self, actor: Actor, *, on: date | None = None, case_id: UUID | None = None, **fields: Any) -> Outcome:
        new_id = case_id or uuid4()

        def act(_: Any) -> Case:
            now = self.clock.now()
            return Case.propose(case_id=new_id, actor=actor, on=on or now.date(), now=now, registry=self.registry, **fields)

        return await self._run("propose", None, act, None)

    async def approve(
        self, actor: Actor, case_id: UUID, *, on: date | None = None, remarks: str = "", expected_version: int | None = None
    ) -> Outcome:
        return await self._on_case("approve", actor, case_id, expected_version, on, remarks=remarks)

    async def reject(
        self, actor: Actor, case_id: UUID, *, reason: str, on: date | None = None, expected_version: int | None = None
    ) -> Outcome:
        return await self._on_case("reject", actor, case_id, expected_version, on, reason=reason)

    async def _on_case(
        self, method: str, actor: Actor, case_id: UUID, expected_version: int | None, on: date | None, **kwargs: Any
    ) -> Outcome:
        def act(case: Any) -> Case:
            now = self.clock.now()
            getattr(case, method)(actor=actor, on=on or now.date(), now=now, registry=self.registry, **kwargs)
            return case

        return await self._run(method, case_id, act, expected_version)

    async def _run(self, command: str, case_id: UUID | None, act: Callable[[Any], Case], expected: int | None) -> Outcome:
        started = time.perf_counter()
        try:
            outcome = await self.writer.execute(case_id, act, expected)
        except DomainError as error:
            COMMANDS.labels(command, error.slug).inc()
            raise
        except Exception:
            COMMANDS.labels(command, "error").inc()
            raise
        COMMANDS.labels(command, "ok").inc()
        COMMAND_SECONDS.labels(command).observe(time.perf_counter() - started)
        return outcome
