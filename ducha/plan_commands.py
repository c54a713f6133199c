"""The application layer of the annual plan (年度督查检查考核计划), of 一事一报 at a case's approval, and of
written demands for material (最多报一次).

一事一报: a case is approved only when the filed plan of its level for the year of its window
holds it (an activity of kind supervision visiting all its targets in a window covering its
first day), or the principal leader approved it on its own (`OutOfPlanActivityApproved`). A
level without a filed plan for that year has nothing to check against yet: the case is approved
as before. The check runs on the writer thread, inside the approval's own act, so a plan filed
or an approval recorded before it is always seen. Refused: 403 `out-of-plan`.
"""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError

from domain.actor import Actor
from domain.annual_plan import Activity, ActivityKind, AnnualPlan, plan_id
from domain.case import Case
from domain.case_base import CaseState
from domain.errors import ActNotAllowed
from domain.material import Demanded, FormReport, MaterialRegister, register_id
from ducha.commands import CaseCommands, check_is
from ducha.ledger_base import Commands
from ducha.writer import Outcome

# Commands on an existing plan: name on the wire → the domain method (each takes the registry).
PLAN_COMMANDS = {"plan-activity": "plan_activity", "set-cap": "set_cap", "file": "file"}


class OutOfPlan(ActNotAllowed):
    """Raised when a case outside the filed annual plan is approved without its own approval (一事一报)."""

    slug = "out-of-plan"
    title = "The case is outside the filed annual plan and has no approval of its own (一事一报)"


def activity_of(case: Case) -> Activity:
    """A case as the plan judges it: a supervision visiting its targets on its window's first day."""
    return Activity(ActivityKind.SUPERVISION, tuple(case.targets), case.window[0], str(case.id))


def check_in_plan(plan: AnnualPlan | None, case: Case) -> None:
    """Raised (OutOfPlan) when the level's plan is filed and neither holds the case nor approved it on its own."""
    if plan is None or plan.filed_on is None:
        return
    try:
        plan.check_out_of_plan_approved(activity_of(case))
    except ActNotAllowed as refused:
        raise OutOfPlan(refused.detail) from None


