"""Step 12 of the supervision case: the use of its results (督查结果运用, Art. 19, 21, 23).

The supervision office proposes; a proposal takes effect only when the same level's
government or its head approves it (Art. 21): commendation (表扬、激励), criticism (批评、
通报), accountability (问责, handed to the authority that investigates). Fault tolerance
(容错纠错) excuses an existing criticism or accountability, with grounds. Performance
deductions (绩效考核减分), proposals to revise a normative document (Art. 19) and referrals
of leads (Art. 23) complete the step.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from eventsourcing.domain import Aggregate

from domain.actor import Actor, Role
from domain.case_base import CaseRules, CaseState, check_act_date, check_grounds
from domain.errors import ActNotAllowed, InvalidCommand, WrongState
from domain.units import UnitRegistry

DECIDERS = (Role.GOVERNMENT, Role.LEADER)  # Art. 21: the government or its head approves uses of results


class ResultKind(StrEnum):
    """What a proposal on results asks for."""

    COMMENDATION = "commendation"
    CRITICISM = "criticism"
    ACCOUNTABILITY = "accountability"


class ReferralTo(StrEnum):
    """Art. 23: where a lead found in supervision goes."""

    SUPERVISORY_COMMISSION = "supervisory-commission"  # 监察机关: officials' misconduct
    JUDICIAL = "judicial"  # 司法机关: other crimes


class DocumentAction(StrEnum):
    """Art. 19: what is proposed for an improper normative document."""

    CHANGE = "change"
    REVOKE = "revoke"


class _Proposal(Aggregate.Event):
    actor: dict[str, str]
    on: date
    proposal_id: str
    unit: str
    person: str
    grounds: str


class _Decision(Aggregate.Event):
    actor: dict[str, str]
    on: date
    proposal_id: str

    def apply(self, case: Any) -> None:
        case.proposals[self.proposal_id]["effective_on"] = self.on


class Results(CaseRules):
    """Proposals on results and their approval, fault tolerance, deductions, revisions, referrals."""

    class CommendationProposed(_Proposal):
        """Step 12: the office proposes to commend a unit or person (表扬、激励)."""

        def apply(self, case: Any) -> None:
            case.add_proposal(ResultKind.COMMENDATION, self)

    class Commended(_Decision):
        """Step 12: the government or its head approved the commendation; it takes effect."""

    class CriticismProposed(_Proposal):
        """Step 12: the office proposes to criticise a unit or person (批评、通报)."""

        def apply(self, case: Any) -> None:
            case.add_proposal(ResultKind.CRITICISM, self)

    class Criticized(_Decision):
        """Step 12: the government or its head approved the criticism; it takes effect."""

    class AccountabilityProposed(_Proposal):
        """Step 12: the office proposes that someone be held to account (问责)."""

        def apply(self, case: Any) -> None:
            case.add_proposal(ResultKind.ACCOUNTABILITY, self)

    class AccountabilityReferred(_Decision):
        """Step 12: approved, the matter is handed to the authority that investigates, with grounds."""

        authority: str
        grounds: str

    class FaultTolerated(Aggregate.Event):
        """Step 12 (容错纠错): a later decision excuses a criticism or accountability, with grounds."""

        actor: dict[str, str]
        on: date
        proposal_id: str
        grounds: str

        def apply(self, case: Any) -> None:
            case.proposals[self.proposal_id]["tolerated_on"] = self.on

    class PerformanceDeducted(Aggregate.Event):
        """Step 12 (绩效考核减分项): points deducted from a unit's performance score for a period."""

        actor: dict[str, str]
        on: date
        unit: str
        points: float
        period: str
        notice: str

    class DocumentRevisionProposed(Aggregate.Event):
        """Step 12 (Art. 19): a proposal to change or revoke an improper normative document."""

        actor: dict[str, str]
        on: date
        document: str
        issuer: str
        action: str
        grounds: str

    class LeadReferred(Aggregate.Event):
        """Step 12 (Art. 23): officials' misconduct to the supervisory commission, other crimes to the judiciary."""

        actor: dict[str, str]
        on: date
        to: str
        unit: str
        person: str
        grounds: str

    # ---- commands ---------------------------------------------------------------------

    def propose_commendation(
        self, *, actor: Actor, on: date, now: datetime, registry: UnitRegistry, proposal_id: str, unit: str,
        grounds: str, person: str = "",
    ) -> None:
        """Step 12: the office proposes a commendation of a unit (and a person in it), with grounds."""
        self._propose(self.CommendationProposed, actor, on, now, registry, proposal_id, unit, grounds, person)

    def propose_criticism(
        self, *, actor: Actor, on: date, now: datetime, registry: UnitRegistry, proposal_id: str, unit: str,
        grounds: str, person: str = "",
    ) -> None:
        """Step 12: the office proposes a criticism of a unit (and a person in it), with grounds."""
        self._propose(self.CriticismProposed, actor, on, now, registry, proposal_id, unit, grounds, person)

    def propose_accountability(
        self, *, actor: Actor, on: date, now: datetime, registry: UnitRegistry, proposal_id: str, unit: str,
        grounds: str, person: str = "",
    ) -> None:
        """Step 12: the office proposes accountability of a unit (and a person in it), with grounds."""
        self._propose(self.AccountabilityProposed, actor, on, now, registry, proposal_id, unit, grounds, person)

    def commend(self, *, actor: Actor, on: date, now: datetime, registry: UnitRegistry, proposal_id: str) -> None:
        """Step 12: the government or its head approves a proposed commendation."""
        self._decide(self.Commended, ResultKind.COMMENDATION, actor, on, now, registry, proposal_id)

    def criticize(self, *, actor: Actor, on: date, now: datetime, registry: UnitRegistry, proposal_id: str) -> None:
        """Step 12: the government or its head approves a proposed criticism."""
        self._decide(self.Criticized, ResultKind.CRITICISM, actor, on, now, registry, proposal_id)

    def refer_accountability(
        self, *, actor: Actor, on: date, now: datetime, registry: UnitRegistry, proposal_id: str, authority: str, grounds: str
    ) -> None:
        """Step 12: the government or its head approves accountability and hands it to `authority`."""
        check_grounds(grounds, "a referral for accountability")
        self._decide(
            self.AccountabilityReferred, ResultKind.ACCOUNTABILITY, actor, on, now, registry, proposal_id,
            authority=authority, grounds=grounds,
        )

    def tolerate_fault(
        self, *, actor: Actor, on: date, now: datetime, registry: UnitRegistry, proposal_id: str, grounds: str
    ) -> None:
        """Step 12 (容错纠错): the government or its head excuses an existing criticism or accountability."""
        self.check_results_open()
        self.check_same_level(actor, registry, *DECIDERS)
        proposal = self.check_tolerable(proposal_id)
        check_grounds(grounds, "fault tolerance")
        check_act_date(on, now, not_before=proposal["proposed_on"])
        self._record(self.FaultTolerated, actor, on, now, proposal_id=proposal_id, grounds=grounds)

    def deduct_performance(
        self, *, actor: Actor, on: date, now: datetime, registry: UnitRegistry, unit: str, points: float, period: str, notice: str
    ) -> None:
        """Step 12 (绩效考核减分): the government or its head deducts points from a unit for a period."""
        self.check_results_open()
        self.check_same_level(actor, registry, *DECIDERS)
        self.check_in_jurisdiction(registry, unit)
        if points <= 0 or not period.strip():
            raise InvalidCommand("a deduction names positive points and its period")
        check_act_date(on, now, not_before=self.reported_on)
        self._record(self.PerformanceDeducted, actor, on, now, unit=unit, points=float(points), period=period, notice=notice)

    def propose_document_revision(
        self, *, actor: Actor, on: date, now: datetime, registry: UnitRegistry, document: str, issuer: str,
        action: DocumentAction, grounds: str,
    ) -> None:
        """Step 12 (Art. 19): the office proposes to change or revoke an improper normative document."""
        self.check_results_open()
        self.check_same_level(actor, registry, Role.AGENCY)
        check_grounds(grounds, "a proposal to revise a document")
        check_act_date(on, now, not_before=self.reported_on)
        self._record(
            self.DocumentRevisionProposed, actor, on, now, document=document, issuer=issuer,
            action=DocumentAction(action).value, grounds=grounds,
        )

    def refer_lead(
        self, *, actor: Actor, on: date, now: datetime, registry: UnitRegistry, to: ReferralTo, unit: str,
        person: str, grounds: str,
    ) -> None:
        """Step 12 (Art. 23): the office refers a lead to the supervisory commission or the judicial organs."""
        self.check_active("refer a lead from")
        self.check_same_level(actor, registry, Role.AGENCY)
        check_grounds(grounds, "a referral")
        check_act_date(on, now, not_before=self.decided_on)
        self._record(self.LeadReferred, actor, on, now, to=ReferralTo(to).value, unit=unit, person=person, grounds=grounds)

    # ---- rules and helpers ------------------------------------------------------------

    def _propose(
        self, event: type, actor: Actor, on: date, now: datetime, registry: UnitRegistry, proposal_id: str,
        unit: str, grounds: str, person: str,
    ) -> None:
        self.check_results_open()
        self.check_same_level(actor, registry, Role.AGENCY)
        self.check_in_jurisdiction(registry, unit)
        if proposal_id in self.proposals:
            raise InvalidCommand(f"proposal {proposal_id!r} already exists")
        check_grounds(grounds, "a proposal on results")
        check_act_date(on, now, not_before=self.reported_on)
        self._record(event, actor, on, now, proposal_id=proposal_id, unit=unit, person=person, grounds=grounds)

    def _decide(
        self, event: type, kind: ResultKind, actor: Actor, on: date, now: datetime, registry: UnitRegistry,
        proposal_id: str, **payload: Any,
    ) -> None:
        self.check_results_open()
        self.check_same_level(actor, registry, *DECIDERS)
        proposal = self.check_pending(proposal_id, kind)
        check_act_date(on, now, not_before=proposal["proposed_on"])
        self._record(event, actor, on, now, proposal_id=proposal_id, **payload)

    def add_proposal(self, kind: ResultKind, event: Any) -> None:
        self.proposals[event.proposal_id] = {"kind": kind, "unit": event.unit, "proposed_on": event.on}

    def check_results_open(self) -> None:
        """Raised when results are used before the office has reported (step 8), or the case was merged away."""
        if self._state not in (CaseState.REPORTED, CaseState.CLOSED):
            raise WrongState("results are used once the case is reported")

    def check_in_jurisdiction(self, registry: UnitRegistry, unit: str) -> None:
        """Raised when a use of results names a unit outside the case's level's jurisdiction."""
        if not registry.is_within(unit, self.level):
            raise ActNotAllowed(f"unit {unit!r} is not under the jurisdiction of {self.level!r}")

    def check_pending(self, proposal_id: str, kind: ResultKind) -> dict[str, Any]:
        """Raised when there is no such proposal of this kind awaiting its decision."""
        proposal = self.proposals.get(proposal_id)
        if proposal is None or proposal["kind"] is not kind:
            raise InvalidCommand(f"no {kind.value} proposal {proposal_id!r} in this case")
        if "effective_on" in proposal:
            raise WrongState(f"proposal {proposal_id!r} has already taken effect")
        return proposal

    def check_tolerable(self, proposal_id: str) -> dict[str, Any]:
        """Raised when fault tolerance names no existing criticism or accountability, or one already excused."""
        proposal = self.proposals.get(proposal_id)
        if proposal is None or proposal["kind"] not in (ResultKind.CRITICISM, ResultKind.ACCOUNTABILITY):
            raise InvalidCommand(f"fault tolerance needs an existing criticism or accountability, not {proposal_id!r}")
        if "tolerated_on" in proposal:
            raise WrongState(f"proposal {proposal_id!r} is already excused")
        return proposal
