"""The application layer: each command loads an aggregate, calls one domain method, saves.

The domain gets `now`, the unit registry, the working-day calendar, the policy and the
actor from here; the writer commits. Commands arrive from HTTP, from other levels'
messages and from the clock alike, and all pass through `CaseCommands.run`.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import date
from functools import cache
from typing import Any
from uuid import UUID, uuid4

from domain.actor import Actor
from domain.calendar import WorkingCalendar
from domain.case import Case
from domain.errors import DomainError, NotFound
from domain.policy import Policy
from domain.units import UnitRegistry
from ducha.clock import Clock
from ducha.metrics import COMMAND_SECONDS, COMMANDS
from ducha.writer import Outcome, Writer

# Every command on an existing case: its name on the wire (kebab case) → the domain method.
CASE_COMMANDS: dict[str, str] = {
    name.replace("_", "-"): name
    for name in (
        "approve", "reject", "file", "adopt_plan", "amend_plan", "recuse_supervisor", "notify_targets",
        "conduct_site_visit", "submit_self_inspection", "record_finding", "attach_evidence", "submit_evaluation",
        "record_survey_result", "hold_talk", "submit_report", "issue_conclusion", "deliver_conclusion",
        "request_review", "decide_review", "report_rectification", "complete_rectification", "verify_rectification",
        "return_rectification", "urge_target", "close", "propose_commendation", "commend", "propose_criticism",
        "criticize", "propose_accountability", "refer_accountability", "tolerate_fault", "deduct_performance",
        "propose_document_revision", "refer_lead", "record_internal_note", "save_conclusion_draft",
        "save_evaluation_draft",
    )
}


def check_is(aggregate: object, kind: type, aggregate_id: UUID) -> None:
    """Raised when the id names another kind of object (a lead's id on a case route)."""
    if not isinstance(aggregate, kind):
        raise NotFound(f"no {kind.__name__.lower()} {aggregate_id}")


async def counted(command: str, execution: Awaitable[Outcome]) -> Outcome:
    """Awaits a command's execution, counting its outcome (ok, the domain error's slug, or error) and time."""
    started = time.perf_counter()
    try:
        outcome = await execution
    except DomainError as error:
        COMMANDS.labels(command, error.slug).inc()
        raise
    except Exception:
        COMMANDS.labels(command, "error").inc()
        raise
    COMMANDS.labels(command, "ok").inc()
    COMMAND_SECONDS.labels(command).observe(time.perf_counter() - started)
    return outcome


@cache
def _parameters(method: Callable[..., Any]) -> frozenset[str]:
    return frozenset(inspect.signature(method).parameters)


class CaseCommands:
    """Commands on supervision cases (督查事项)."""

    def __init__(
        self, writer: Writer, registry: UnitRegistry, clock: Clock, calendar: WorkingCalendar, policy: Policy
    ) -> None:
        self.writer = writer
        self.registry = registry
        self.clock = clock
        self.calendar = calendar
        self.policy = policy

    async def propose(self, actor: Actor, *, on: date | None = None, case_id: UUID | None = None, **fields: Any) -> Outcome:
        new_id = case_id or uuid4()

        def act(_: None) -> Case:
            now = self.clock.now()
            return Case.propose(case_id=new_id, actor=actor, on=on or now.date(), now=now, registry=self.registry, **fields)

        return await self._run("propose", None, act, None)

    async def run(
        self,
        command: str,
        actor: Actor,
        case_id: UUID,
        *,
        on: date | None = None,
        expected_version: int | None = None,
        **fields: Any,
    ) -> Outcome:
        """Runs one command of CASE_COMMANDS on a case; `on` defaults to today."""
        method_name = CASE_COMMANDS[command]

        def act(case: Case) -> Case:
            check_is(case, Case, case_id)
            now = self.clock.now()
            method = getattr(case, method_name)
            context = {"actor": actor, "on": on or now.date(), "now": now, **self._context(method)}
            method(**context, **fields)
            return case

        return await self._run(command, case_id, act, expected_version)

    async def merge(
        self, actor: Actor, survivor_id: UUID, absorbed_id: UUID, *, grounds: str, on: date | None = None,
        expected_version: int | None = None,
    ) -> Outcome:
        """Step 5 (能合尽合): two cases become one visit; both record CasesMerged in one transaction."""

        def act(survivor: Case, absorbed: Case) -> Sequence[Case]:
            check_is(survivor, Case, survivor_id)
            check_is(absorbed, Case, absorbed_id)
            now = self.clock.now()
            day = on or now.date()
            absorbed.merge_into(actor=actor, on=day, now=now, registry=self.registry, survivor=survivor, grounds=grounds)
            survivor.absorb(actor=actor, on=day, now=now, registry=self.registry, absorbed=absorbed, grounds=grounds)
            return [survivor, absorbed]

        return await self._run("merge", survivor_id, act, expected_version, others=(absorbed_id,))

    async def run_clock(self, actor: Actor, case_id: UUID) -> Outcome:
        """The clock's commands on one case, dated by the node's clock, in one save: requirements past their
        deadline (RectificationOverdue), reviews past Art. 17's decision day (ReviewDecisionOverdue) and
        urging (TargetUrged, 催办). Each records only what is newly due, so a repeated visit records nothing."""

        def act(case: Case) -> Case:
            now = self.clock.now()
            case.mark_overdue(actor=actor, now=now)
            case.mark_review_overdue(actor=actor, now=now)
            case.urge_overdue(actor=actor, now=now, registry=self.registry, policy=self.policy)
            return case

        return await self._run("clock", case_id, act, None)

    def _context(self, method: Callable[..., Any]) -> dict[str, Any]:
        """The collaborators a domain method asks for by name: registry, calendar, policy."""
        wanted = _parameters(method.__func__)  # type: ignore[attr-defined]
        offered = {"registry": self.registry, "calendar": self.calendar, "policy": self.policy}
        return {name: value for name, value in offered.items() if name in wanted}

    async def _run(
        self, command: str, case_id: UUID | None, act: Callable[..., Any], expected: int | None, others: Sequence[UUID] = ()
    ) -> Outcome:
        return await counted(command, self.writer.execute(case_id, act, expected, others))

    async def approve(self, actor: Actor, case_id: UUID, *, on: date | None = None, remarks: str = "",
                      expected_version: int | None = None) -> Outcome:
        return await self.run("approve", actor, case_id, on=on, expected_version=expected_version, remarks=remarks)

    async def reject(self, actor: Actor, case_id: UUID, *, reason: str, on: date | None = None,
                     expected_version: int | None = None) -> Outcome:
        return await self.run("reject", actor, case_id, on=on, expected_version=expected_version, reason=reason)
