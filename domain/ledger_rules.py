"""The rules of the task ledger (工作台账): who may act on a task, and what a task must hold.

The responsible unit (责任单位) accepts (承办), reports and claims; the supervision office
(`agency`) of the assigning level — the government of whoever registered the task, or for
a child task the government of its parent's responsible unit — verifies (验收), returns,
urges (催办) and closes (销号).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from domain.actor import Actor, Role
from domain.errors import ActNotAllowed, InvalidCommand, WrongState
from domain.ledger_tree import OPEN_STATES, Child, TaskState, check_weights
from domain.lights import Milestone, check_percent
from domain.policy import Policy
from domain.units import UnitRegistry

HANDLING_ROLES = frozenset({Role.TARGET, Role.DEPARTMENT, Role.GOVERNMENT, Role.AGENCY})  # a unit acting for itself


def evidence_payload(evidence: Sequence[dict[str, str]]) -> list[dict[str, str]]:
    """Evidence as events keep it: a document's digest and title (the bytes live elsewhere).

    Raised (InvalidCommand) when an item lacks its digest or its title.
    """
    items = [{"digest": str(e.get("digest", "")), "title": str(e.get("title", ""))} for e in evidence]
    if any(not i["digest"].strip() or not i["title"].strip() for i in items):
        raise InvalidCommand("evidence names its digest and its title")
    return items


class LedgerRules:
    """The rules a ledger task's commands share. Mixed into `Task`; reads the fold's attributes."""

    state: TaskState
    level: str
    responsible_unit: str
    milestones: dict[str, Milestone]
    children: dict[str, Child]
    accepted_on: date | None
    deadline: date
    urged_on: date | None

    def _record(self, event_class: type, actor: Actor, on: date, now: datetime, **payload: Any) -> None:
        """Records one event carrying who acted and on which day; `now` is when it was recorded."""
        self.trigger_event(event_class, timestamp=now, actor=actor.as_dict(), on=on, **payload)  # type: ignore[attr-defined]

    def check_state(self, expected: TaskState, act: str) -> None:
        """Raised when the act does not fit the task's present state."""
        if self.state is not expected:
            raise WrongState(f"cannot {act} a task that is {self.state.value}")

    def check_responsible(self, actor: Actor) -> None:
        """Raised unless the responsible unit itself acts (承办 is the responsible unit's, not a supporting unit's)."""
        if actor.unit != self.responsible_unit or actor.role not in HANDLING_ROLES:
            raise ActNotAllowed(f"only the responsible unit {self.responsible_unit!r} may do this")

    def check_assigning_office(self, actor: Actor, registry: UnitRegistry) -> None:
        """Raised unless the supervision office (`agency`) of the level that assigned the task acts."""
        if actor.role is not Role.AGENCY or registry.government_of(actor.unit) != self.level:
            raise ActNotAllowed(f"only the supervision office of {self.level!r} may do this")

    def check_may_decompose(self, actor: Actor, registry: UnitRegistry) -> None:
        """Raised when the task is already decomposed or no longer open, or the actor is neither the assigning
        office nor the responsible unit after accepting."""
        if self.children:
            raise WrongState("the task is already decomposed")
        if self.state not in OPEN_STATES:
            raise WrongState(f"cannot decompose a task that is {self.state.value}")
        if actor.role is Role.AGENCY and registry.government_of(actor.unit) == self.level:
            return
        self.check_responsible(actor)
        if self.accepted_on is None:
            raise WrongState("the responsible unit decomposes a task once it has accepted it")

    def check_milestone(self, milestone_id: str) -> Milestone:
        """Raised when the task has no such milestone."""
        if milestone_id not in self.milestones:
            raise InvalidCommand(f"no milestone {milestone_id!r} in this task")
        return self.milestones[milestone_id]

    def check_child(self, child_id: str) -> Child:
        """Raised when the task has no such child."""
        if child_id not in self.children:
            raise InvalidCommand(f"task {child_id!r} is not a child of this task")
        return self.children[child_id]

    def check_all_reached(self) -> None:
        """Raised when a milestone is unreached or a child is not verified (照单: every item, then the whole)."""
        unreached = sorted(m.id for m in self.milestones.values() if m.reached_on is None)
        if unreached:
            raise WrongState(f"milestones not reached: {', '.join(unreached)}")
        pending = sorted(c.unit for c in self.children.values() if not c.done)
        if pending:
            raise WrongState(f"child tasks not verified: {', '.join(pending)}")

    def check_urging_interval(self, policy: Policy, on: date) -> None:
        """Raised when the task is urged again sooner than the policy's urging interval."""
        if self.urged_on is not None and on < self.urged_on + timedelta(days=policy.urging_interval_days):
            raise InvalidCommand(f"the task was urged on {self.urged_on}; urge again from {self.urged_on + timedelta(days=policy.urging_interval_days)}")

    def check_children(self, registry: UnitRegistry, level: str, children: Sequence[dict[str, Any]]) -> None:
        """Raised when there are no children, a child's unit is not below the responsible unit's government or
        repeats, a child's deadline is later than the task's, or the weights are mixed or not positive."""
        if not children:
            raise InvalidCommand("a decomposition names at least one child task")
        units = [c["unit"] for c in children]
        if len(set(units)) != len(units):
            raise InvalidCommand("a decomposition gives each unit one child task")
        for spec in children:
            self.check_units(registry, level, spec["unit"], spec.get("supporting_units", ()))
            if spec["unit"] == self.responsible_unit:
                raise InvalidCommand("a child task is for a lower unit, not the responsible unit itself")
            if spec["deadline"] > self.deadline:
                raise InvalidCommand(f"a child's deadline {spec['deadline']} is later than the task's {self.deadline}")
        check_weights([c.get("weight") for c in children])

    @staticmethod
    def check_units(registry: UnitRegistry, level: str, responsible: str, supporting: Sequence[str]) -> None:
        """Raised when a unit is unknown or outside the level's jurisdiction, or the responsible unit also supports."""
        registry.check_known([responsible, *supporting])
        for unit in [responsible, *supporting]:
            if not registry.is_within(unit, level):
                raise ActNotAllowed(f"unit {unit!r} is not under the jurisdiction of {level!r}")
        if responsible in supporting:
            raise InvalidCommand("the responsible unit is not also a supporting unit")

    @staticmethod
    def check_content(title: str, standard: str, deadline: date, on: date, milestones: Sequence[Milestone]) -> None:
        """Raised when a task lacks a title or a standard (验收标准), its deadline is not after its registration,
        or a milestone repeats an id, falls outside the task's time, or expects less than an earlier one."""
        if not title.strip() or not standard.strip():
            raise InvalidCommand("a ledger task has a title and a standard to verify it against")
        if deadline <= on:
            raise InvalidCommand(f"the deadline {deadline} is not after {on}")
        if len({m.id for m in milestones}) != len(milestones):
            raise InvalidCommand("milestone ids repeat")
        for m in milestones:
            check_percent(m.percent, f"milestone {m.id!r}'s percent")
            if not on <= m.due <= deadline:
                raise InvalidCommand(f"milestone {m.id!r} is due {m.due}, outside {on}..{deadline}")
        ordered = sorted(milestones, key=lambda m: m.due)
        if any(a.percent > b.percent for a, b in zip(ordered, ordered[1:])):
            raise InvalidCommand("a later milestone expects no less than an earlier one")
