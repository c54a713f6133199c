"""The application layer of the task ledger (工作台账): register, decompose (分解), accept (承办), report,
claim, verify (照单验收) or return, urge (催办), close (销号), and the clock's commands.

Decomposition saves the parent and its children in one writer act (one transaction).
Roll-up: a child's `ProgressReported` or `TaskVerified` is rolled up into its parent
(`ChildProgressRolledUp`) and from there into every ancestor this node works, **in the same
writer act**: the parent ids never change, so the chain is read before the act and the
ancestors are loaded beside the child (`others=`). Both commit together or not at
all, so a parent never misses a child's progress and no process manager has to catch up.
A child marked for another node (`remote_node`) is worked there; carrying its progress back
up belongs to the levels' crossing (not done here).

`InstructionCommands` and `PlanCommands` (leader instructions, annual plan, 最多报一次 and the
一事一报 rule at a case's approval) live beside this module and are re-exported here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection, Sequence
from datetime import date
from typing import Any
from uuid import UUID, uuid4

from domain.actor import Actor
from domain.errors import NotFound
from domain.ledger import Task
from domain.ledger_tree import TaskState, serving_node
from ducha.commands import check_is
from ducha.instruction_commands import InstructionCommands
from ducha.ledger_base import Commands
from ducha.plan_commands import PlanCommands
from ducha.writer import Outcome

# Commands on an existing task: name on the wire → (domain method, the collaborators it takes).
TASK_COMMANDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "accept": ("accept", ()),
    "report-progress": ("report_progress", ()),
    "reach-milestone": ("reach_milestone", ()),
    "claim-completion": ("claim_completion", ()),
    "verify": ("verify", ("registry",)),
    "return": ("return_task", ("registry",)),
    "urge": ("urge", ("registry", "policy")),
    "close": ("close", ("registry",)),
}
ROLLED_UP = frozenset({"report-progress", "verify"})  # the commands whose effect reaches the parent


class TaskCommands(Commands):
    """Commands on ledger tasks (工作台账任务). `running` are the nodes that serve units: this node and the
    child nodes of the settings; a child task for a unit another node serves is marked for that node."""

    def __init__(self, *args: Any, running: Collection[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.node_of = serving_node(self.registry, running)

    async def register(self, actor: Actor, *, on: date | None = None, **fields: Any) -> Outcome:
        new_id = uuid4()

        def act(_: None) -> Task:
            now = self.clock.now()
            return Task.register(task_id=new_id, actor=actor, on=on or now.date(), now=now, registry=self.registry, **fields)

        return await self._run("task-register", None, act)

    async def decompose(
        self, actor: Actor, task_id: UUID, *, children: Sequence[dict[str, Any]], on: date | None = None,
        expected_version: int | None = None,
    ) -> tuple[Outcome, list[UUID]]:
        """分解: the parent and its new children are saved in one transaction; answers the children's ids."""
        specs = [{**spec, "task_id": uuid4()} for spec in children]

        def act(task: Task) -> list[Task]:
            check_is(task, Task, task_id)
            now = self.clock.now()
            made = task.decompose(
                actor=actor, on=on or now.date(), now=now, registry=self.registry, node_of=self.node_of, children=specs
            )
            return [task, *made]

        outcome = await self._run("task-decompose", task_id, act, expected_version)
        return outcome, [spec["task_id"] for spec in specs]

    async def run(
        self, command: str, actor: Actor, task_id: UUID, *, on: date | None = None,
        expected_version: int | None = None, **fields: Any,
    ) -> Outcome:
        """One of TASK_COMMANDS on a task; a child's progress or verification is rolled up into its parent."""
        method_name, wanted = TASK_COMMANDS[command]
        ancestors = await self._local_ancestors(task_id, command) if command in ROLLED_UP else []

        def act(task: Task, *chain: Task) -> list[Task]:
            check_is(task, Task, task_id)
            now = self.clock.now()
            day = on or now.date()
            getattr(task, method_name)(actor=actor, on=day, now=now, **self.collaborators(wanted), **fields)
            child, done = task, command == "verify"
            for parent in chain:  # the parent, then its parent, … as far as this node works them
                if parent.state is TaskState.CLOSED:
                    break
                parent.roll_up_child(
                    actor=actor, on=day, now=now, child_id=str(child.id), percent=child.percent, done=done,
                )
                child, done = parent, False  # a grandparent hears a new percent, not a verification
            return [task, *chain]

        return await self._run(f"task-{command}", task_id, act, expected_version, tuple(ancestors))

    async def _local_ancestors(self, task_id: UUID, command: str) -> list[UUID]:
        """The ancestors that hear a child's progress here: the parent, its parent, … up to the root or to a
        task that another node works (its progress travels up through the federation instead)."""
        return await asyncio.to_thread(self._ancestors, task_id, command)

    def _ancestors(self, task_id: UUID, command: str) -> list[UUID]:
        task = self.load(task_id, Task)
        # A child marked for another node is worked there; its progress reaches the parent through the
        # federation's inbox (ducha/federation/apply.py), but its verification (验收) happens here.
        if task.remote_node is not None and command != "verify":
            return []
        chain: list[UUID] = []
        current = task
        while current.parent_id is not None and (current is task or current.remote_node is None):
            try:  # an assignment from above names a parent that lives on the assigning node
                current = self.load(UUID(current.parent_id), Task)
            except NotFound:
                break
            chain.append(current.id)
        return chain

    async def run_clock(self, actor_of: Callable[[str], Actor], task_id: UUID) -> Outcome:
        """The clock's commands on one task in one save, as the office of the task's level: overdue (once),
        urging (once per interval) and the light's review (a change, with a warning when not green)."""

        def act(task: Task) -> Task:
            check_is(task, Task, task_id)
            now = self.clock.now()
            actor = actor_of(task.level)
            task.mark_overdue(actor=actor, now=now)
            task.urge_overdue(actor=actor, now=now, registry=self.registry, policy=self.policy)
            task.review_light(actor=actor, now=now, calendar=self.calendar, policy=self.policy)
            return task

        return await self._run("task-clock", task_id, act)


__all__ = ["Commands", "InstructionCommands", "PlanCommands", "TASK_COMMANDS", "TaskCommands"]
