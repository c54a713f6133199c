"""The clock (时钟): on each tick, the acts that time alone triggers — overdue and urging (催办).

On each tick the clock asks the due-items view (`projections/due_items.py`) which cases may
have something newly due, and runs the clock's command on each through the application
layer (`CaseCommands.run_clock`): a requirement past its deadline unverified is marked
overdue (RectificationOverdue, Art. 18), a review still open after Art. 17's 30 days is
marked overdue (ReviewDecisionOverdue), and a target with overdue requirements is urged
(TargetUrged) once per the policy's urging interval. Exactly once: the Case decides what is
newly due from its own history, so a second tick, a second clock or a restarted node
records nothing more. Its events say who acted: the node's own supervision office as the
system person "clock".
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from uuid import UUID

import structlog

from domain.actor import Actor, Role
from domain.errors import DomainError
from domain.policy import Policy
from ducha.clock import Clock
from ducha.commands import CaseCommands
from projections.due_items import due_cases
from projections.store import ViewStore

log = structlog.get_logger(__name__)

CLOCK_PERSON = "clock"


def clock_actor(node: str) -> Actor:
    """The system actor of the clock: the node's own supervision office (督查室), person "clock"."""
    return Actor(f"{node}-DCS", Role.AGENCY, CLOCK_PERSON)


@dataclass
class Tick:
    """What one tick did: the cases it visited and those where it recorded events (with the last position)."""

    visited: list[UUID] = field(default_factory=list)
    recorded: dict[UUID, int] = field(default_factory=dict)
    failed: dict[UUID, str] = field(default_factory=dict)


class ClockHandler:
    """Runs the clock's commands on the cases the due-items view points at, every `interval` seconds."""

    def __init__(
        self, cases: CaseCommands, views: ViewStore, clock: Clock, policy: Policy, node: str, *, interval: float = 60.0
    ) -> None:
        self.cases = cases
        self.views = views
        self.clock = clock
        self.policy = policy
        self.actor = clock_actor(node)
        self.interval = interval

    async def tick(self) -> Tick:
        """One pass over what is due today by the node's clock."""
        today = self.clock.now().date()
        result = Tick()
        for case_id in await asyncio.to_thread(due_cases, self.views, today, self.policy.urging_interval_days):
            await self._visit(UUID(case_id), result)
        return result

    async def _visit(self, case_id: UUID, result: Tick) -> None:
        result.visited.append(case_id)
        try:
            outcome = await self.cases.run_clock(self.actor, case_id)
        except DomainError as error:
            # One case's refusal (e.g. a concurrent change: VersionConflict) must not stop the others;
            # it is reported, and the next tick visits the case again.
            log.warning("clock could not act on a case", case=str(case_id), error=error.detail, type=error.slug)
            result.failed[case_id] = error.slug
            return
        if outcome.position:
            result.recorded[case_id] = outcome.position

    async def run(self) -> None:
        """Ticks every `interval` seconds until cancelled, the first one `interval` after start (the
        due-items view catches up first). A failed tick is logged and tried again at the next one."""
        while True:
            await asyncio.sleep(self.interval)
            try:
                done = await self.tick()
                if done.recorded:
                    log.info("clock recorded", cases=len(done.recorded), visited=len(done.visited))
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("clock tick failed; retrying at the next tick")
