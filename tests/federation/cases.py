"""A Changchun (220100) case taken through its lifecycle by the city node's own commands, for the case reports."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from domain.actor import Actor, Role
from domain.case import CaseType, Method, Topic
from ducha.bootstrap import Node

CITY_LEADER = Actor("220100", Role.LEADER, "市长")
CITY_GOVERNMENT = Actor("220100", Role.GOVERNMENT, "市办公厅")
CITY_AGENCY = Actor("220100-DCS", Role.AGENCY, "市督查员")
D = date.fromisoformat


async def city_case_reported(node: Node, *, report_up: bool = True) -> UUID:
    """A Changchun case on Nanguan, approved, planned and reported (step 8)."""
    cases = node.cases
    outcome = await cases.propose(
        CITY_AGENCY, on=D("2026-11-02"), case_type=CaseType.COMPREHENSIVE, topic=Topic.WORK_REPORT, title="稳就业任务落实",
        targets=["220102"], methods=[Method.INSPECTION], window_start=D("2026-11-01"), window_end=D("2026-12-31"),
        rationale="政府工作报告",
    )
    case_id = outcome.aggregate.id
    await cases.run("approve", CITY_LEADER, case_id, on=D("2026-11-03"))
    await cases.run(
        "adopt-plan", CITY_AGENCY, case_id, on=D("2026-11-04"), content="检查就业补贴发放", team=[CITY_AGENCY.person],
        team_leader=CITY_AGENCY.person, evaluators=[],
    )
    await cases.run("submit-report", CITY_AGENCY, case_id, on=D("2026-11-10"), summary="总体推进有力", report_up=report_up)
    return case_id


async def city_case_closed(node: Node) -> UUID:
    """The same case concluded without requirements and closed (办结)."""
    case_id = await city_case_reported(node)
    await node.cases.run(
        "issue-conclusion", CITY_GOVERNMENT, case_id, on=D("2026-11-12"), target="220102", summary="总体良好", findings=[],
        requirements=[],
    )
    await node.cases.run("close", CITY_AGENCY, case_id, on=D("2026-11-13"), summary="办结")
    return case_id