class PlanCommands(Commands):
    """Commands on annual plans and material registers."""

    async def draft(self, actor: Actor, *, year: int, on: date | None = None, **fields: Any) -> Outcome:
        def act(_: None) -> AnnualPlan:
            now = self.clock.now()
            return AnnualPlan.draft(actor=actor, on=on or now.date(), now=now, registry=self.registry, year=year, **fields)

        return await self._run("plan-draft", None, act)

    async def run(
        self, command: str, actor: Actor, government: str, year: int, *, on: date | None = None,
        expected_version: int | None = None, **fields: Any,
    ) -> Outcome:
        """One of PLAN_COMMANDS on the plan of `government` for `year`."""
        method_name = PLAN_COMMANDS[command]
        the_plan = plan_id(government, year)

        def act(plan: AnnualPlan) -> AnnualPlan:
            check_is(plan, AnnualPlan, the_plan)
            now = self.clock.now()
            getattr(plan, method_name)(actor=actor, on=on or now.date(), now=now, registry=self.registry, **fields)
            return plan

        return await self._run(f"plan-{command}", the_plan, act, expected_version)

    async def approve_out_of_plan(
        self, actor: Actor, case_id: UUID, *, grounds: str, on: date | None = None, expected_version: int | None = None
    ) -> Outcome:
        """一事一报: the principal leader approves one case outside the plan of its level and year."""
        case = await asyncio.to_thread(self.load, case_id, Case)
        activity = activity_of(case)
        the_plan = plan_id(case.level, activity.on.year)

        def act(plan: AnnualPlan) -> AnnualPlan:
            check_is(plan, AnnualPlan, the_plan)
            now = self.clock.now()
            plan.approve_out_of_plan(
                actor=actor, on=on or now.date(), now=now, registry=self.registry, activity=activity, title=case.title,
                grounds=grounds,
            )
            return plan

        return await self._run("plan-approve-out-of-plan", the_plan, act, expected_version)

    # ---- 最多报一次 ---------------------------------------------------------------------

    async def demand_material(
        self, actor: Actor, unit: str, *, form: str, due: date | None = None, on: date | None = None
    ) -> tuple[Demanded, Outcome | None]:
        """A written demand for a form: a new demand (recorded), the pending one, or the earlier report."""
        day = on or self.clock.now().date()
        register = register_id(unit, day.year)
        exists = await asyncio.to_thread(self.load_or_none, register)
        answer: list[Demanded] = []

        def act(found: MaterialRegister | None) -> MaterialRegister:
            now = self.clock.now()
            if found is None:
                found = MaterialRegister.open(actor=actor, on=day, now=now, registry=self.registry, unit=unit, year=day.year)
            check_is(found, MaterialRegister, register)
            answer.append(found.demand(
                actor=actor, on=day, now=now, registry=self.registry, request_id=str(uuid4()), form=form, due=due
            ))
            return found

        outcome = await self._run("material-demand", register if exists is not None else None, act)
        return answer[0], outcome if answer[0].is_new and outcome.position else None

    async def report_form(
        self, actor: Actor, unit: str, year: int, *, request_id: str, digest: str, title: str, on: date | None = None
    ) -> tuple[FormReport, Outcome]:
        """The unit reports the form a demand asked for."""
        register = register_id(unit, year)
        reported: list[FormReport] = []

        def act(found: MaterialRegister) -> MaterialRegister:
            check_is(found, MaterialRegister, register)
            now = self.clock.now()
            reported.append(found.report(actor=actor, on=on or now.date(), now=now, request_id=request_id, digest=digest, title=title))
            return found

        outcome = await self._run("material-report", register, act)
        return reported[0], outcome


class PlannedCaseCommands(CaseCommands):
    """The node's case commands with 一事一报 at approval: an approval checks the filed plan of the case's level
    for the year of its window, in the approval's own act.

    The plan is read from the repository's cache without a copy (the check only reads it), and
    a level and year known to have no plan is not asked again (a miss is never cached by the
    repository, so every approval at a level without a plan read the store): the writer is the
    store's only writer, and a plan it saves is forgotten as absent before its command is answered.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._absent: set[UUID] = set()  # plan ids read and not found; touched on the writer thread only
        self.writer.on_recorded(self._plans_saved)

    def _plans_saved(self, aggregates: list[Any], _positions: Any) -> None:
        for aggregate in aggregates:
            if isinstance(aggregate, AnnualPlan):
                self._absent.discard(aggregate.id)

    async def run(
        self, command: str, actor: Actor, case_id: UUID, *, on: date | None = None,
        expected_version: int | None = None, **fields: Any,
    ) -> Outcome:
        if command != "approve":
            return await super().run(command, actor, case_id, on=on, expected_version=expected_version, **fields)

        def act(case: Case) -> Case:
            check_is(case, Case, case_id)
            now = self.clock.now()
            # The step's own refusals first (state, approver), then the plan's: the domain's order of questions.
            case.check_state(CaseState.PROPOSED, "approve")
            case.check_approver(actor, self.registry)
            check_in_plan(self._plan(case), case)
            case.approve(actor=actor, on=on or now.date(), now=now, registry=self.registry, **fields)
            return case

        return await self._run(command, case_id, act, expected_version)

    def _plan(self, case: Case) -> AnnualPlan | None:
        wanted = plan_id(case.level, case.window[0].year)
        if wanted in self._absent:
            return None
        repository = self.writer.app.repository
        try:
            plan = repository.get(wanted, deepcopy_from_cache=repository.fastforward)
        except AggregateNotFoundError:
            self._absent.add(wanted)
            return None
        return plan if isinstance(plan, AnnualPlan) else None
