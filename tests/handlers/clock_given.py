"""Given: a case brought through the application layer to where the clock has work on 2026-11-25.

长春市 (220100) has requirement r1 due 2026-09-30, unverified; 吉林市 (220200) applied for
review on 2026-09-10 (decide by 2026-10-10) and no decision came. The default test clock
(tests/conftest.py) reads 2026-11-25.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from uuid import UUID

import pytest

from domain.actor import Actor, Role
from domain.case import CaseType, Method, Topic
from ducha.bootstrap import Node, bootstrap
from ducha.clock import SetClock
from ducha.settings import Settings
from projections.base import apply_batch

D = date.fromisoformat
LEADER = Actor("220000", Role.LEADER, "省长")
GOVERNMENT = Actor("220000", Role.GOVERNMENT, "办公厅王")
OFFICE = Actor("220000-DCS", Role.AGENCY, "督查员李")
CHANGCHUN = Actor("220100", Role.TARGET, "长春市刘")
JILIN = Actor("220200", Role.TARGET, "吉林市孙")
CLOCK_ACTOR = {"unit": "220000-DCS", "role": "agency", "person": "clock"}


async def overdue_case(node: Node) -> UUID:
    cases = node.cases
    case = (await cases.propose(
        OFFICE, on=D("2026-03-02"), case_type=CaseType.COMPREHENSIVE, topic=Topic.WORK_REPORT, title="重点任务督查",
        targets=["220100", "220200"], methods=[Method.INSPECTION], window_start=D("2026-03-02"),
        window_end=D("2026-12-31"), rationale="政府工作报告",
    )).aggregate.id
    steps = [
        ("approve", LEADER, "2026-03-03", {}),
        ("adopt-plan", OFFICE, "2026-03-05", {"content": "督查重点任务", "team": [OFFICE.person]}),
        ("notify-targets", OFFICE, "2026-03-09", {"site_work_starts": D("2026-03-16"), "content": "实地督查", "supervisors": [OFFICE.person]}),
        ("conduct-site-visit", OFFICE, "2026-03-16", {"target": "220100"}),
        ("record-finding", OFFICE, "2026-03-16", {"finding_id": "f1", "target": "220100", "item": "项目", "text": "进度滞后"}),
        ("submit-report", OFFICE, "2026-04-20", {"summary": "总体有力"}),
        ("issue-conclusion", GOVERNMENT, "2026-05-11", {"target": "220100", "summary": "滞后", "findings": ["f1"],
                                                        "requirements": [{"id": "r1", "text": "九月底前开工", "deadline": "2026-09-30"}]}),
        ("deliver-conclusion", OFFICE, "2026-05-13", {"target": "220100"}),
        ("issue-conclusion", GOVERNMENT, "2026-08-03", {"target": "220200", "summary": "待改进",
                                                        "requirements": [{"id": "r2", "text": "年底前完善制度", "deadline": "2026-12-31"}]}),
        ("deliver-conclusion", OFFICE, "2026-09-01", {"target": "220200"}),
        ("request-review", JILIN, "2026-09-10", {"grounds": "已按期完成"}),
    ]
    for command, actor, on, fields in steps:
        await cases.run(command, actor, case, on=D(on), **fields)
    return case


def feed(node: Node) -> None:
    """Brings the due-items view up to the store, straight from the event store (no bus)."""
    apply_batch(node.views, node.due_items, node.reader.iter_envelopes())


def event_counts(node: Node) -> Counter[str]:
    return Counter(envelope.type for envelope in node.reader.iter_envelopes())


@pytest.fixture
def built(tmp_path: Path, clock: SetClock, registry) -> Iterator[Node]:
    """A node whose writer runs; nothing else is started."""
    node = bootstrap(Settings(data_dir=tmp_path / "data", nats_url="nats://127.0.0.1:1"), clock=clock, registry=registry)
    node.writer.start()
    yield node
    node.writer.stop()
    for part in (node.views, node.app, node.audit_store):
        part.close()


async def tick(node: Node, times: int = 1) -> None:
    """Feeds the view, then ticks the node's clock, `times` over."""
    assert node.clock_handler is not None
    for _ in range(times):
        feed(node)
        await node.clock_handler.tick()
