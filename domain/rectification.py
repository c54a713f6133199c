"""Steps 11 and 13 of the supervision case: rectification (整改, Art. 18) of each requirement
(整改意见), its check by the office (核查), overdue and urging (催办), and closure (办结).

A requirement can be rectified only once its conclusion is delivered and while no review
of it is open. The clock's commands are dated by the node's clock: `mark_overdue` marks
each requirement overdue at most once, and `urge_overdue` urges a target with overdue
requirements at most once per the policy's urging interval.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from eventsourcing.domain import Aggregate

from domain.actor import Actor, Role
from domain.case_base import CaseRules, CaseState, check_act_date, check_grounds
from domain.errors import InvalidCommand, WrongState
from domain.policy import Policy
from domain.units import UnitRegistry


class RequirementStatus(StrEnum):
    """Where one rectification requirement stands."""

    OPEN = "open"
    IN_PROGRESS = "in-progress"  # progress reported
    COMPLETED = "completed"  # claimed done by the target
    VERIFIED = "verified"  # checked by the office (核查)
    RETURNED = "returned"  # checked and sent back
    WAIVED = "waived"  # dropped with grounds (a review's amendment or the closure)


def as_date(value: date | str) -> date:
    """A date given as a date or as ISO text (as it arrives from JSON)."""
    return value if isinstance(value, date) else date.fromisoformat(value)


DONE = frozenset({RequirementStatus.VERIFIED, RequirementStatus.WAIVED})


@dataclass
class Requirement:
    """A rectification requirement of a conclusion, with its deadline. Part of the Case's fold."""

    id: str
    target: str
    text: str
    deadline: date
    status: RequirementStatus = RequirementStatus.OPEN
    overdue: bool = False
    completed_on: date | None = None
    settled_on: date | None = None

    @staticmethod
    def payload(data: dict[str, Any]) -> dict[str, Any]:
        """The form a requirement takes in an event."""
        return {"id": str(data["id"]), "text": str(data["text"]), "deadline": as_date(data["deadline"])}

    @classmethod
    def from_dict(cls, target: str, data: dict[str, Any]) -> Requirement:
        return cls(id=data["id"], target=target, text=data["text"], deadline=data["deadline"])


