"""What a unit does on its own node about what reached it from above (上级交办): a target's self-inspection
(自查、说明), rectification reports (整改报告, 整改完成) and application for review (复核申请) on a case received from
above, a lead unit's answer (反馈) to an instruction received from above. Each is recorded on the unit's record of it; the outbox sends it up to the
node it came from, where it becomes that case's or instruction's own command."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.actor import Actor
from domain.received import ReceivedCase
from domain.received_instruction import ReceivedInstruction
from ducha.commands import check_is
from ducha.ledger_base import Commands
from ducha.writer import Outcome

# The unit's acts: name on the wire → (the record's kind, its method).
RECEIVED_COMMANDS: dict[str, tuple[type[Aggregate], str]] = {
    "submit-self-inspection": (ReceivedCase, "submit_self_inspection"),
    "report-rectification": (ReceivedCase, "send_rectification"),
    "request-review": (ReceivedCase, "apply_for_review"),
    "answer": (ReceivedInstruction, "send_answer"),
}


class ReceivedCommands(Commands):
    """Commands on cases and instructions received from above."""

    async def run(
        self, command: str, actor: Actor, record_id: UUID, *, on: date | None = None, expected_version: int | None = None,
        **fields: Any,
    ) -> Outcome:
        """One of RECEIVED_COMMANDS on a received record; `on` defaults to today."""
        kind, method_name = RECEIVED_COMMANDS[command]

        def act(record: Aggregate) -> Aggregate:
            check_is(record, kind, record_id)
            now = self.clock.now()
            getattr(record, method_name)(actor=actor, on=on or now.date(), now=now, **fields)
            return record

        return await self._run(f"received-{command}", record_id, act, expected_version)
