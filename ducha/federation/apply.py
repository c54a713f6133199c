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
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from uuid import UUID

from domain.actor import Actor, Role
from domain.errors import ActNotAllowed
from domain.ledger import Task
from domain.reported import ReportedBurden, ReportedCase, reported_burden_id, reported_case_id
from ducha.federation.contracts import (
    BurdenReported,
    CaseReported,
    Contract,
    TaskAccepted,
    TaskAssigned,
    TaskCompletionClaimed,
    TaskProgressReported,
)
from ducha.ledger_commands import TaskCommands


def actor_of(contract: Contract) -> Actor:
    return Actor(unit=contract.actor.unit, role=Role(contract.actor.role), person=contract.actor.person)


class Applier:
    """Runs one contract as a local command."""

    def __init__(self, tasks: TaskCommands) -> None:
        self.tasks = tasks
        self.handlers: dict[type[Contract], Callable[..., Awaitable[None]]] = {
            TaskAssigned: self.assigned,
            TaskAccepted: self.accepted,
            TaskProgressReported: self.progress,
            TaskCompletionClaimed: self.claimed,
        }
        self.reports: dict[type[Contract], Callable[..., Awaitable[None]]] = {
            CaseReported: self.case_reported,
            BurdenReported: self.burden_reported,
        }

    async def apply(self, contract: Contract, sender: str | None = None) -> None:
        if type(contract) in self.reports:
            assert sender is not None, "a report is recorded with its sender"
            await self.reports[type(contract)](contract, sender)
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
