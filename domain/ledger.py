"""A ledger task (工作台账任务): a long-term task broken into targets with a sequence, a deadline and a
standard, accepted item by item (照单执行验收).

A task comes from a Government Work Report, a higher level's assignment or a leader's
instruction. The level's supervision office (`agency`) or government registers it for a
responsible unit (责任单位) with a handler (经办人) and a responsible leader (责任领导); the
unit accepts it (承办), reports progress with evidence on a cycle, reaches milestones and
claims completion; the assigning level's office verifies (验收) or returns it, and closes
it (销号). The clock marks it overdue once, urges it (催办), and reviews its light
(红黄绿灯, `domain/lights.py`): a light turning yellow or red raises a warning addressed to
the responsible leader as well as the handler. Decomposition (分解) creates child tasks
for lower units (`domain/ledger_tree.py`); the parent's progress is rolled up from them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.actor import Actor, Role
from domain.calendar import WorkingCalendar
from domain.case_base import check_act_date, check_grounds
from domain.errors import ActNotAllowed, InvalidCommand, WrongState
from domain.ledger_rules import LedgerRules, evidence_payload
from domain.ledger_tree import OPEN_STATES, Child, TaskSource, TaskState, roll_up
from domain.lights import Light, Milestone, assess, check_percent
from domain.policy import Policy
from domain.units import UnitRegistry

__all__ = ["Task", "TaskSource", "TaskState", "Light", "Milestone", "roll_up"]


class Task(LedgerRules, Aggregate):
    """A ledger task. Its events are its history; its attributes are their fold."""

    class TaskRegistered(Aggregate.Created):
        """A task enters the ledger (or is created by its parent's decomposition, with `parent_id`)."""

        actor: dict[str, str]
        on: date
        level: str
        title: str
        source: str
        source_ref: str | None
        responsible_unit: str
        responsible_person: str
        responsible_leader: str
        supporting_units: list[str]
        standard: str
        milestones: list[dict[str, Any]]
        deadline: date
        parent_id: str | None
        weight: float | None
        remote_node: str | None

        def apply(self, task: Task) -> None:
            task.state, task.level, task.title = TaskState.REGISTERED, self.level, self.title
            task.source, task.source_ref = TaskSource(self.source), self.source_ref
            task.responsible_unit, task.handler = self.responsible_unit, self.responsible_person
            task.leader, task.supporting_units = self.responsible_leader, list(self.supporting_units)
            task.standard, task.deadline = self.standard, self.deadline
            task.milestones = {m["id"]: Milestone.from_dict(m) for m in self.milestones}
            task.parent_id, task.weight, task.remote_node = self.parent_id, self.weight, self.remote_node
            task.registered_on, task.accepted_on, task.claimed_on, task.verified_on = self.on, None, None, None
            task.reported_on, task.urged_on = None, None
            task.percent, task.children = 0.0, {}
            task.overdue, task.light = False, Light.GREEN

    class TaskDecomposed(Aggregate.Event):
        """The task is broken into child tasks for lower units: [{task_id, unit, weight, remote_node}]."""

        actor: dict[str, str]
        on: date
        children: list[dict[str, Any]]

        def apply(self, task: Task) -> None:
            for c in self.children:
                task.children[c["task_id"]] = Child(c["task_id"], c["unit"], c["weight"], c["remote_node"])

    class TaskAccepted(Aggregate.Event):
        """承办: the responsible unit takes the task on."""

        actor: dict[str, str]
        on: date
        note: str

        def apply(self, task: Task) -> None:
            task.state, task.accepted_on = TaskState.ACCEPTED, self.on

    class ProgressReported(Aggregate.Event):
        """The responsible unit reports progress: percent, narrative, evidence [{digest, title}]."""

        actor: dict[str, str]
        on: date
        percent: float
        narrative: str
        evidence: list[dict[str, str]]

        def apply(self, task: Task) -> None:
            task.percent, task.reported_on = self.percent, self.on

    class MilestoneReached(Aggregate.Event):
        """A phase target (阶段目标) is reached."""

        actor: dict[str, str]
        on: date
        milestone_id: str
        note: str

        def apply(self, task: Task) -> None:
            old = task.milestones[self.milestone_id]
            task.milestones[self.milestone_id] = Milestone(old.id, old.title, old.due, old.percent, self.on)

    class ChildProgressRolledUp(Aggregate.Event):
        """A child's percent (and whether it is verified) reaches the parent; `percent` is the parent's new roll-up."""

        actor: dict[str, str]
        on: date
        child_id: str
        child_percent: float
        child_done: bool
        percent: float

        def apply(self, task: Task) -> None:
            child = task.children[self.child_id]
            child.percent, child.done, task.percent = self.child_percent, self.child_done, self.percent

    class TaskCompletionClaimed(Aggregate.Event):
        """The responsible unit claims the task done, with its evidence."""

        actor: dict[str, str]
        on: date
        summary: str
        evidence: list[dict[str, str]]

        def apply(self, task: Task) -> None:
            task.state, task.claimed_on = TaskState.CLAIMED, self.on

    class TaskVerified(Aggregate.Event):
        """照单验收: the assigning level's office accepts the work against the standard."""

        actor: dict[str, str]
        on: date
        remarks: str

        def apply(self, task: Task) -> None:
            task.state, task.verified_on, task.percent = TaskState.VERIFIED, self.on, 100.0

    class TaskReturned(Aggregate.Event):
        """The assigning level's office sends a claimed task back, with its reason."""

        actor: dict[str, str]
        on: date
        reason: str

        def apply(self, task: Task) -> None:
            task.state = TaskState.ACCEPTED

    class TaskOverdue(Aggregate.Event):
        """The clock saw the deadline pass with the task still open (once)."""

        actor: dict[str, str]
        on: date
        deadline: date

        def apply(self, task: Task) -> None:
            task.overdue = True

    class TargetUrged(Aggregate.Event):
        """催办: the office or the clock urges the responsible unit."""

        actor: dict[str, str]
        on: date
        target: str
        message: str

        def apply(self, task: Task) -> None:
            task.urged_on = self.on

    class LightChanged(Aggregate.Event):
        """The clock's review found the light changed (green, yellow, red)."""

        actor: dict[str, str]
        on: date
        light: str
        previous: str
        reason: str

        def apply(self, task: Task) -> None:
            task.light = Light(self.light)

    class TaskWarningRaised(Aggregate.Event):
        """A yellow or red light warns the responsible leader and the handler (`recipients`)."""

        actor: dict[str, str]
        on: date
        light: str
        reason: str
        responsible_unit: str
        leader: str
        handler: str
        recipients: list[str]

    class TaskClosed(Aggregate.Event):
        """销号: the assigning level's office closes a verified task."""

        actor: dict[str, str]
        on: date
        summary: str

        def apply(self, task: Task) -> None:
            task.state = TaskState.CLOSED

    # ---- commands ---------------------------------------------------------------------

    @classmethod
    def register(
        cls, *, task_id: UUID, actor: Actor, on: date, now: datetime, registry: UnitRegistry, title: str,
        source: TaskSource, responsible_unit: str, responsible_person: str, responsible_leader: str, deadline: date,
        standard: str, milestones: Sequence[dict[str, Any]] = (), supporting_units: Sequence[str] = (),
        source_ref: str | None = None,
    ) -> Task:
        """The level's office (or government) registers a task for a unit in its jurisdiction."""
        check_act_date(on, now)
        if actor.role not in (Role.AGENCY, Role.GOVERNMENT):
            raise ActNotAllowed("a ledger task is registered by the supervision office or the government")
        level = registry.government_of(actor.unit)
        cls.check_units(registry, level, responsible_unit, supporting_units)
        return cls._registered(
            task_id, actor, on, now, level=level, title=title, source=TaskSource(source).value, source_ref=source_ref,
            responsible_unit=responsible_unit, responsible_person=responsible_person,
            responsible_leader=responsible_leader, supporting_units=supporting_units, standard=standard,
            milestones=milestones, deadline=deadline, parent_id=None, weight=None, remote_node=None,
        )

    def decompose(
        self, *, actor: Actor, on: date, now: datetime, registry: UnitRegistry, node_of: Callable[[str], str],
        children: Sequence[dict[str, Any]],
    ) -> list[Task]:
        """分解: the responsible unit (once it accepted) or the assigning office breaks the task into child
        tasks for lower units, each {task_id, unit, person, leader, title, standard, deadline, milestones?,
        weight?}. Returns the new child tasks; the caller saves them with this one."""
        self.check_may_decompose(actor, registry)
        check_act_date(on, now, not_before=self.accepted_on or self.registered_on)
        level = registry.government_of(self.responsible_unit)
        self.check_children(registry, level, children)
        made = [self._child(spec, actor, on, now, level, node_of) for spec in children]
        listed = [{"task_id": str(t.id), "unit": t.responsible_unit, "weight": t.weight, "remote_node": t.remote_node} for t in made]
        self._record(self.TaskDecomposed, actor, on, now, children=listed)
        return made

    def accept(self, *, actor: Actor, on: date, now: datetime, note: str = "", registry: UnitRegistry | None = None) -> None:
        """承办: the responsible unit accepts the task."""
        self.check_state(TaskState.REGISTERED, "accept")
        self.check_responsible(actor)
        check_act_date(on, now, not_before=self.registered_on)
        self._record(self.TaskAccepted, actor, on, now, note=note)

    def report_progress(
        self, *, actor: Actor, on: date, now: datetime, percent: float, narrative: str,
        evidence: Sequence[dict[str, str]] = (), registry: UnitRegistry | None = None,
    ) -> None:
        """The responsible unit reports progress; reports may come more often than the cycle, never less."""
        self.check_state(TaskState.ACCEPTED, "report progress on")
        self.check_responsible(actor)
        if self.children:
            raise WrongState("a decomposed task's progress is rolled up from its children")
        check_percent(percent)
        if not narrative.strip():
            raise InvalidCommand("a progress report says what was done")
        check_act_date(on, now, not_before=self.reported_on or self.accepted_on)
        self._record(self.ProgressReported, actor, on, now, percent=float(percent), narrative=narrative, evidence=evidence_payload(evidence))

    def reach_milestone(
        self, *, actor: Actor, on: date, now: datetime, milestone_id: str, note: str = "", registry: UnitRegistry | None = None
    ) -> None:
        """The responsible unit records a milestone reached."""
        self.check_state(TaskState.ACCEPTED, "reach a milestone of")
        self.check_responsible(actor)
        milestone = self.check_milestone(milestone_id)
        if milestone.reached_on is not None:
            raise WrongState(f"milestone {milestone_id!r} was reached on {milestone.reached_on}")
        check_act_date(on, now, not_before=self.accepted_on)
        self._record(self.MilestoneReached, actor, on, now, milestone_id=milestone_id, note=note)

    def roll_up_child(self, *, actor: Actor, on: date, now: datetime, child_id: str, percent: float, done: bool = False) -> float:
        """A child's progress (or its verification, `done`) reaches the parent: called by the application
        with the child's event's actor and date. Returns the parent's new percent."""
        if self.state is TaskState.CLOSED:
            raise WrongState("a closed task takes no more progress")
        child = self.check_child(child_id)
        check_percent(percent)
        if done and percent != 100:
            raise InvalidCommand("a verified child stands at 100 percent")
        check_act_date(on, now)
        shares = [(percent if c is child else c.percent, c.weight) for c in self.children.values()]
        rolled = roll_up(shares)
        self._record(self.ChildProgressRolledUp, actor, on, now, child_id=child_id, child_percent=float(percent), child_done=done, percent=rolled)
        return rolled

    def claim_completion(
        self, *, actor: Actor, on: date, now: datetime, summary: str, evidence: Sequence[dict[str, str]] = (),
        registry: UnitRegistry | None = None,
    ) -> None:
        """The responsible unit claims the task done: every milestone reached, every child verified."""
        self.check_state(TaskState.ACCEPTED, "claim completion of")
        self.check_responsible(actor)
        self.check_all_reached()
        check_act_date(on, now, not_before=self.reported_on or self.accepted_on)
        self._record(self.TaskCompletionClaimed, actor, on, now, summary=summary, evidence=evidence_payload(evidence))

    def verify(self, *, actor: Actor, on: date, now: datetime, registry: UnitRegistry, remarks: str = "") -> None:
        """照单验收: the assigning level's office verifies a claimed task."""
        self.check_state(TaskState.CLAIMED, "verify")
        self.check_assigning_office(actor, registry)
        check_act_date(on, now, not_before=self.claimed_on)
        self._record(self.TaskVerified, actor, on, now, remarks=remarks)

    def return_task(self, *, actor: Actor, on: date, now: datetime, registry: UnitRegistry, reason: str) -> None:
        """The assigning level's office sends a claimed task back to work, with its reason."""
        self.check_state(TaskState.CLAIMED, "return")
        self.check_assigning_office(actor, registry)
        check_grounds(reason, "a return of a task")
        check_act_date(on, now, not_before=self.claimed_on)
        self._record(self.TaskReturned, actor, on, now, reason=reason)

    def mark_overdue(self, *, actor: Actor, now: datetime) -> bool:
        """The clock's command: marks an open task past its deadline overdue, once. True when it did."""
        if self.overdue or self.state not in OPEN_STATES or now.date() <= self.deadline:
            return False
        self._record(self.TaskOverdue, actor, now.date(), now, deadline=self.deadline)
        return True

    def urge(self, *, actor: Actor, on: date, now: datetime, registry: UnitRegistry, policy: Policy, message: str) -> None:
        """催办: the assigning level's office (or the clock for it) urges the responsible unit."""
        if self.state not in OPEN_STATES:
            raise WrongState(f"cannot urge a task that is {self.state.value}")
        self.check_assigning_office(actor, registry)
        self.check_urging_interval(policy, on)
        check_act_date(on, now, not_before=self.registered_on)
        self._record(self.TargetUrged, actor, on, now, target=self.responsible_unit, message=message)

    def urge_overdue(self, *, actor: Actor, now: datetime, registry: UnitRegistry, policy: Policy) -> bool:
        """The clock's command (催办): urges an overdue open task, at most once per urging interval (by anyone).
        True when it urged."""
        last = self.urged_on
        if not self.overdue or self.state not in OPEN_STATES:
            return False
        if last is not None and now.date() < last + timedelta(days=policy.urging_interval_days):
            return False
        message = f"任务已逾期（期限 {self.deadline}），请抓紧办理并报送进展"
        self.urge(actor=actor, on=now.date(), now=now, registry=registry, policy=policy, message=message)
        return True

    def review_light(self, *, actor: Actor, now: datetime, calendar: WorkingCalendar, policy: Policy) -> Light | None:
        """The clock's command: judges the light today; records a change (and, for yellow or red, a warning
        to the leader and the handler). Nothing when the light is unchanged or the task is no longer open."""
        if self.state not in OPEN_STATES:
            return None
        new, reason = assess(self.deadline, self.milestones.values(), self.percent, now.date(), calendar, policy)
        if new is self.light:
            return None
        self._record(self.LightChanged, actor, now.date(), now, light=new.value, previous=self.light.value, reason=reason)
        if new is not Light.GREEN:
            self._record(
                self.TaskWarningRaised, actor, now.date(), now, light=new.value, reason=reason,
                responsible_unit=self.responsible_unit, leader=self.leader, handler=self.handler,
                recipients=list(dict.fromkeys([self.leader, self.handler])),
            )
        return new

    def close(self, *, actor: Actor, on: date, now: datetime, registry: UnitRegistry, summary: str = "") -> None:
        """销号: the assigning level's office closes a verified task."""
        self.check_state(TaskState.VERIFIED, "close")
        self.check_assigning_office(actor, registry)
        check_act_date(on, now, not_before=self.verified_on)
        self._record(self.TaskClosed, actor, on, now, summary=summary)

    # ---- reading ----------------------------------------------------------------------

    def report_due(self, policy: Policy) -> date | None:
        """The day the next progress report is due (the policy's cycle after the last one or the acceptance)."""
        if self.state is not TaskState.ACCEPTED or self.children:
            return None
        return (self.reported_on or self.accepted_on) + timedelta(days=policy.progress_report_cycle_days)

    # ---- making tasks -----------------------------------------------------------------

    @classmethod
    def _registered(cls, task_id: UUID, actor: Actor, on: date, now: datetime, **fields: Any) -> Task:
        milestones = [Milestone.from_dict(m) for m in fields.pop("milestones")]
        cls.check_content(fields["title"], fields["standard"], fields["deadline"], on, milestones)
        fields["supporting_units"] = list(dict.fromkeys(fields["supporting_units"]))
        return cls._create(
            cls.TaskRegistered, id=task_id, timestamp=now, actor=actor.as_dict(), on=on,
            milestones=[m.payload() for m in milestones], **fields,
        )

    def _child(
        self, spec: dict[str, Any], actor: Actor, on: date, now: datetime, level: str, node_of: Callable[[str], str]
    ) -> Task:
        unit = spec["unit"]
        remote = node_of(unit) if node_of(unit) != node_of(level) else None
        return self._registered(
            spec["task_id"], actor, on, now, level=level, title=spec["title"], source=self.source.value,
            source_ref=self.source_ref, responsible_unit=unit, responsible_person=spec["person"],
            responsible_leader=spec["leader"], supporting_units=spec.get("supporting_units", ()),
            standard=spec["standard"], milestones=spec.get("milestones", ()), deadline=spec["deadline"],
            parent_id=str(self.id), weight=None if spec.get("weight") is None else float(spec["weight"]), remote_node=remote,
        )
