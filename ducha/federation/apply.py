"""The receiving node turns each contract into a local command (TaskCommands' writer, the domain's own
methods and guards).

* `TaskAssigned` (交办) registers the task under the sender's id, for the assigning level: a second
  delivery finds it there and does nothing.
* `TaskAccepted`, `TaskProgressReported`, `TaskCompletionClaimed` are the subordinate's acts on a
  child task this node decomposed for it (`remote_node`): they are recorded on this node's copy of
  the child, by the subordinate's actor, and progress is rolled up into the parent (工作台账汇总)
  in the same writer act, so parent and child commit together.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from uuid import UUID

from domain.actor import Actor, Role
from domain.ledger import Task
from ducha.federation.contracts import (
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

    async def apply(self, contract: Contract) -> None:
        await self.handlers[type(contract)](contract)

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
