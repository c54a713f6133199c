"""The receiving node turns each contract into a local command (TaskCommands' writer, the domain's own
methods and guards).

* `TaskAssigned` (交办) registers the task under the sender's id, for the assigning level: a second
  delivery finds it there and does nothing.
* `TaskAccepted`, `TaskProgressReported`, `TaskCompletionClaimed` are the subordinate's acts on a
  child task this node decomposed for it (`remote_node`): they are recorded on this node's copy of
  the child, by the subordinate's actor, and progress is rolled up into the parent (工作台账汇总)
  in the same writer act, so parent and child commit together.
* `CaseReported` (督查事项报告) is recorded on a `ReportedCase` (domain/reported.py) keyed by the case's level and
  id; `BurdenReported` (基层负担) on a `ReportedBurden` keyed by the sender and year. A report equal to the last
  recorded one changes nothing, so a message applied twice has no second effect. A case report about a level
  outside the sender's jurisdiction is refused.
* `CaseNotified`, `CaseVisited`, `CaseConcluded`, `CaseReviewDecided` (a higher level's case on a target this node
  serves) are recorded on the target's `ReceivedCase` (domain/received.py), opened by whichever comes first; each
  fact is recorded once. A case of a level that is not the sender's, or a target this node does not serve, is refused.
  A `CaseConcluded` v1 (findings by id only) is still read: its findings are recorded without their texts.
* `CaseRectificationVerified`, `CaseRectificationReturned` (核查), `CaseRectificationOverdue` (逾期) and
  `CaseTargetUrged` (催办) are recorded on a `ReceivedCase` that exists already (they follow the notice or the
  conclusion in the sender's sequence), once per `act_id`; one about a requirement the record lacks is refused.
* `CaseSelfInspectionSubmitted`, `CaseRectificationReported`, `CaseRectificationCompleted`, `CaseReviewRequested`
  are the target's acts on a case of this node: run as the case's own commands (自查, 整改报告, 整改完成, 复核申请)
  by the target's actor, beside a
  `RemoteActApplied` mark in the same transaction, so an act that arrives again finds its mark and does nothing.
  The actor's unit must lie in the sender's jurisdiction.
* `InstructionAssigned` (批示交办) opens the lead unit's `ReceivedInstruction` (domain/received_instruction.py);
  `InstructionAnswerReturned` and `InstructionClosed` are recorded on it, once each. `InstructionAnswered` (反馈) is
  the lead unit's answer to an instruction of this node, run as its `answer` beside its mark, as a target's act is.
* A target's act or a lead unit's answer that this node's domain refuses is recorded as a `RemoteActRefused`
  (`refuse`, by this node's office as `REFUSER`), which the outbox sends back down as `ActRefused` (退件). An
  `ActRefused` from above is recorded on the unit's `ReceivedCase` or `ReceivedInstruction`, once per act; one from
  a level that does not run the case or instruction, or about a unit this node does not serve, is refused.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any
from uuid import UUID

from domain.actor import Actor, Role
from domain.case import Case
from domain.errors import ActNotAllowed, DomainError, WrongState
from domain.instruction import Instruction
from domain.ledger import Task
from domain.received import (
    ReceivedCase,
    RemoteActApplied,
    RemoteActRefused,
    received_case_id,
    remote_act_id,
    remote_refusal_id,
)
from domain.received_instruction import ReceivedInstruction, received_instruction_id
from domain.reported import ReportedBurden, ReportedCase, reported_burden_id, reported_case_id
from ducha.commands import CASE_COMMANDS, CaseCommands, check_is, counted
from ducha.federation.contracts import (
    ActRefused,
    BurdenReported,
    CaseActSentDown,
    CaseActSentUp,
    CaseConcluded,
    CaseConcludedV1,
    CaseNotified,
    CaseRectificationCompleted,
    CaseRectificationOverdue,
    CaseRectificationReported,
    CaseRectificationReturned,
    CaseRectificationVerified,
    CaseReported,
    CaseReviewDecided,
    CaseReviewRequested,
    CaseSelfInspectionSubmitted,
    CaseSentDown,
    CaseTargetUrged,
    CaseVisited,
    Contract,
    InstructionAnswered,
    InstructionAnswerReturned,
    InstructionAssigned,
    InstructionClosed,
    InstructionContract,
    TaskAccepted,
    TaskAssigned,
    TaskCompletionClaimed,
    TaskProgressReported,
)
from ducha.ledger_commands import InstructionCommands, TaskCommands


REFUSER = "inbox"  # the person of the actor a node's refusals are made by: its office's inbox


def refuser(node: str) -> Actor:
    """Who refuses an act sent up: the node's own supervision office (督查室), person "inbox" (as the clock is
    the office, person "clock")."""
    return Actor(f"{node}-DCS", Role.AGENCY, REFUSER)


def answerable(contract: Contract) -> bool:
    """Whether a refusal of the contract goes back to its sender: a target's act or a lead unit's answer."""
    return isinstance(contract, CaseActSentUp | InstructionAnswered)


def actor_of(contract: Contract) -> Actor:
    return Actor(unit=contract.actor.unit, role=Role(contract.actor.role), person=contract.actor.person)


class Applier:
    """Runs one contract as a local command."""

    def __init__(
        self, tasks: TaskCommands, cases: CaseCommands | None = None, node: str | None = None,
        instructions: InstructionCommands | None = None,
    ) -> None:
        self.tasks = tasks
        self.cases = cases
        self.node = node
        self.instructions = instructions
        self.handlers: dict[type[Contract], Callable[..., Awaitable[None]]] = {
            TaskAssigned: self.assigned,
            TaskAccepted: self.accepted,
            TaskProgressReported: self.progress,
            TaskCompletionClaimed: self.claimed,
        }
        self.with_sender: dict[type[Contract], Callable[..., Awaitable[None]]] = {
            CaseReported: self.case_reported,
            BurdenReported: self.burden_reported,
            CaseNotified: self.case_down, CaseVisited: self.case_down, CaseConcluded: self.case_down,
            CaseConcludedV1: self.case_down, CaseReviewDecided: self.case_down,
            CaseRectificationVerified: self.case_act_down, CaseRectificationReturned: self.case_act_down,
            CaseRectificationOverdue: self.case_act_down, CaseTargetUrged: self.case_act_down,
            CaseSelfInspectionSubmitted: self.case_up, CaseRectificationReported: self.case_up,
            CaseRectificationCompleted: self.case_up, CaseReviewRequested: self.case_up,
            InstructionAssigned: self.instruction_down, InstructionAnswerReturned: self.instruction_down,
            InstructionClosed: self.instruction_down, InstructionAnswered: self.instruction_up,
            ActRefused: self.refused,
        }

    async def apply(self, contract: Contract, sender: str | None = None) -> None:
        if type(contract) in self.with_sender:
            assert sender is not None, "a report or a case act is recorded with its sender"
            await self.with_sender[type(contract)](contract, sender)
            return
        await self.handlers[type(contract)](contract)

    async def case_reported(self, message: CaseReported, sender: str) -> None:
        if not self.tasks.registry.is_within(message.level, sender):
            raise ActNotAllowed(f"{sender} reports the cases of its own level and below, not of {message.level}")
        report = message.model_dump(mode="json", exclude={"name", "version", "actor", "on"})
        await self._record(
            reported_case_id(message.level, str(message.case_id)),
            lambda actor, now: ReportedCase.open(actor=actor, on=message.on, now=now, level=message.level,
                                                 case_id=str(message.case_id)),
            lambda record, actor, now: record.receive(actor=actor, on=message.on, now=now, sender=sender, report=report),
            message,
        )

    async def case_down(self, message: CaseSentDown, sender: str) -> None:
        """A higher level's case act on a target this node serves, recorded on the target's record of the case."""
        self._check_case_down(message, sender)
        header = message.model_dump(include={"title", "case_type", "topic", "covert"})
        await self._record(
            received_case_id(message.level, str(message.case_id), message.target),
            lambda actor, now: ReceivedCase.open(actor=actor, on=message.on, now=now, level=message.level,
                                                 case_id=str(message.case_id), target=message.target, sender=sender,
                                                 header=header),
            lambda record, actor, now: RECEIVE[type(message)](record, message, actor, now),
            message,
        )

    async def case_act_down(self, message: CaseActSentDown, sender: str) -> None:
        """A higher level's act after the target knows of the case (核查, 逾期, 催办), on the target's record, once."""
        self._check_case_down(message, sender)
        record_id = received_case_id(message.level, str(message.case_id), message.target)
        if await asyncio.to_thread(self.tasks.load_or_none, record_id) is None:
            raise WrongState(f"case {message.case_id} on {message.target} was never received here")
        actor = actor_of(message)

        def act(record: ReceivedCase) -> ReceivedCase:
            check_is(record, ReceivedCase, record_id)
            RECEIVE[type(message)](record, message, actor, self.tasks.clock.now())
            return record

        await self.tasks._run("federation-case-act-received", record_id, act)

    def _check_case_down(self, message: CaseSentDown | CaseActSentDown, sender: str) -> None:
        """Raised unless the sender runs the case and this node serves its target."""
        if message.level != sender:
            raise ActNotAllowed(f"{sender} sends the acts of its own cases, not of a case of {message.level}")
        if self.node is not None and not self.tasks.registry.is_within(message.target, self.node):
            raise ActNotAllowed(f"unit {message.target} is not served by {self.node}")

    async def case_up(self, message: CaseActSentUp, sender: str) -> None:
        """A target's act on a case of this node, as the case's own command, once."""
        assert self.cases is not None, "a node that receives a target's acts runs its cases"
        self._check_serves(sender, message.actor.unit, message.target)
        command, fields = UP_COMMANDS[type(message)](message)
        cases = self.cases

        def run(case: Case, actor: Actor, now: datetime) -> None:
            check_is(case, Case, message.case_id)
            method = getattr(case, CASE_COMMANDS[command])
            method(actor=actor, on=message.on, now=now, **cases._context(method), **fields)

        await self._remote_act(message, sender, message.case_id, command, run)

    async def instruction_down(self, message: InstructionContract, sender: str) -> None:
        """A higher level's act on an instruction whose lead unit this node serves, on the unit's record of it."""
        if message.level != sender:
            raise ActNotAllowed(f"{sender} sends the acts of its own instructions, not of one of {message.level}")
        if self.node is not None and not self.tasks.registry.is_within(message.lead_unit, self.node):
            raise ActNotAllowed(f"unit {message.lead_unit} is not served by {self.node}")
        assignment = message.model_dump(include=ASSIGNMENT_FIELDS) | {"instruction_id": str(message.instruction_id)}
        record_id = received_instruction_id(message.level, str(message.instruction_id))
        if not isinstance(message, InstructionAssigned) and await asyncio.to_thread(self.tasks.load_or_none, record_id) is None:
            raise WrongState(f"instruction {message.instruction_id} was never assigned here")
        await self._record(
            record_id,
            lambda actor, now: ReceivedInstruction.open(actor=actor, on=message.on, now=now, sender=sender, assignment=assignment),
            lambda record, actor, now: RECEIVE[type(message)](record, message, actor, now),
            message,
        )

    async def instruction_up(self, message: InstructionAnswered, sender: str) -> None:
        """The lead unit's answer to an instruction of this node, as the instruction's own command, once."""
        assert self.instructions is not None, "a node that receives an answer runs its instructions"
        self._check_serves(sender, message.actor.unit, message.lead_unit)
        evidence = [e.model_dump() for e in message.evidence]

        def run(instruction: Instruction, actor: Actor, now: datetime) -> None:
            check_is(instruction, Instruction, message.instruction_id)
            instruction.answer(actor=actor, on=message.on, now=now, text=message.text, evidence=evidence)

        await self._remote_act(message, sender, message.instruction_id, "answer", run)

    async def refuse(self, contract: CaseActSentUp | InstructionAnswered, sender: str, message_id: str,
                     error: DomainError) -> bool:
        """Records this node's refusal of an act `sender` sent up, for the outbox to send back; only the error's slug
        and title go into it (its detail may name what the unit may not see). False when it was recorded before."""
        assert self.node is not None, "a node that refuses an act names itself"
        if await asyncio.to_thread(self.tasks.load_or_none, remote_refusal_id(sender, contract.act_id)) is not None:
            return False
        case = isinstance(contract, CaseActSentUp)
        aggregate_id = contract.case_id if case else contract.instruction_id
        target = contract.target if case else contract.lead_unit
        node = self.node

        def act(_: None) -> RemoteActRefused:
            now = self.tasks.clock.now()
            return RemoteActRefused.record(
                actor=refuser(node), on=now.date(), now=now, sender=sender, message_id=message_id, act_id=contract.act_id,
                contract=contract.name, level=contract.level, aggregate_kind="case" if case else "instruction",
                aggregate_id=str(aggregate_id), target=target, reason=error.slug, text=error.title, detail=error.detail,
            )

        await self.tasks._run("federation-act-refused", None, act)
        return True

    def refusal_of(self, contract: Contract, sender: str) -> RemoteActRefused | None:
        """This node's refusal of an act `sender` sent up, if it recorded one."""
        if not answerable(contract):
            return None
        return self.tasks.load_or_none(remote_refusal_id(sender, contract.act_id))

    async def refused(self, message: ActRefused, sender: str) -> None:
        """The node of a case or an instruction refused an act this node sent up: recorded on the unit's record, once."""
        if message.level != sender:
            raise ActNotAllowed(f"{sender} refuses the acts on its own cases and instructions, not on one of {message.level}")
        if self.node is not None and not self.tasks.registry.is_within(message.target, self.node):
            raise ActNotAllowed(f"unit {message.target} is not served by {self.node}")
        if message.case_id is not None:
            record_id, kind = received_case_id(message.level, str(message.case_id), message.target), ReceivedCase
        else:
            record_id, kind = received_instruction_id(message.level, str(message.instruction_id)), ReceivedInstruction
        if await asyncio.to_thread(self.tasks.load_or_none, record_id) is None:
            raise WrongState(f"the refused act's record {record_id} was never received here")
        actor = actor_of(message)

        def act(record: ReceivedCase | ReceivedInstruction) -> ReceivedCase | ReceivedInstruction:
            check_is(record, kind, record_id)
            if isinstance(record, ReceivedInstruction) and record.lead_unit != message.target:
                raise ActNotAllowed(f"the instruction's lead unit is not {message.target}")
            record.receive_refusal(actor=actor, on=message.on, now=self.tasks.clock.now(), act_id=message.act_id,
                                   contract=message.contract, reason=message.reason, text=message.text)
            return record

        await self.tasks._run("federation-act-refused-received", record_id, act)

    def _check_serves(self, sender: str, unit: str, named: str) -> None:
        """Raised unless the acting unit is the one the message names, and the sender serves it."""
        if unit != named or not self.tasks.registry.is_within(named, sender):
            raise ActNotAllowed(f"{sender} sends the acts of the units it serves, not of {unit}")

    async def _remote_act(
        self, message: CaseActSentUp | InstructionAnswered, sender: str, aggregate_id: UUID, command: str,
        run: Callable[[Any, Actor, datetime], None],
    ) -> None:
        """Runs a lower node's act on this node's aggregate beside its `RemoteActApplied` mark, in one transaction;
        an act whose mark exists was recorded before (the memory of applied messages was lost with a crash)."""
        if await asyncio.to_thread(self.tasks.load_or_none, remote_act_id(sender, message.act_id)) is not None:
            return
        actor, clock = actor_of(message), self.tasks.clock

        def act(_: None, aggregate: Any) -> list[object]:
            now = clock.now()
            run(aggregate, actor, now)
            mark = RemoteActApplied.mark(actor=actor, on=message.on, now=now, sender=sender, act_id=message.act_id,
                                         aggregate_id=str(aggregate_id), command=command)
            return [aggregate, mark]

        await counted(f"federation-{command}", self.tasks.writer.execute(None, act, None, (aggregate_id,)))

    async def burden_reported(self, message: BurdenReported, sender: str) -> None:
        await self._record(
            reported_burden_id(sender, message.year),
            lambda actor, now: ReportedBurden.open(actor=actor, on=message.on, now=now, node=sender, year=message.year),
            lambda record, actor, now: record.receive(actor=actor, on=message.on, now=now, counts=message.counts),
            message,
        )

    async def _record(
        self, record_id: UUID, opened: Callable[..., object], receive: Callable[..., object], message: Contract
    ) -> None:
        """Opens the record at its first report, then records the report on it (in one writer act)."""
        exists = await asyncio.to_thread(self.tasks.load_or_none, record_id) is not None
        actor = actor_of(message)

        def act(record: object | None) -> object:
            now = self.tasks.clock.now()
            record = record if record is not None else opened(actor, now)
            receive(record, actor, now)
            return record

        await self.tasks._run("federation-report-received", record_id if exists else None, act)

    async def assigned(self, message: TaskAssigned) -> None:
        if await asyncio.to_thread(self.tasks.load_or_none, message.task_id) is not None:
            return  # applied before (the memory of applied messages was lost with a crash)
        fields = message.model_dump(
            include={"title", "responsible_unit", "responsible_person", "responsible_leader", "deadline", "standard",
                     "milestones", "supporting_units", "source_ref"}
        )

        def act(_: None) -> Task:
            now = self.tasks.clock.now()
            return Task.register(
                task_id=message.task_id, actor=actor_of(message), on=message.on, now=now, registry=self.tasks.registry,
                source="assignment", **fields,
            )

        await self.tasks._run("federation-task-assigned", None, act)

    async def accepted(self, message: TaskAccepted) -> None:
        await self._on_child(message, "accept", note=message.note)

    async def progress(self, message: TaskProgressReported) -> None:
        evidence = [e.model_dump() for e in message.evidence]
        await self._on_child(message, "report_progress", percent=message.percent, narrative=message.narrative, evidence=evidence)

    async def claimed(self, message: TaskCompletionClaimed) -> None:
        evidence = [e.model_dump() for e in message.evidence]
        await self._on_child(message, "claim_completion", summary=message.summary, evidence=evidence)

    async def _on_child(self, message: Contract, method: str, **fields: object) -> None:
        """The subordinate's act on this node's copy of the child, rolled up into the parent when it moves the percent."""
        child = await asyncio.to_thread(self.tasks.load, message.task_id, Task)
        parent_id = UUID(child.parent_id) if child.parent_id else None
        actor = actor_of(message)

        def act(task: Task, *parents: Task) -> list[Task]:
            now = self.tasks.clock.now()
            getattr(task, method)(actor=actor, on=message.on, now=now, **fields)
            if method != "report_progress" or not parents:
                return [task]
            parents[0].roll_up_child(actor=actor, on=message.on, now=now, child_id=str(task.id), percent=task.percent)
            return [task, parents[0]]

        others = (parent_id,) if parent_id is not None else ()
        await self.tasks._run(f"federation-{method}", message.task_id, act, None, others)


