"""Steps 7–8 of the supervision case: the work itself (site visits 实地督查, self-inspection 自查,
findings, evidence, third-party evaluation 第三方评估, surveys, formal talks 约谈) and the
office's report (督查报告) to its government.

Events and commands of `Case`, kept here so the aggregate's module stays readable.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from eventsourcing.domain import Aggregate

from domain.actor import Actor, Role
from domain.calendar import WorkingCalendar, is_working_days_before
from domain.case_base import CaseRules, CaseState, check_act_date
from domain.errors import ActNotAllowed, InvalidCommand, NotFound, WrongState
from domain.policy import Policy
from domain.units import UnitRegistry


class Work(CaseRules):
    """What the supervisors, the targets and the evaluators record while the case is worked."""

    class SiteVisitConducted(Aggregate.Event):
        """Step 7: supervisors were on site at a target (for a covert case: 四不两直)."""

        actor: dict[str, str]
        on: date
        target: str
        supervisors: list[str]
        summary: str

        def apply(self, case: Any) -> None:
            case.visited.setdefault(self.target, self.on)

    class SelfInspectionSubmitted(Aggregate.Event):
        """Step 7: a target's self-inspection and written explanation (自查、说明)."""

        actor: dict[str, str]
        on: date
        target: str
        report: str
        items: dict[str, str]

    class FindingRecorded(Aggregate.Event):
        """Step 7: the office's finding on one item at one target."""

        actor: dict[str, str]
        on: date
        finding_id: str
        target: str
        item: str
        text: str

        def apply(self, case: Any) -> None:
            case.findings[self.finding_id] = self.target

    class EvidenceAttached(Aggregate.Event):
        """Step 7: a document's digest and title (the bytes live elsewhere)."""

        actor: dict[str, str]
        on: date
        digest: str
        title: str
        finding_id: str | None
        target: str | None

    class EvaluationSubmitted(Aggregate.Event):
        """Step 7: an entrusted third-party evaluator's view, item by item (第三方评估)."""

        actor: dict[str, str]
        on: date
        target: str
        items: dict[str, str]
        summary: str

    class SurveyResultRecorded(Aggregate.Event):
        """Step 7: the result of a survey, forum, hearing or statistics (座谈、听证、统计)."""

        actor: dict[str, str]
        on: date
        target: str | None
        survey: str
        result: str

    class TalkHeld(Aggregate.Event):
        """Step 7: a formal talk (约谈) with a target's responsible person."""

        actor: dict[str, str]
        on: date
        target: str
        person: str
        summary: str

    class ReportSubmitted(Aggregate.Event):
        """Step 8: the office's report to its government, and reported up to the next level."""

        actor: dict[str, str]
        on: date
        summary: str
        report_up: bool

        def apply(self, case: Any) -> None:
            case._state = CaseState.REPORTED
            case.reported_on = self.on

    # ---- commands ---------------------------------------------------------------------

    def conduct_site_visit(
        self,
        *,
        actor: Actor,
        on: date,
        now: datetime,
        registry: UnitRegistry,
        calendar: WorkingCalendar,
        policy: Policy,
        target: str,
        supervisors: Sequence[str] = (),
        summary: str = "",
    ) -> None:
        """Step 7: record a site visit; an open case only at a notified target, after the notice period."""
        self.check_planned("visit a target of")
        self.check_runner(actor, registry)
        self.check_target(target)
        self.check_supervisors_not_recused([actor.person, *supervisors], target)
        self.check_visit_after_notice(calendar, policy, target, on)
        check_act_date(on, now, not_before=self.notified.get(target, self.planned_on))
        self._record(self.SiteVisitConducted, actor, on, now, target=target, supervisors=list(supervisors), summary=summary)

    def submit_self_inspection(
        self, *, actor: Actor, on: date, now: datetime, report: str, items: dict[str, str] | None = None,
        registry: UnitRegistry | None = None,
    ) -> None:
        """Step 7 (自查): a target submits its self-inspection, once it knows of the case."""
        self.check_planned("self-inspect for")
        target = actor.unit
        self.check_acts_for_target(actor, target)
        self.check_target_aware(target)
        check_act_date(on, now, not_before=self.aware_since(target))
        self._record(self.SelfInspectionSubmitted, actor, on, now, target=target, report=report, items=dict(items or {}))

    def record_finding(
        self, *, actor: Actor, on: date, now: datetime, registry: UnitRegistry, finding_id: str, target: str, item: str, text: str
    ) -> None:
        """Step 7: the runner records a finding on one item at one target."""
        self.check_planned("record a finding in")
        self.check_runner(actor, registry)
        self.check_target(target)
        self.check_not_recused(actor, target)
        if finding_id in self.findings:
            raise InvalidCommand(f"finding {finding_id!r} is already recorded")
        check_act_date(on, now, not_before=self.planned_on)
        self._record(self.FindingRecorded, actor, on, now, finding_id=finding_id, target=target, item=item, text=text)

    def attach_evidence(
        self,
        *,
        actor: Actor,
        on: date,
        now: datetime,
        registry: UnitRegistry,
        digest: str,
        title: str,
        finding_id: str | None = None,
        target: str | None = None,
    ) -> None:
        """Step 7: the runner attaches a document (by digest and title) to the case or to a finding."""
        self.check_planned("attach evidence to")
        self.check_runner(actor, registry)
        if finding_id is not None and finding_id not in self.findings:
            raise InvalidCommand(f"no finding {finding_id!r} in this case")
        if not digest.strip() or not title.strip():
            raise InvalidCommand("evidence names its digest and its title")
        target = self.findings.get(finding_id, target) if finding_id else target
        if target is not None:
            self.check_target(target)
            self.check_not_recused(actor, target)
        check_act_date(on, now, not_before=self.planned_on)
        self._record(self.EvidenceAttached, actor, on, now, digest=digest, title=title, finding_id=finding_id, target=target)

    def submit_evaluation(
        self, *, actor: Actor, on: date, now: datetime, target: str, summary: str, items: dict[str, str] | None = None,
        registry: UnitRegistry | None = None,
    ) -> None:
        """Step 7 (第三方评估): an evaluator entrusted in the plan submits its evaluation of a target."""
        self.check_planned("evaluate for")
        if actor.role is not Role.EVALUATOR or actor.unit not in self.plan["evaluators"]:
            raise ActNotAllowed("only an evaluator entrusted in the plan submits evaluations")
        self.check_target(target)
        check_act_date(on, now, not_before=self.planned_on)
        self._record(self.EvaluationSubmitted, actor, on, now, target=target, items=dict(items or {}), summary=summary)

    def record_survey_result(
        self, *, actor: Actor, on: date, now: datetime, registry: UnitRegistry, survey: str, result: str, target: str | None = None
    ) -> None:
        """Step 7: the runner records a survey's, forum's or hearing's result."""
        self.check_planned("record a survey in")
        self.check_runner(actor, registry)
        if target is not None:
            self.check_target(target)
            self.check_not_recused(actor, target)
        check_act_date(on, now, not_before=self.planned_on)
        self._record(self.SurveyResultRecorded, actor, on, now, target=target, survey=survey, result=result)

    def hold_talk(
        self, *, actor: Actor, on: date, now: datetime, registry: UnitRegistry, target: str, person: str, summary: str
    ) -> None:
        """Step 7 (约谈): the runner records a formal talk with a target's responsible person."""
        self.check_planned("hold a talk in")
        self.check_runner(actor, registry)
        self.check_target(target)
        self.check_not_recused(actor, target)
        check_act_date(on, now, not_before=self.planned_on)
        self._record(self.TalkHeld, actor, on, now, target=target, person=person, summary=summary)

    def submit_report(
        self, *, actor: Actor, on: date, now: datetime, registry: UnitRegistry, summary: str, report_up: bool = True
    ) -> None:
        """Step 8: the runner reports to its government (and, with `report_up`, to the next level)."""
        self.check_planned("report on")
        self.check_state(CaseState.PLANNED, "report on")
        self.check_runner(actor, registry)
        if not summary.strip():
            raise InvalidCommand("a report has content")
        check_act_date(on, now, not_before=self.planned_on)
        self._record(self.ReportSubmitted, actor, on, now, summary=summary, report_up=report_up)

    # ---- rules ------------------------------------------------------------------------

    def check_visit_after_notice(self, calendar: WorkingCalendar, policy: Policy, target: str, on: date) -> None:
        """Raised when an open case's site visit comes before the target's notice, or sooner than
        `policy.notice_working_days` working days after it."""
        if self.covert:
            return
        notified = self.notified.get(target)
        if notified is None:
            raise WrongState(f"target {target} is notified before on-site work starts")
        enough, _ = is_working_days_before(calendar, notified, on, policy.notice_working_days)
        if not enough:
            raise InvalidCommand(f"on-site work starts at least {policy.notice_working_days} working days after the notice")

    def check_target_aware(self, target: str) -> None:
        """Raised when a target acts on a case it may not know of yet (not notified, not visited)."""
        if self.aware_since(target) is None:
            raise NotFound("no such case")

    def aware_since(self, target: str) -> date | None:
        """When the target could first know of the case: its notice or, for a covert case, the visit."""
        return self.notified.get(target) or self.visited.get(target)