class Rectification(CaseRules):
    """Rectification per requirement, the clock's overdue marks, urging, and closure."""

    class RectificationReported(Aggregate.Event):
        """Step 11: the target reports progress on a requirement."""

        actor: dict[str, str]
        on: date
        requirement_id: str
        progress: str
        percent: int | None

        def apply(self, case: Any) -> None:
            case.requirements[self.requirement_id].status = RequirementStatus.IN_PROGRESS

    class RectificationCompleted(Aggregate.Event):
        """Step 11: the target claims a requirement is rectified."""

        actor: dict[str, str]
        on: date
        requirement_id: str
        summary: str

        def apply(self, case: Any) -> None:
            requirement = case.requirements[self.requirement_id]
            requirement.status, requirement.completed_on = RequirementStatus.COMPLETED, self.on

    class RectificationVerified(Aggregate.Event):
        """Step 11 (核查): the office confirms the rectification."""

        actor: dict[str, str]
        on: date
        requirement_id: str
        remarks: str

        def apply(self, case: Any) -> None:
            requirement = case.requirements[self.requirement_id]
            requirement.status, requirement.settled_on = RequirementStatus.VERIFIED, self.on

    class RectificationReturned(Aggregate.Event):
        """Step 11 (核查): the office sends the rectification back, with its reason."""

        actor: dict[str, str]
        on: date
        requirement_id: str
        reason: str

        def apply(self, case: Any) -> None:
            case.requirements[self.requirement_id].status = RequirementStatus.RETURNED

    class RectificationOverdue(Aggregate.Event):
        """Step 11: the clock saw a requirement's deadline pass unverified (once per requirement)."""

        actor: dict[str, str]
        on: date
        requirement_id: str
        target: str
        deadline: date

        def apply(self, case: Any) -> None:
            case.requirements[self.requirement_id].overdue = True

    class TargetUrged(Aggregate.Event):
        """Step 11 (催办): the office or the clock urges a target."""

        actor: dict[str, str]
        on: date
        target: str
        requirement_id: str | None
        message: str

        def apply(self, case: Any) -> None:
            case.urged[self.target] = self.on

    class CaseClosed(Aggregate.Event):
        """Step 13 (办结): every requirement verified, or waived with grounds."""

        actor: dict[str, str]
        on: date
        summary: str
        waivers: dict[str, str]

        def apply(self, case: Any) -> None:
            case._state = CaseState.CLOSED
            for rid in self.waivers:
                case.requirements[rid].status = RequirementStatus.WAIVED

    # ---- commands ---------------------------------------------------------------------

    def report_rectification(
        self, *, actor: Actor, on: date, now: datetime, requirement_id: str, progress: str, percent: int | None = None,
        registry: UnitRegistry | None = None,
    ) -> None:
        """Step 11: the target reports its progress on one requirement."""
        requirement = self.check_target_may_rectify(actor, requirement_id)
        if percent is not None and not 0 <= percent <= 100:
            raise InvalidCommand("progress is a percentage from 0 to 100")
        check_act_date(on, now, not_before=self.conclusions[requirement.target]["delivered_on"])
        self._record(self.RectificationReported, actor, on, now, requirement_id=requirement_id, progress=progress, percent=percent)

    def complete_rectification(
        self, *, actor: Actor, on: date, now: datetime, requirement_id: str, summary: str, registry: UnitRegistry | None = None
    ) -> None:
        """Step 11: the target claims one requirement rectified."""
        requirement = self.check_target_may_rectify(actor, requirement_id)
        if requirement.status is RequirementStatus.COMPLETED:
            raise WrongState(f"requirement {requirement_id!r} is already claimed complete")
        check_act_date(on, now, not_before=self.conclusions[requirement.target]["delivered_on"])
        self._record(self.RectificationCompleted, actor, on, now, requirement_id=requirement_id, summary=summary)

    def verify_rectification(
        self, *, actor: Actor, on: date, now: datetime, registry: UnitRegistry, requirement_id: str, remarks: str = ""
    ) -> None:
        """Step 11 (核查): the supervision office confirms a rectification the target claimed complete."""
        requirement = self.check_office_may_check(actor, registry, requirement_id)
        check_act_date(on, now, not_before=requirement.completed_on)
        self._record(self.RectificationVerified, actor, on, now, requirement_id=requirement_id, remarks=remarks)

    def return_rectification(
        self, *, actor: Actor, on: date, now: datetime, registry: UnitRegistry, requirement_id: str, reason: str
    ) -> None:
        """Step 11 (核查): the supervision office sends a claimed rectification back, with its reason."""
        requirement = self.check_office_may_check(actor, registry, requirement_id)
        check_grounds(reason, "a return of a rectification")
        check_act_date(on, now, not_before=requirement.completed_on)
        self._record(self.RectificationReturned, actor, on, now, requirement_id=requirement_id, reason=reason)

    def mark_overdue(self, *, actor: Actor, now: datetime, registry: UnitRegistry | None = None) -> list[str]:
        """The clock's command: marks each requirement past its deadline and unsettled overdue, once.

        Requirements waiting on an open review are not marked. Returns the ids marked.
        """
        due = [r for r in self.requirements.values() if self.is_newly_overdue(r, now.date())]
        for requirement in due:
            self._record(
                self.RectificationOverdue, actor, now.date(), now, requirement_id=requirement.id,
                target=requirement.target, deadline=requirement.deadline,
            )
        return [r.id for r in due]

    def urge_target(
        self, *, actor: Actor, on: date, now: datetime, registry: UnitRegistry, policy: Policy, target: str,
        message: str, requirement_id: str | None = None,
    ) -> None:
        """Step 11 (催办): the supervision office (or the clock, acting for it) urges a target."""
        self.check_active("urge a target of")
        self.check_same_level(actor, registry, Role.AGENCY)
        self.check_target(target)
        if requirement_id is not None:
            self.check_requirement(requirement_id)
        self.check_urging_interval(policy, target, on)
        check_act_date(on, now)
        self._record(self.TargetUrged, actor, on, now, target=target, requirement_id=requirement_id, message=message)

    def urge_overdue(self, *, actor: Actor, now: datetime, registry: UnitRegistry, policy: Policy) -> list[str]:
        """The clock's command (催办): urges each target with overdue requirements, at most once per urging interval.

        Dated by the node's clock; a target urged within the interval (by anyone) is left alone.
        Returns the targets it urged.
        """
        urged = []
        for target, overdue in self.overdue_by_target().items():
            last = self.urged.get(target)
            if last is not None and now.date() < last + timedelta(days=policy.urging_interval_days):
                continue
            message = f"整改逾期，请抓紧办理并报送整改情况：{'、'.join(r.id for r in overdue)}"
            self.urge_target(
                actor=actor, on=now.date(), now=now, registry=registry, policy=policy, target=target,
                message=message, requirement_id=overdue[0].id,
            )
            urged.append(target)
        return urged

    def close(
        self, *, actor: Actor, on: date, now: datetime, registry: UnitRegistry, summary: str = "",
        waivers: dict[str, str] | None = None,
    ) -> None:
        """Step 13 (办结): the runner closes the case once every requirement is verified or waived with grounds."""
        self.check_state(CaseState.REPORTED, "close")
        self.check_runner(actor, registry)
        waivers = dict(waivers or {})
        self.check_all_settled(waivers)
        if any(c.get("review_open") for c in self.conclusions.values()):
            raise WrongState("a case closes only when no review is open")
        settled = [r.settled_on for r in self.requirements.values() if r.settled_on]
        check_act_date(on, now, not_before=max(settled, default=self.reported_on))
        self._record(self.CaseClosed, actor, on, now, summary=summary, waivers=waivers)

    # ---- rules ------------------------------------------------------------------------

    def check_requirement(self, requirement_id: str) -> Requirement:
        """Raised when the case has no such requirement."""
        if requirement_id not in self.requirements:
            raise InvalidCommand(f"no requirement {requirement_id!r} in this case")
        return self.requirements[requirement_id]

    def check_rectifiable(self, requirement_id: str) -> Requirement:
        """Raised when a requirement is not open to rectification: its conclusion is not delivered, a review
        of it is open (the requirements wait), or it is already verified or waived."""
        self.check_active("rectify in")
        requirement = self.check_requirement(requirement_id)
        conclusion = self.delivered_conclusion_of(requirement.target)
        if conclusion.get("review_open"):
            raise WrongState("the requirements wait while a review of the conclusion is open")
        if requirement.status in DONE:
            raise WrongState(f"requirement {requirement_id!r} is {requirement.status.value}")
        return requirement

    def check_target_may_rectify(self, actor: Actor, requirement_id: str) -> Requirement:
        """Raised unless the requirement's own target acts, and the requirement is open to rectification."""
        requirement = self.check_requirement(requirement_id)
        self.check_acts_for_target(actor, requirement.target)
        return self.check_rectifiable(requirement_id)

    def check_office_may_check(self, actor: Actor, registry: UnitRegistry, requirement_id: str) -> Requirement:
        """Raised unless the same level's supervision office, not recused, checks a rectification claimed complete."""
        requirement = self.check_rectifiable(requirement_id)
        self.check_same_level(actor, registry, Role.AGENCY)
        self.check_not_recused(actor, requirement.target)
        if requirement.status is not RequirementStatus.COMPLETED:
            raise WrongState(f"requirement {requirement_id!r} is not claimed complete")
        return requirement

    def check_urging_interval(self, policy: Policy, target: str, on: date) -> None:
        """Raised when a target is urged again sooner than the policy's urging interval."""
        last = self.urged.get(target)
        if last is not None and on < last + timedelta(days=policy.urging_interval_days):
            raise InvalidCommand(f"{target} was urged on {last}; urge again from {last + timedelta(days=policy.urging_interval_days)}")

    def check_all_settled(self, waivers: dict[str, str]) -> None:
        """Raised when a requirement is neither verified nor waived with grounds."""
        for rid, grounds in waivers.items():
            self.check_requirement(rid)
            check_grounds(grounds, f"waiving requirement {rid!r}")
        unsettled = [rid for rid, r in self.requirements.items() if r.status not in DONE and rid not in waivers]
        if unsettled:
            raise WrongState(f"requirements not verified nor waived: {', '.join(sorted(unsettled))}")

    def is_newly_overdue(self, requirement: Requirement, today: date) -> bool:
        """True when a requirement's deadline has passed, it is unsettled, not yet marked, and not under review."""
        waiting = self.conclusions[requirement.target].get("review_open", False)
        return today > requirement.deadline and requirement.status not in DONE and not requirement.overdue and not waiting

    def overdue_by_target(self) -> dict[str, list[Requirement]]:
        """The requirements marked overdue and still unsettled, not waiting on a review, per target, earliest first."""
        result: dict[str, list[Requirement]] = {}
        for requirement in sorted(self.requirements.values(), key=lambda r: (r.deadline, r.id)):
            waiting = self.conclusions[requirement.target].get("review_open", False)
            if requirement.overdue and requirement.status not in DONE and not waiting:
                result.setdefault(requirement.target, []).append(requirement)
        return result

    def replace_requirements(self, target: str, new: list[dict[str, Any]], grounds: str) -> None:
        """A review's amendment: the target's requirements become `new`; any dropped are waived on its grounds."""
        keep = {r["id"] for r in new}
        for rid, requirement in list(self.requirements.items()):
            if requirement.target == target and rid not in keep:
                requirement.status = RequirementStatus.WAIVED
        for data in new:
            self.requirements[data["id"]] = Requirement.from_dict(target, data)
