"""Given: ledger tasks (工作台账) brought to each state by their own commands, on real 2025 dates."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import uuid4

from domain.actor import Actor, Role
from domain.ledger import Task, TaskSource
from domain.ledger_tree import serving_node
from tests.domain.given import CALENDAR, CTX, NOW, OFFICE, POLICY, REGISTRY, TARGET, D

CLOCK = Actor("220000-DCS", Role.AGENCY, "clock")
CITY_OFFICE = Actor("220100-DCS", Role.AGENCY, "长春督查员")
DISTRICT = Actor("220102", Role.TARGET, "南关区钱")
HANDLER, LEADER_NAME = "长春市刘", "副市长马"
MILESTONES = [{"id": "m1", "title": "完成一半", "due": D("2025-06-30"), "percent": 50}]
NODE_OF = serving_node(REGISTRY, {"220000", "220100"})


def at(day: date) -> datetime:
    """The clock's `now` on a day."""
    return datetime.combine(day, datetime.min.time(), UTC)


def registered(*, deadline=D("2025-12-31"), milestones=MILESTONES, unit="220100") -> Task:
    return Task.register(
        task_id=uuid4(), actor=OFFICE, on=D("2025-03-03"), title="新增城镇就业", source=TaskSource.WORK_REPORT,
        responsible_unit=unit, responsible_person=HANDLER, responsible_leader=LEADER_NAME, deadline=deadline,
        standard="新增就业2万人", milestones=milestones, supporting_units=["220000-FGW"], **CTX,
    )


def accepted(**kwargs) -> Task:
    task = registered(**kwargs)
    task.accept(actor=TARGET, on=D("2025-03-05"), now=NOW)
    return task


def claimed() -> Task:
    task = accepted()
    task.reach_milestone(actor=TARGET, on=D("2025-06-20"), now=NOW, milestone_id="m1")
    task.claim_completion(actor=TARGET, on=D("2025-11-20"), now=NOW, summary="完成")
    return task


def verified() -> Task:
    task = claimed()
    task.verify(actor=OFFICE, on=D("2025-11-25"), **CTX)
    return task


def child(unit: str, weight: float | None = None, deadline=D("2025-11-30")) -> dict:
    return {
        "task_id": uuid4(), "unit": unit, "person": f"{unit}经办", "leader": f"{unit}领导", "title": "分解任务",
        "standard": "新增就业5千人", "deadline": deadline, "weight": weight,
    }


def decomposed(*specs: dict) -> tuple[Task, list[Task]]:
    task = accepted(milestones=[])
    children = task.decompose(actor=TARGET, on=D("2025-03-10"), now=NOW, registry=REGISTRY, node_of=NODE_OF, children=list(specs))
    return task, children


__all__ = ["CALENDAR", "CLOCK", "CITY_OFFICE", "DISTRICT", "NOW", "POLICY", "REGISTRY"]
