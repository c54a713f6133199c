"""The work measured: supervision cases (督查事项) proposed by the office, approved by the leader.

Every command records exactly one event: propose records CaseProposed (no load),
approve loads the case and records CaseApproved.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from functools import cache
from itertools import cycle
from typing import Any
from uuid import UUID, uuid4

from domain.actor import Actor, Role
from domain.case import Case, CaseType, Method, Topic
from domain.units import UnitRegistry

NODE = "220000"
AGENCY = Actor(unit=NODE, role=Role.AGENCY, person="bench-agency")
LEADER = Actor(unit=NODE, role=Role.LEADER, person="bench-leader")


@cache
def _targets() -> Iterator[str]:
    """Every unit under the node, in turn: cases spread over the province as real ones do."""
    from ducha.units import load_registry

    registry = load_registry()
    return cycle(sorted(u.code for u in registry if u.code != NODE and registry.is_within(u.code, NODE)))


def case_fields() -> dict[str, Any]:
    """A realistic proposal: one target (the next unit in turn), two methods, a two-month window, a sentence of rationale."""
    return {
        "case_type": CaseType.COMPREHENSIVE,
        "topic": Topic.WORK_REPORT,
        "title": "2026年《政府工作报告》重点任务落实情况督查",
        "targets": [next(_targets())],
        "methods": [Method.INSPECTION, Method.HEARING_REPORT],
        "window_start": date(2026, 12, 1),
        "window_end": date(2027, 1, 31),
        "rationale": "省政府常务会议部署，检查重点任务推进情况并督促整改。",
    }


def http_proposal() -> dict[str, Any]:
    """The same proposal as JSON for the HTTP API."""
    fields = case_fields()
    return {
        **fields,
        "case_type": fields["case_type"].value,
        "topic": fields["topic"].value,
        "methods": [m.value for m in fields["methods"]],
        "window_start": fields["window_start"].isoformat(),
        "window_end": fields["window_end"].isoformat(),
    }


def proposed_case(registry: UnitRegistry, now: datetime | None = None, case_id: UUID | None = None) -> Case:
    now = now or datetime.now(UTC)
    return Case.propose(case_id=case_id or uuid4(), actor=AGENCY, on=now.date(), now=now, registry=registry, **case_fields())


def approve(case: Case, registry: UnitRegistry, now: datetime | None = None) -> Case:
    now = now or datetime.now(UTC)
    case.approve(actor=LEADER, on=now.date(), now=now, registry=registry)
    return case


def seed_store(app: Any, registry: UnitRegistry, events: int, batch: int = 500) -> None:
    """Records `events` events (proposed + approved cases), many per transaction: set-up, not measured."""
    cases = events // 2
    for start in range(0, cases, batch):
        group = [approve(proposed_case(registry), registry) for _ in range(min(batch, cases - start))]
        app.save(*group)
    if events % 2:
        app.save(proposed_case(registry))
