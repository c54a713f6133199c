"""Leaders' instructions received from above (上级批示交办): a higher level's instruction whose lead unit (主办)
this node serves, as the lead unit's node knows it — its assignment (交办), the returns of its answer (退回) and its
closing (办结) — and the lead unit's answer (反馈), which goes back up to the instruction's node.

Each received fact is recorded once (a return by the id of the act that sent it, as a unit's answer may be
returned more than once); the lead unit's answer is judged here only as far as this node can know (the lead unit
answers, while an answer is awaited), and again by the instruction's node when it arrives. An answer that node
refuses comes back (退件, `ActRefused`): it shows as refused with the reason, and, while it is the last answer, the
instruction awaits an answer again as it did before it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.actor import Actor
from domain.case_base import check_act_date
from domain.errors import ActNotAllowed, InvalidCommand, WrongState
from domain.ledger_rules import HANDLING_ROLES, evidence_payload
from domain.received import sent_act_id

AWAITING = frozenset({"assigned", "returned"})


def received_instruction_id(level: str, instruction_id: str) -> UUID:
    """The one record of a higher level's instruction on the lead unit's node."""
    return uuid5(NAMESPACE_URL, f"urn:ducha:received-instruction:{level}:{instruction_id}")


class ReceivedInstruction(Aggregate):
    """A higher level's instruction assigned to a unit this node serves (the instruction lives on `sender`)."""

    class ReceivedInstructionOpened(Aggregate.Created):
        """交办: the assignment reached the lead unit's node."""

        actor: dict[str, str]
        on: date
        level: str
        instruction_id: str
        sender: str
        text: str
        instructing_leader: str
        lead_unit: str
        supporting_units: list[str]
        urgency: str
        deadline: date
        note: str

        def apply(self, record: ReceivedInstruction) -> None:
            for name in ("level", "instruction_id", "sender", "text", "lead_unit", "deadline"):
                setattr(record, name, getattr(self, name))
            record.state, record.last_on, record.acts = "assigned", self.on, set()
            record.sent, record.refused, record.last_answer = {}, {}, None

    class AnswerReturnReceived(Aggregate.Event):
        """退回: the instruction's level sent the answer back, with its reason (`act_id`: the act that did)."""

        actor: dict[str, str]
        on: date
        act_id: str
        reason: str

        def apply(self, record: ReceivedInstruction) -> None:
            record.state, record.last_on = "returned", self.on
            record.acts.add(self.act_id)

    class ClosingReceived(Aggregate.Event):
        """办结: the instruction's level closed the instruction."""

        actor: dict[str, str]
        on: date
        summary: str

        def apply(self, record: ReceivedInstruction) -> None:
            record.state, record.last_on = "closed", self.on

    class AnswerSent(Aggregate.Event):
        """反馈: the lead unit's one consolidated answer, sent up."""

        actor: dict[str, str]
        on: date
        text: str
        evidence: list[dict[str, str]]

        def apply(self, record: ReceivedInstruction) -> None:
            record.last_answer = sent_act_id(self)
            record.sent[record.last_answer] = {"kind": "answer", "before": record.state}
            record.state, record.last_on = "answered", self.on

    class RefusalReceived(Aggregate.Event):
        """退件: the instruction's node refused the answer `act_id`, with the domain error's slug and text; `restored`
        is the state the instruction is in again (None: unchanged)."""

        actor: dict[str, str]
        on: date
        act_id: str
        contract: str
        reason: str
        text: str
        restored: str | None

        def apply(self, record: ReceivedInstruction) -> None:
            record.refused[self.act_id] = {"contract": self.contract, "reason": self.reason, "text": self.text,
                                           "refused_on": self.on}
            if self.restored is not None:
                record.state = self.restored

    @classmethod
    def open(cls, *, actor: Actor, on: date, now: datetime, sender: str, assignment: dict[str, Any]) -> ReceivedInstruction:
        """The lead unit's record of the instruction, opened by its assignment."""
        return cls._create(
            cls.ReceivedInstructionOpened, id=received_instruction_id(assignment["level"], assignment["instruction_id"]),
            timestamp=now, actor=actor.as_dict(), on=on, sender=sender, **assignment,
        )

    def receive_return(self, *, actor: Actor, on: date, now: datetime, act_id: str, reason: str) -> bool:
        """Records a return of the answer, once per act of the instruction's level."""
        if act_id in self.acts:
            return False
        self._record(self.AnswerReturnReceived, actor, on, now, act_id=act_id, reason=reason)
        return True

    def receive_closing(self, *, actor: Actor, on: date, now: datetime, summary: str) -> bool:
        """Records the closing, once."""
        if self.state == "closed":
            return False
        self._record(self.ClosingReceived, actor, on, now, summary=summary)
        return True

    def receive_refusal(self, *, actor: Actor, on: date, now: datetime, act_id: str, contract: str, reason: str,
                        text: str) -> bool:
        """退件: records that the instruction's node refused an answer, once per act; while it is the last answer and
        nothing came since, the instruction awaits an answer again."""
        if act_id in self.refused:
            return False
        sent = self.sent.get(act_id)
        if sent is None:
            raise InvalidCommand(f"no answer {act_id!r} was sent up from this record")
        restored = sent["before"] if act_id == self.last_answer and self.state == "answered" else None
        self._record(self.RefusalReceived, actor, on, now, act_id=act_id, contract=contract, reason=reason, text=text,
                     restored=restored)
        return True

    def send_answer(self, *, actor: Actor, on: date, now: datetime, text: str, evidence: list[dict[str, str]] = ()) -> None:
        """反馈: the lead unit answers, while an answer is awaited (after the assignment or a return)."""
        if actor.unit != self.lead_unit or actor.role not in HANDLING_ROLES:
            raise ActNotAllowed(f"only the lead unit {self.lead_unit!r} answers the instruction")
        if self.state not in AWAITING:
            raise WrongState(f"cannot answer an instruction that is {self.state}")
        if not text.strip():
            raise InvalidCommand("an answer says what was done")
        check_act_date(on, now, not_before=self.last_on)
        self._record(self.AnswerSent, actor, on, now, text=text, evidence=evidence_payload(evidence))

    def _record(self, event_class: type, actor: Actor, on: date, now: datetime, **payload: Any) -> None:
        self.trigger_event(event_class, timestamp=now, actor=actor.as_dict(), on=on, **payload)