ASSIGNMENT_FIELDS = {"level", "text", "instructing_leader", "lead_unit", "supporting_units", "urgency", "deadline", "note"}

# What each message from above records on the unit's record of the case or instruction (False: nothing new).
RECEIVE: dict[type[Contract], Callable[..., object]] = {
    CaseNotified: lambda record, m, actor, now: record.receive_notice(
        actor=actor, on=m.on, now=now, site_work_starts=m.site_work_starts, content=m.content,
        supervisors=m.supervisors, methods=m.methods,
    ),
    CaseVisited: lambda record, m, actor, now: record.receive_visit(actor=actor, on=m.on, now=now),
    CaseConcluded: lambda record, m, actor, now: record.receive_conclusion(
        actor=actor, on=m.on, now=now, summary=m.summary, findings=[f.model_dump() for f in m.findings],
        requirements=[r.model_dump() for r in m.requirements], issued_on=m.issued_on, review_by=m.review_by,
    ),
    CaseConcludedV1: lambda record, m, actor, now: record.receive_conclusion(
        actor=actor, on=m.on, now=now, summary=m.summary, findings=[{"id": f, "item": None, "text": None} for f in m.findings],
        requirements=[r.model_dump() for r in m.requirements], issued_on=m.issued_on, review_by=m.review_by,
    ),
    CaseRectificationVerified: lambda record, m, actor, now: record.receive_verification(
        actor=actor, on=m.on, now=now, act_id=m.act_id, requirement_id=m.requirement_id, remarks=m.remarks,
    ),
    CaseRectificationReturned: lambda record, m, actor, now: record.receive_return(
        actor=actor, on=m.on, now=now, act_id=m.act_id, requirement_id=m.requirement_id, reason=m.reason,
    ),
    CaseRectificationOverdue: lambda record, m, actor, now: record.receive_overdue(
        actor=actor, on=m.on, now=now, act_id=m.act_id, requirement_id=m.requirement_id,
    ),
    CaseTargetUrged: lambda record, m, actor, now: record.receive_urging(
        actor=actor, on=m.on, now=now, act_id=m.act_id, requirement_id=m.requirement_id, message=m.message,
    ),
    CaseReviewDecided: lambda record, m, actor, now: record.receive_review_decision(
        actor=actor, on=m.on, now=now, outcome=m.outcome, grounds=m.grounds,
        requirements=[r.model_dump() for r in m.requirements],
    ),
    InstructionAssigned: lambda record, m, actor, now: False,  # the assignment is the record's opening
    InstructionAnswerReturned: lambda record, m, actor, now: record.receive_return(
        actor=actor, on=m.on, now=now, act_id=m.act_id, reason=m.reason,
    ),
    InstructionClosed: lambda record, m, actor, now: record.receive_closing(actor=actor, on=m.on, now=now, summary=m.summary),
}

# The case command each act of a target runs, with its fields.
UP_COMMANDS: dict[type[Contract], Callable[[Any], tuple[str, dict[str, Any]]]] = {
    CaseSelfInspectionSubmitted: lambda m: ("submit-self-inspection", {"report": m.report, "items": dict(m.items)}),
    CaseRectificationReported: lambda m: (
        "report-rectification", {"requirement_id": m.requirement_id, "progress": m.progress, "percent": m.percent}
    ),
    CaseRectificationCompleted: lambda m: (
        "complete-rectification", {"requirement_id": m.requirement_id, "summary": m.summary}
    ),
    CaseReviewRequested: lambda m: ("request-review", {"grounds": m.grounds}),
}
