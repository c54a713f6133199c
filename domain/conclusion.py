"""Steps 9–10 of the supervision case: the conclusion (督查结论, Art. 16), its delivery, and the
target's review (复核, Art. 17).

Art. 17 fixes two periods, rules rather than policy: a target applies for review within
30 days of receiving its conclusion, and the review is decided within 30 days of the
application. Periods are counted as `domain.calendar.period_end` counts them. While a
review is open, the affected requirements (整改意见) wait. A review still open after its
decision day is marked overdue once, by the clock (`mark_review_overdue`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from eventsourcing.domain import Aggregate

from domain.actor import Actor, Role
from domain.calendar import Deadline, WorkingCalendar, period_end
from domain.case_base import CaseRules, CaseState, check_act_date, check_grounds
from domain.errors import ActNotAllowed, InvalidCommand, WrongState
from domain.policy import Policy
from domain.rectification import Requirement, as_date
from domain.units import UnitRegistry

REVIEW_WINDOW_DAYS = 30  # Art. 17: apply within 30 days of receiving the conclusion
REVIEW_DECISION_DAYS = 30  # Art. 17: decide within 30 days of the application


class ReviewOutcome(StrEnum):
    """How a review (复核) ends."""

    UPHELD = "upheld"  # 维持
    AMENDED = "amended"  # 变更


class Conclusions(CaseRules):
    """Conclusions per target, their delivery, and reviews."""

    class ConclusionIssued(Aggregate.Event):
        """Step 9: the government's conclusion on one target: findings and requirements, each with a deadline."""

        actor: dict[str, str]
        on: date
        target: str
        summary: str
        findings: list[str]
        requirements: list[dict[str, Any]]
        participants: list[str]

        def apply(self, case: Any) -> None:
            case.conclusions[self.target] = {"issued_on": self.on, "participants": set(self.participants)}
            for data in self.requirements:
                case.requirements[data["id"]] = Requirement.from_dict(self.target, data)

    class ConclusionDelivered(Aggregate.Event):
        """Step 9: the conclusion reached its target; the review period starts the next day."""

        actor: dict[str, str]
        on: date
        target: str

        def apply(self, case: Any) -> None:
            case.conclusions[self.target]["delivered_on"] = self.on

    class ReviewRequested(Aggregate.Event):
        """Step 10: the target applies for review (复核) of its conclusion."""

        actor: dict[str, str]
        on: date
        target: str
        grounds: str
        decide_by: date
        provisional: bool

        def apply(self, case: Any) -> None:
            case.conclusions[self.target]["review_requested_on"] = self.on
            case.conclusions[self.target]["review_open"] = True
            case.conclusions[self.target]["decide_by"] = self.decide_by

    class ReviewDecided(Aggregate.Event):
        """Step 10: the review upholds or amends the conclusion; dropped requirements are waived on its grounds."""

        actor: dict[str, str]
        on: date
        target: str
        outcome: str
        grounds: str
        requirements: list[dict[str, Any]]
        late: bool = False

        def apply(self, case: Any) -> None:
            case.conclusions[self.target]["review_open"] = False
            if self.outcome == ReviewOutcome.AMENDED.value:
                case.replace_requirements(self.target, self.requirements, self.grounds)

    class ReviewDecisionOverdue(Aggregate.Event):
        """Step 10: the clock saw the 30 days of Art. 17 for deciding a review pass with the review open (once)."""

        actor: dict[str, str]
        on: date
        target: str
        decide_by: date

        def apply(self, case: Any) -> None:
            case.conclusions[self.target]["review_overdue"] = True

    # ---- commands ---------------------------------------------------------------------

    def issue_conclusion(
        self,
        *,
        actor: Actor,
        on: date,
        now: datetime,
        registry: UnitRegistry,
        target: str,
        summary: str,
        findings: Sequence[str] = (),
        requirements: Sequence[dict[str, Any]] = (),
        participants: Sequence[str] = (),
    ) -> None:
        """Step 9 (督查结论): the same level's government concludes on one target, after the report.

        `requirements` are {"id", "text", "deadline"}; `participants` are everyone who took
        part in making the conclusion (the issuer is always one), recused from its review.
        """
        self.check_state(CaseState.REPORTED, "conclude")
        self.check_same_level(actor, registry, Role.GOVERNMENT)
        self.check_target(target)
        people = list(dict.fromkeys([actor.person, *participants]))
        self.check_supervisors_not_recused(people, target)
        if target in self.conclusions:
            raise WrongState(f"a conclusion on {target} is already issued; it changes only by review")
        check_act_date(on, now, not_before=self.reported_on)
        self.check_findings_of(target, findings)
        self.check_requirements(requirements, on)
        self._record(
            self.ConclusionIssued, actor, on, now, target=target, summary=summary, findings=list(findings),
            requirements=[Requirement.payload(r) for r in requirements], participants=people,
        )

    def deliver_conclusion(self, *, actor: Actor, on: date, now: datetime, registry: UnitRegistry, target: str) -> None:
        """Step 9: the runner records that the conclusion reached its target (送达)."""
        conclusion = self.conclusion_of(target)
        self.check_runner(actor, registry)
        if "delivered_on" in conclusion:
            raise WrongState(f"the conclusion on {target} is already delivered")
        check_act_date(on, now, not_before=conclusion["issued_on"])
        self._record(self.ConclusionDelivered, actor, on, now, target=target)

    def request_review(
        self, *, actor: Actor, on: date, now: datetime, calendar: WorkingCalendar, policy: Policy, grounds: str,
        registry: UnitRegistry | None = None,
    ) -> None:
        """Step 10 (复核申请): the target applies within 30 days of receiving its conclusion (Art. 17)."""
        target = actor.unit
        self.check_acts_for_target(actor, target)
        conclusion = self.delivered_conclusion_of(target)
        if "review_requested_on" in conclusion:
            raise WrongState("a conclusion is reviewed once")
        check_grounds(grounds, "an application for review")
        check_act_date(on, now, not_before=conclusion["delivered_on"])
        self.check_within(self.review_window(target, calendar, policy), on, "apply for review")
        decide_by = period_end(calendar, on, REVIEW_DECISION_DAYS, shift_off_holidays=policy.shift_period_end_off_holidays)
        self._record(
            self.ReviewRequested, actor, on, now, target=target, grounds=grounds, decide_by=decide_by.on,
            provisional=decide_by.provisional,
        )

    def decide_review(
        self,
        *,
        actor: Actor,
        on: date,
        now: datetime,
        registry: UnitRegistry,
        calendar: WorkingCalendar,
        policy: Policy,
        target: str,
        outcome: ReviewOutcome,
        grounds: str,
        requirements: Sequence[dict[str, Any]] = (),
    ) -> None:
        """Step 10 (复核决定): the government decides within 30 days, by no one who made the conclusion."""
        conclusion = self.conclusion_of(target)
        if not conclusion.get("review_open"):
            raise WrongState(f"no review of {target}'s conclusion is open")
        self.check_same_level(actor, registry, Role.GOVERNMENT)
        self.check_reviewer_not_participant(actor, conclusion)
        check_grounds(grounds, "a review decision")
        requested = conclusion["review_requested_on"]
        check_act_date(on, now, not_before=requested)
        shift = policy.shift_period_end_off_holidays
        # Art. 17's 30 days bind the government, not the applicant: a late decision is still
        # taken (refusing it would leave the review open for ever and the requirements
        # waiting), and is recorded as late beside the clock's ReviewDecisionOverdue.
        late = on > period_end(calendar, requested, REVIEW_DECISION_DAYS, shift_off_holidays=shift).on
        outcome = ReviewOutcome(outcome)
        if outcome is ReviewOutcome.UPHELD and requirements:
            raise InvalidCommand("a review that upholds the conclusion does not change its requirements")
        self.check_requirements(requirements, on, replacing=target)
        self._record(
            self.ReviewDecided, actor, on, now, target=target, outcome=outcome.value, grounds=grounds,
            requirements=[Requirement.payload(r) for r in requirements], late=late,
        )

    def mark_review_overdue(self, *, actor: Actor, now: datetime, registry: UnitRegistry | None = None) -> list[str]:
        """The clock's command: marks each open review whose decision period (Art. 17) has passed, once.

        Dated by the node's clock. Returns the targets whose review it marked.
        """
        due = [target for target, c in self.conclusions.items() if self.is_review_newly_overdue(c, now.date())]
        for target in due:
            self._record(
                self.ReviewDecisionOverdue, actor, now.date(), now, target=target,
                decide_by=self.conclusions[target]["decide_by"],
            )
        return due

    # ---- rules ------------------------------------------------------------------------

    @staticmethod
    def is_review_newly_overdue(conclusion: dict[str, Any], today: date) -> bool:
        """True when a review is open past its decision day (Art. 17: 30 days) and not yet marked overdue."""
        open_review = conclusion.get("review_open", False) and not conclusion.get("review_overdue", False)
        return open_review and today > conclusion["decide_by"]

    def conclusion_of(self, target: str) -> dict[str, Any]:
        """The target's conclusion; raised when none is issued."""
        self.check_target(target)
        if target not in self.conclusions:
            raise WrongState(f"no conclusion on {target} is issued")
        return self.conclusions[target]

    def delivered_conclusion_of(self, target: str) -> dict[str, Any]:
        """The target's delivered conclusion; raised when it is not delivered yet (the target cannot know it)."""
        conclusion = self.conclusion_of(target)
        if "delivered_on" not in conclusion:
            raise WrongState(f"the conclusion on {target} is not delivered yet")
        return conclusion

    def review_window(self, target: str, calendar: WorkingCalendar, policy: Policy) -> Deadline:
        """The last day on which the target may apply for review (Art. 17)."""
        delivered = self.delivered_conclusion_of(target)["delivered_on"]
        return period_end(calendar, delivered, REVIEW_WINDOW_DAYS, shift_off_holidays=policy.shift_period_end_off_holidays)

    @staticmethod
    def check_within(deadline: Deadline, on: date, act: str) -> None:
        """Raised when an act of Art. 17 comes after the last day of its period."""
        if on > deadline.on:
            raise InvalidCommand(f"too late to {act}: the period ended on {deadline}")

    @staticmethod
    def check_reviewer_not_participant(actor: Actor, conclusion: dict[str, Any]) -> None:
        """Raised when someone who took part in making the conclusion would decide its review (回避)."""
        if actor.person in conclusion["participants"]:
            raise ActNotAllowed(f"{actor.person} took part in the conclusion and is recused from its review")

    def check_findings_of(self, target: str, findings: Sequence[str]) -> None:
        """Raised when a conclusion cites a finding that is not recorded on its target."""
        for finding in findings:
            if self.findings.get(finding) != target:
                raise InvalidCommand(f"finding {finding!r} is not recorded on {target}")

    def check_requirements(self, requirements: Sequence[dict[str, Any]], on: date, replacing: str | None = None) -> None:
        """Raised when a requirement lacks text, has a deadline before the act, or reuses another's id."""
        taken = {rid for rid, r in self.requirements.items() if r.target != replacing}
        ids = [r.get("id") for r in requirements]
        if len(set(ids)) != len(ids) or taken & set(ids) or not all(ids):
            raise InvalidCommand("each requirement has its own id")
        for r in requirements:
            if not str(r.get("text", "")).strip() or r.get("deadline") is None or as_date(r["deadline"]) < on:
                raise InvalidCommand(f"requirement {r['id']!r} states its text and a deadline not before {on}")
