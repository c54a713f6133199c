"""The ledger's clock (台账时钟): on each tick, what time alone triggers on ledger tasks and instructions.

For a task: overdue once its deadline has passed (TaskOverdue), urging (催办) once per the
policy's interval while overdue, and the review of its light (LightChanged, with a
TaskWarningRaised to the leader and the handler when it turns yellow or red). For an
instruction: overdue once its deadline has passed unanswered. The views point the clock at
candidates (a task whose light judged today differs from its recorded one, or that is past its
deadline and not marked or not urged lately; an instruction past its deadline and not marked);
the aggregates decide what is newly due, so a second tick or a restarted node records nothing
more. Each acts as the supervision office of the task's level, person "clock".
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from uuid import UUID

import structlog

from domain.actor import Actor, Role
from domain.calendar import WorkingCalendar
from domain.errors import DomainError
from domain.policy import Policy
from ducha.clock import Clock
from ducha.ledger_commands import InstructionCommands, TaskCommands
from handlers.clock import CLOCK_PERSON
from projections.instructions import waiting_past
from projections.ledger_tree import light_today, open_tasks
from projections.store import ViewStore

log = structlog.get_logger(__name__)


def office_clock(level: str) -> Actor:
    """The clock acting for the supervision office (督查室) of a level."""
    return Actor(f"{level}-DCS", Role.AGENCY, CLOCK_PERSON)


@dataclass
class LedgerTick:
    """What one tick did: the objects visited, those where it recorded (with the last position), those refused."""

    visited: list[UUID] = field(default_factory=list)
    recorded: dict[UUID, int] = field(default_factory=dict)
    failed: dict[UUID, str] = field(default_factory=dict)


def task_is_due(row: dict[str, Any], today: date, calendar: WorkingCalendar, policy: Policy) -> bool:
    """True when the clock may have something to record on an open task today."""
    if light_today(row, today, calendar, policy)[0] != row["light"]:
        return True
    if today <= date.fromisoformat(row["deadline"]):
        return False
    if row["overdue_on"] is None:
        return True
    urged = row["urged_on"]
    return urged is None or today >= date.fromisoformat(urged) + timedelta(days=policy.urging_interval_days)


class LedgerClock:
    """Runs the clock's commands on due tasks and instructions every `interval` seconds."""

    def __init__(
        self, tasks: TaskCommands, instructions: InstructionCommands, views: ViewStore, clock: Clock,
        calendar: WorkingCalendar, policy: Policy, *, interval: float = 60.0,
    ) -> None:
        self.tasks = tasks
        self.instructions = instructions
        self.views = views
        self.clock = clock
        self.calendar = calendar
        self.policy = policy
        self.interval = interval

    async def tick(self) -> LedgerTick:
        today = self.clock.now().date()
        result = LedgerTick()
        rows = await asyncio.to_thread(open_tasks, self.views)
        for row in rows:
            if task_is_due(row, today, self.calendar, self.policy):
                await self._visit(self.tasks.run_clock, UUID(row["task_id"]), result)
        for instruction_id in await asyncio.to_thread(waiting_past, self.views, today):
            await self._visit(self.instructions.run_clock, UUID(instruction_id), result)
        return result

    async def _visit(self, command: Any, object_id: UUID, result: LedgerTick) -> None:
        result.visited.append(object_id)
        try:
            outcome = await command(office_clock, object_id)
        except DomainError as error:  # one refusal must not stop the others; the next tick tries again
            log.warning("ledger clock could not act", id=str(object_id), error=error.detail, type=error.slug)
            result.failed[object_id] = error.slug
            return
        if outcome.position:
            result.recorded[object_id] = outcome.position

    async def run(self) -> None:
        """Ticks every `interval` seconds until cancelled; a failed tick is logged and tried again at the next."""
        while True:
            await asyncio.sleep(self.interval)
            try:
                done = await self.tick()
                if done.recorded:
                    log.info("ledger clock recorded", objects=len(done.recorded), visited=len(done.visited))
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("ledger clock tick failed; retrying at the next tick")
