"""One supervision case told step by step, as data: (stage, command, actor, on, fields).

The same story runs through the real writer (projection tests, `run_story`) and through a
started node's `node.cases.run` (API tests, `run_story_on`). Dates lie before the test
clock's day (2026-11-25) and meet the rules: notice three working days before the visit,
every act after the one it depends on, deadlines after today.
"""

from __future__ import annotations

import inspect
from datetime import date
from typing import Any
from uuid import UUID, uuid4

from domain.actor import Actor, Role
from domain.case import Case, CaseType, Method, Topic
from domain.policy import Policy
from ducha.calendar import OfficialCalendar

D = date.fromisoformat
OFFICE = Actor("220000-DCS", Role.AGENCY, "督查员李")
LEADER = Actor("220000", Role.LEADER, "省长")
GOVERNMENT = Actor("220000", Role.GOVERNMENT, "办公厅王")
OTHER_GOVERNMENT = Actor("220000", Role.GOVERNMENT, "办公厅赵")
TARGET = Actor("220100", Role.TARGET, "长春市刘")
OTHER_TARGET = Actor("220200", Role.TARGET, "吉林市孙")
EVALUATOR = Actor("220000-CBS", Role.EVALUATOR, "评估员吴")
TARGETS = ("220100", "220200")
PROPOSED_ON = D("2026-11-02")

Step = tuple[str, str, Actor, date, dict[str, Any]]


def proposal(covert: bool = False) -> dict[str, Any]:
    """The fields of `Case.propose` for the story's case."""
    methods = [Method.INSPECTION, Method.COVERT_VISIT] if covert else [Method.INSPECTION, Method.SELF_INSPECTION]
    return {
        "case_type": CaseType.COMPREHENSIVE, "topic": Topic.WORK_REPORT, "title": "稳就业任务落实", "targets": list(TARGETS),
        "methods": methods, "window_start": D("2026-11-01"), "window_end": D("2026-12-31"), "rationale": "政府工作报告",
    }


def steps(covert: bool = False) -> list[Step]:
    """Every step after the proposal, in order; a covert case is never notified."""
    notice = [("notified", "notify-targets", OFFICE, D("2026-11-05"), {
        "site_work_starts": D("2026-11-10"), "content": "实地督查", "supervisors": [OFFICE.person], "targets": ["220100"]})]
    return [
        ("approved", "approve", LEADER, D("2026-11-03"), {"remarks": "同意"}),
        ("planned", "adopt-plan", OFFICE, D("2026-11-04"), {
            "content": "检查就业补贴发放", "team": [OFFICE.person], "team_leader": OFFICE.person, "evaluators": [EVALUATOR.unit]}),
        *([] if covert else notice),
        ("visited", "conduct-site-visit", OFFICE, D("2026-11-10"), {"target": "220100", "summary": "四不两直"}),
        ("worked", "submit-self-inspection", TARGET, D("2026-11-11"), {"report": "自查报告", "items": {"补贴": "已发放", "台账": "已建立"}}),
        ("worked", "record-finding", OFFICE, D("2026-11-11"), {"finding_id": "f1", "target": "220100", "item": "补贴", "text": "发放滞后"}),
        ("worked", "submit-evaluation", EVALUATOR, D("2026-11-12"), {"target": "220100", "summary": "基本落实", "items": {"补贴": "部分滞后"}}),
        ("reported", "submit-report", OFFICE, D("2026-11-13"), {"summary": "总体推进有力"}),
        ("concluded", "issue-conclusion", GOVERNMENT, D("2026-11-16"), {
            "target": "220100", "summary": "存在滞后", "findings": ["f1"], "requirements": [
                {"id": "r1", "text": "年底前补发到位", "deadline": D("2026-12-31")},
                {"id": "r2", "text": "建立长效机制", "deadline": D("2027-01-29")}]}),
        ("delivered", "deliver-conclusion", OFFICE, D("2026-11-17"), {"target": "220100"}),
        ("verified", "complete-rectification", TARGET, D("2026-11-18"), {"requirement_id": "r1", "summary": "已补发"}),
        ("verified", "verify-rectification", OFFICE, D("2026-11-19"), {"requirement_id": "r1"}),
        ("results", "propose-criticism", OFFICE, D("2026-11-20"), {"proposal_id": "p1", "unit": "220100", "person": TARGET.person, "grounds": "发放滞后"}),
        ("results", "criticize", LEADER, D("2026-11-21"), {"proposal_id": "p1"}),
        ("results", "propose-commendation", OFFICE, D("2026-11-20"), {"proposal_id": "p2", "unit": "220200", "person": "吉林市孙", "grounds": "推进有力"}),
        ("results", "propose-accountability", OFFICE, D("2026-11-20"), {"proposal_id": "p3", "unit": "220100", "person": "长春市某", "grounds": "失职"}),
        ("results", "refer-accountability", LEADER, D("2026-11-21"), {"proposal_id": "p3", "authority": "市监委", "grounds": "移交"}),
        ("results", "tolerate-fault", GOVERNMENT, D("2026-11-24"), {"proposal_id": "p1", "grounds": "容错"}),
        ("results", "deduct-performance", GOVERNMENT, D("2026-11-24"), {"unit": "220100", "points": 2, "period": "2026", "notice": "绩效扣分通报"}),
    ]


STAGES = ("proposed", "approved", "planned", "notified", "visited", "worked", "reported", "concluded", "delivered", "verified", "results")


def until(stage: str, covert: bool = False) -> list[Step]:
    """The steps up to and including the last one of `stage`."""
    wanted = STAGES.index(stage)
    return [s for s in steps(covert) if STAGES.index(s[0]) <= wanted]


# ---- the story through the real writer (projection tests) ----------------------------------


def _context(method: Any, history: Any) -> dict[str, Any]:
    offered = {"registry": history.registry, "calendar": OfficialCalendar(), "policy": Policy()}
    return {k: v for k, v in offered.items() if k in inspect.signature(method).parameters}


def run_story(history: Any, stage: str, covert: bool = False) -> UUID:
    """Proposes the story's case in `history` (tests/projections/history.py) and runs it up to `stage`."""
    from tests.projections.history import NOW

    case_id = uuid4()
    history.writer.execute_sync(None, lambda _: Case.propose(
        case_id=case_id, actor=OFFICE, on=PROPOSED_ON, now=NOW, registry=history.registry, **proposal(covert)))
    for _, command, actor, on, fields in until(stage, covert):
        run_step(history, case_id, command, actor, on, **fields)
    return case_id


def run_step(history: Any, case_id: UUID, command: str, actor: Actor, on: date, **fields: Any) -> None:
    """One command on the case through the real writer."""
    from tests.projections.history import NOW

    def act(case: Case) -> Case:
        method = getattr(case, command.replace("-", "_"))
        method(actor=actor, on=on, now=NOW, **_context(method, history), **fields)
        return case

    history.writer.execute_sync(case_id, act)


# ---- the story on a started node (API tests) ----------------------------------------------


async def run_story_on(node: Any, stage: str, covert: bool = False) -> tuple[UUID, int]:
    """Proposes the story's case on `node` and runs it up to `stage`; answers its id and last position."""
    outcome = await node.cases.propose(OFFICE, on=PROPOSED_ON, **proposal(covert))
    case_id = outcome.aggregate.id
    for _, command, actor, on, fields in until(stage, covert):
        outcome = await node.cases.run(command, actor, case_id, on=on, **fields)
    return case_id, outcome.position
