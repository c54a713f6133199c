"""The task ledger's tree (工作台账的分解): a task's states and sources, its children, the roll-up of
their progress, and which node serves a unit.

A ledger task is decomposed into child tasks for lower units; each child is a task of its
own with the parent's id. The parent keeps, per child, its unit, weight, last percent and
whether it is done, and its own progress is rolled up from them: weighted by the
children's weights when every child has one, else the plain average.

Upper and lower levels each run their own node. The node that serves a unit is the
nearest division (itself or an ancestor) that runs a node; a child whose unit another
node serves is marked for that node (the crossing itself belongs to the levels' work).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from enum import StrEnum

from domain.errors import InvalidCommand, UnknownUnit
from domain.units import UnitRegistry


class TaskState(StrEnum):
    """Where a ledger task stands."""

    REGISTERED = "registered"  # 登记, waiting for the responsible unit to accept it
    ACCEPTED = "accepted"  # 承办: being worked on (also after a return)
    CLAIMED = "claimed"  # completion claimed, waiting for verification (照单验收)
    VERIFIED = "verified"  # 验收通过
    CLOSED = "closed"  # 销号


OPEN_STATES = frozenset({TaskState.REGISTERED, TaskState.ACCEPTED})


class TaskSource(StrEnum):
    """Where a ledger task comes from (DOMAIN.md "The task ledger")."""

    WORK_REPORT = "work-report"  # 《政府工作报告》
    ASSIGNMENT = "assignment"  # 上级交办
    INSTRUCTION = "instruction"  # 领导批示


@dataclass
class Child:
    """A child task as its parent keeps it: part of the parent's fold."""

    task_id: str
    unit: str
    weight: float | None
    remote_node: str | None
    percent: float = 0.0
    done: bool = False


def roll_up(children: Iterable[tuple[float, float | None]]) -> float:
    """A parent's percent from its children's (percent, weight): weighted when every child has a weight,
    else the plain average; 0 without children."""
    pairs = list(children)
    if not pairs:
        return 0.0
    if all(weight is not None for _, weight in pairs):
        total = sum(weight for _, weight in pairs)  # type: ignore[misc]
        return sum(percent * weight for percent, weight in pairs) / total  # type: ignore[operator]
    return sum(percent for percent, _ in pairs) / len(pairs)


def check_weights(weights: Collection[float | None]) -> None:
    """Raised when some children have a weight and others none, or a weight is not positive."""
    given = [w for w in weights if w is not None]
    if given and len(given) != len(weights):
        raise InvalidCommand("either every child task has a weight or none has")
    if any(w <= 0 for w in given):
        raise InvalidCommand("a child task's weight is positive")


def serving_node(registry: UnitRegistry, running: Collection[str]) -> Callable[[str], str]:
    """`node_of(unit)`: the nearest division, the unit's own or an ancestor, among the nodes `running`."""

    def node_of(unit: str) -> str:
        government = registry.government_of(unit)
        for code in [government, *registry.ancestors(government)]:
            if code in running:
                return code
        raise UnknownUnit(f"no running node serves unit {unit!r}")

    return node_of
