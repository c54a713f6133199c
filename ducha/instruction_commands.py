"""The application layer of leaders' instructions (领导批示交办): issue, assign (交办), answer (反馈),
return, close (办结), the clock's overdue mark, and a covert check (暗访核查) of the answer.

A covert check opens a case (topic "instruction", method covert-visit) through the node's
case commands, then records the case's id on the instruction. Two acts, not one transaction:
the case's proposal is its own (its id is chosen here), and if the second act is refused the
case stays proposed and can be rejected by its approver; the answer says which case was opened.
"""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any
from uuid import UUID, uuid4

from domain.actor import Actor
from domain.case import CaseType, Method, Topic
from domain.instruction import Instruction, InstructionState
from ducha.commands import CaseCommands, check_is
from ducha.ledger_base import Commands
from ducha.writer import Outcome

# Commands on an existing instruction: name on the wire → (domain method, the collaborators it takes).
INSTRUCTION_COMMANDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "assign": ("assign", ("registry",)),
    "answer": ("answer", ()),
    "return": ("return_answer", ("registry",)),
    "close": ("close", ("registry",)),
}


class InstructionCommands(Commands):
    """Commands on leaders' instructions."""

    async def issue(self, actor: Actor, *, on: date | None = None, **fields: Any) -> Outcome:
        new_id = uuid4()

        def act(_: None) -> Instruction:
            now = self.clock.now()
            return Instruction.issue(
                instruction_id=new_id, actor=actor, on=on or now.date(), now=now, registry=self.registry,
                calendar=self.calendar, policy=self.policy, **fields,
            )

        return await self._run("instruction-issue", None, act)

    async def run(
        self, command: str, actor: Actor, instruction_id: UUID, *, on: date | None = None,
        expected_version: int | None = None, **fields: Any,
    ) -> Outcome:
        """One of INSTRUCTION_COMMANDS on an instruction; `on` defaults to today."""
        method_name, wanted = INSTRUCTION_COMMANDS[command]

        def act(instruction: Instruction) -> Instruction:
            check_is(instruction, Instruction, instruction_id)
            now = self.clock.now()
            getattr(instruction, method_name)(actor=actor, on=on or now.date(), now=now, **self.collaborators(wanted), **fields)
            return instruction

        return await self._run(f"instruction-{command}", instruction_id, act, expected_version)

    async def order_covert_check(
        self, cases: CaseCommands, actor: Actor, instruction_id: UUID, *, grounds: str, title: str,
        targets: list[str], window_start: date, window_end: date, on: date | None = None,
        expected_version: int | None = None,
    ) -> tuple[Outcome, UUID]:
        """Opens a covert-visit case on the instruction (暗访核查) and records its id on the instruction."""
        await self.check_may_order(actor, instruction_id)
        case_id = uuid4()
        await cases.propose(
            actor, on=on, case_id=case_id, case_type=CaseType.SPECIAL, topic=Topic.INSTRUCTION, title=title,
            targets=targets, methods=[Method.COVERT_VISIT], window_start=window_start, window_end=window_end,
            rationale=grounds,
        )

        def act(instruction: Instruction) -> Instruction:
            check_is(instruction, Instruction, instruction_id)
            now = self.clock.now()
            instruction.order_covert_check(
                actor=actor, on=on or now.date(), now=now, registry=self.registry, case_id=case_id, grounds=grounds
            )
            return instruction

        return await self._run("instruction-covert-check", instruction_id, act, expected_version), case_id

    async def check_may_order(self, actor: Actor, instruction_id: UUID) -> None:
        """Refuses before any case is opened when the instruction could not record the check."""
        instruction = await asyncio.to_thread(self.load, instruction_id, Instruction)
        instruction.check_state({InstructionState.ANSWERED, InstructionState.CLOSED}, "check the answer of")
        instruction.check_office_or_leader(actor, self.registry)

    async def run_clock(self, actor_of: Any, instruction_id: UUID) -> Outcome:
        """The clock's command: an unanswered instruction past its deadline is marked overdue, once."""

        def act(instruction: Instruction) -> Instruction:
            check_is(instruction, Instruction, instruction_id)
            instruction.mark_overdue(actor=actor_of(instruction.level), now=self.clock.now())
            return instruction

        return await self._run("instruction-clock", instruction_id, act)
