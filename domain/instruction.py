"""A leader's instruction (领导批示交办): issued, assigned to a lead unit (主办) with supporting units
(协办), answered once by the lead unit on behalf of all (一个口子反馈), and closed.

The deadline follows the instruction's urgency by policy (urgent 5, normal 15, difficult 30
days by default), counted as DOMAIN.md counts periods: the day of issue is not counted and a
last day off work moves to the next working day. The instructing leader or the supervision
office may order a covert check (暗访核查) of the answer: the application layer opens a case
with topic "instruction" and the instruction records its id.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from enum import StrEnum
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.actor import Actor, Role
from domain.calendar import WorkingCalendar, period_end
from domain.case_base import check_act_date, check_grounds
from domain.errors import ActNotAllowed, InvalidCommand, WrongState
from domain.ledger_rules import HANDLING_ROLES, evidence_payload
from domain.policy import Policy, Urgency
from domain.units import UnitRegistry


class InstructionState(StrEnum):
    """Where an instruction stands."""

    ISSUED = "issued"
    ASSIGNED = "assigned"  # 交办
    ANSWERED = "answered"  # 反馈
    RETURNED = "returned"  # the answer was sent back; the lead unit answers again
    CLOSED = "closed"  # 办结


AWAITING_ANSWER = frozenset({InstructionState.ASSIGNED, InstructionState.RETURNED})


class Instruction(Aggregate):
    """A leader's instruction. Its events are its history; its attributes are their fold."""

    class InstructionIssued(Aggregate.Created):
        """A leader's instruction is issued (or recorded by the office), with its deadline by urgency."""

        actor: dict[str, str]
        on: date
        level: str
        text: str
        instructing_leader: str
        lead_unit: str
        supporting_units: list[str]
        urgency: str
        deadline: date
        deadline_provisional: bool

        def apply(self, instruction: Instruction) -> None:
            instruction.state, instruction.level = InstructionState.ISSUED, self.level
            instruction.leader, instruction.lead_unit = self.instructing_leader, self.lead_unit
            instruction.supporting_units, instruction.deadline = list(self.supporting_units), self.deadline
            instruction.last_on, instruction.overdue, instruction.covert_checks = self.on, False, []

    class InstructionAssigned(Aggregate.Event):
        """交办: the office assigns the instruction to its lead and supporting units."""

        actor: dict[str, str]
        on: date
        lead_unit: str
        supporting_units: list[str]
        note: str

        def apply(self, instruction: Instruction) -> None:
            instruction.state, instruction.last_on = InstructionState.ASSIGNED, self.on

    class InstructionAnswered(Aggregate.Event):
        """反馈: the lead unit's one consolidated answer, with its evidence [{digest, title}]."""

        actor: dict[str, str]
        on: date
        text: str
        evidence: list[dict[str, str]]

        def apply(self, instruction: Instruction) -> None:
            instruction.state, instruction.last_on = InstructionState.ANSWERED, self.on

    class InstructionAnswerReturned(Aggregate.Event):
        """The office or the instructing leader sends the answer back, with the reason."""

        actor: dict[str, str]
        on: date
        reason: str

        def apply(self, instruction: Instruction) -> None:
            instruction.state, instruction.last_on = InstructionState.RETURNED, self.on

    class InstructionOverdue(Aggregate.Event):
        """The clock saw the deadline pass with no answer standing (once)."""

        actor: dict[str, str]
        on: date
        deadline: date

        def apply(self, instruction: Instruction) -> None:
            instruction.overdue = True

    class CovertCheckOrdered(Aggregate.Event):
        """A covert check (暗访核查) of the answer is ordered; `case_id` is the case opened for it."""

        actor: dict[str, str]
        on: date
        case_id: str
        grounds: str

        def apply(self, instruction: Instruction) -> None:
            instruction.covert_checks.append(self.case_id)

    class InstructionClosed(Aggregate.Event):
        """办结: the office closes an answered instruction."""

        actor: dict[str, str]
        on: date
        summary: str

        def apply(self, instruction: Instruction) -> None:
            instruction.state, instruction.last_on = InstructionState.CLOSED, self.on

    # ---- commands ---------------------------------------------------------------------

    @classmethod
    def issue(
        cls, *, instruction_id: UUID, actor: Actor, on: date, now: datetime, registry: UnitRegistry,
        calendar: WorkingCalendar, policy: Policy, text: str, lead_unit: str, urgency: Urgency,
        supporting_units: Sequence[str] = (), instructing_leader: str | None = None,
    ) -> Instruction:
        """The leader issues an instruction, or the office records one (naming the instructing leader)."""
        check_act_date(on, now)
        leader = cls.check_may_issue(actor, instructing_leader)
        if not text.strip():
            raise InvalidCommand("an instruction says what is instructed")
        level = registry.government_of(actor.unit)
        cls.check_units(registry, level, lead_unit, supporting_units)
        deadline = period_end(calendar, on, policy.instruction_days(urgency), shift_off_holidays=policy.shift_period_end_off_holidays)
        return cls._create(
            cls.InstructionIssued, id=instruction_id, timestamp=now, actor=actor.as_dict(), on=on, level=level,
            text=text, instructing_leader=leader, lead_unit=lead_unit, supporting_units=list(dict.fromkeys(supporting_units)),
            urgency=Urgency(urgency).value, deadline=deadline.on, deadline_provisional=deadline.provisional,
        )

    def assign(self, *, actor: Actor, on: date, now: datetime, registry: UnitRegistry, note: str = "") -> None:
        """交办: the office of the instruction's level assigns it to the lead and supporting units."""
        self.check_state({InstructionState.ISSUED}, "assign")
        self.check_office(actor, registry)
        check_act_date(on, now, not_before=self.last_on)
        self._record(self.InstructionAssigned, actor, on, now, lead_unit=self.lead_unit, supporting_units=self.supporting_units, note=note)

    def answer(
        self, *, actor: Actor, on: date, now: datetime, text: str, evidence: Sequence[dict[str, str]] = (),
        registry: UnitRegistry | None = None,
    ) -> None:
        """反馈: the lead unit gives the one consolidated answer; again only once the answer was returned."""
        self.check_lead_unit(actor)
        if self.state is InstructionState.ANSWERED:
            raise WrongState("the instruction is answered; a second answer comes only after a return")
        self.check_state(AWAITING_ANSWER, "answer")
        if not text.strip():
            raise InvalidCommand("an answer says what was done")
        check_act_date(on, now, not_before=self.last_on)
        self._record(self.InstructionAnswered, actor, on, now, text=text, evidence=evidence_payload(evidence))

    def return_answer(self, *, actor: Actor, on: date, now: datetime, registry: UnitRegistry, reason: str) -> None:
        """The office or the instructing leader sends the answer back for another."""
        self.check_state({InstructionState.ANSWERED}, "return the answer of")
        self.check_office_or_leader(actor, registry)
        check_grounds(reason, "a return of an answer")
        check_act_date(on, now, not_before=self.last_on)
        self._record(self.InstructionAnswerReturned, actor, on, now, reason=reason)

    def mark_overdue(self, *, actor: Actor, now: datetime) -> bool:
        """The clock's command: marks an unanswered instruction past its deadline overdue, once."""
        waiting = self.state in AWAITING_ANSWER or self.state is InstructionState.ISSUED
        if self.overdue or not waiting or now.date() <= self.deadline:
            return False
        self._record(self.InstructionOverdue, actor, now.date(), now, deadline=self.deadline)
        return True

    def order_covert_check(
        self, *, actor: Actor, on: date, now: datetime, registry: UnitRegistry, case_id: UUID, grounds: str
    ) -> None:
        """The instructing level's leader or office orders a covert check of the answer (the case is `case_id`)."""
        self.check_state({InstructionState.ANSWERED, InstructionState.CLOSED}, "check the answer of")
        self.check_office_or_leader(actor, registry)
        check_grounds(grounds, "a covert check")
        if str(case_id) in self.covert_checks:
            raise WrongState(f"case {case_id} already checks this instruction")
        check_act_date(on, now, not_before=self.last_on)
        self._record(self.CovertCheckOrdered, actor, on, now, case_id=str(case_id), grounds=grounds)

    def close(self, *, actor: Actor, on: date, now: datetime, registry: UnitRegistry, summary: str = "") -> None:
        """办结: the office closes an answered instruction."""
        self.check_state({InstructionState.ANSWERED}, "close")
        self.check_office(actor, registry)
        check_act_date(on, now, not_before=self.last_on)
        self._record(self.InstructionClosed, actor, on, now, summary=summary)

    # ---- rules ------------------------------------------------------------------------

    @staticmethod
    def check_may_issue(actor: Actor, instructing_leader: str | None) -> str:
        """Raised unless a leader issues the instruction, or the office records one naming its leader."""
        if actor.role is Role.LEADER:
            return instructing_leader or actor.person
        if actor.role is Role.AGENCY and instructing_leader and instructing_leader.strip():
            return instructing_leader
        raise ActNotAllowed("an instruction is issued by a leader, or recorded by the office naming the leader")

    @staticmethod
    def check_units(registry: UnitRegistry, level: str, lead: str, supporting: Sequence[str]) -> None:
        """Raised when a unit is unknown or outside the level's jurisdiction, or the lead unit also supports."""
        registry.check_known([lead, *supporting])
        for unit in [lead, *supporting]:
            if not registry.is_within(unit, level):
                raise ActNotAllowed(f"unit {unit!r} is not under the jurisdiction of {level!r}")
        if lead in supporting:
            raise InvalidCommand("the lead unit (主办) is not also a supporting unit (协办)")

    def check_state(self, allowed: set[InstructionState] | frozenset[InstructionState], act: str) -> None:
        """Raised when the act does not fit the instruction's present state."""
        if self.state not in allowed:
            raise WrongState(f"cannot {act} an instruction that is {self.state.value}")

    def check_lead_unit(self, actor: Actor) -> None:
        """Raised unless the lead unit (主办) answers: supporting units feed it, they do not answer."""
        if actor.unit != self.lead_unit or actor.role not in HANDLING_ROLES:
            raise ActNotAllowed(f"only the lead unit {self.lead_unit!r} answers the instruction")

    def check_office(self, actor: Actor, registry: UnitRegistry) -> None:
        """Raised unless the supervision office of the instruction's level acts."""
        if actor.role is not Role.AGENCY or registry.government_of(actor.unit) != self.level:
            raise ActNotAllowed(f"only the supervision office of {self.level!r} may do this")

    def check_office_or_leader(self, actor: Actor, registry: UnitRegistry) -> None:
        """Raised unless the instruction level's office or leader acts."""
        if actor.role not in (Role.AGENCY, Role.LEADER) or registry.government_of(actor.unit) != self.level:
            raise ActNotAllowed(f"only the office or the leader of {self.level!r} may do this")

    def _record(self, event_class: type, actor: Actor, on: date, now: datetime, **payload: object) -> None:
        self.trigger_event(event_class, timestamp=now, actor=actor.as_dict(), on=on, **payload)
