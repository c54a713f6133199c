"""A leader's instruction (领导批示) across levels: its acts that reach a lead unit (主办) another node serves, and
the lead unit's answer that goes back up to the instruction's node.

Down, to the node that serves the lead unit: `InstructionAssigned` (交办), `InstructionAnswerReturned` (退回) and
`InstructionClosed` (办结), each made from the instruction as it stood at that event. Up, from the lead unit's node:
`AnswerSent` → `InstructionAnswered` (反馈), named by the record's id and version.
"""

from __future__ import annotations

from collections.abc import Callable

from domain.envelope import Envelope
from domain.received_instruction import ReceivedInstruction
from ducha.federation.contracts import (
    ActorRef,
    Contract,
    InstructionAnswered,
    InstructionAnswerReturned,
    InstructionAssigned,
    InstructionClosed,
)
from ducha.store import EventReader

DOWN_EVENTS = frozenset({"InstructionAssigned", "InstructionAnswerReturned", "InstructionClosed"})


class InstructionsAcross:
    """Makes the instruction messages of one node's events."""

    def __init__(self, node: str, reader: EventReader, serving: Callable[[str], str]) -> None:
        self.node, self.reader, self.serving = node, reader, serving

    def down(self, envelope: Envelope) -> list[tuple[str, Contract]]:
        """An act on an instruction whose lead unit another node serves: to that node."""
        if envelope.type not in DOWN_EVENTS:
            return []
        instruction = self.reader.app.repository.get(envelope.aggregate_id, version=envelope.aggregate_version)
        receiver = self.serving(instruction.lead_unit)
        if receiver == self.node:
            return []
        p = envelope.payload
        common = {"actor": ActorRef(**(envelope.actor or {})), "on": envelope.occurred_on,
                  "instruction_id": envelope.aggregate_id, "level": instruction.level, "lead_unit": instruction.lead_unit}
        if envelope.type == "InstructionAnswerReturned":
            made: Contract = InstructionAnswerReturned(
                **common, act_id=f"{envelope.aggregate_id}:{envelope.aggregate_version}", reason=p["reason"])
        elif envelope.type == "InstructionClosed":
            made = InstructionClosed(**common, summary=p["summary"])
        else:
            (issued,) = self.reader.app.repository.event_store.get(envelope.aggregate_id, lte=1)  # its text is not folded
            made = InstructionAssigned(
                **common, text=issued.text, instructing_leader=instruction.leader, urgency=issued.urgency,
                supporting_units=p["supporting_units"], deadline=instruction.deadline, note=p["note"],
            )
        return [(receiver, made)]

    def up(self, envelope: Envelope) -> list[tuple[str, Contract]]:
        """The lead unit's answer, to the instruction's node."""
        if envelope.type != "AnswerSent":
            return []
        record: ReceivedInstruction = self.reader.app.repository.get(envelope.aggregate_id, version=envelope.aggregate_version)
        answered = InstructionAnswered(
            actor=ActorRef(**(envelope.actor or {})), on=envelope.occurred_on, instruction_id=record.instruction_id,
            level=record.level, lead_unit=record.lead_unit, act_id=f"{envelope.aggregate_id}:{envelope.aggregate_version}",
            text=envelope.payload["text"], evidence=envelope.payload["evidence"],
        )
        return [(record.sender, answered)]
