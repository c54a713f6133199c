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


PROVINCE_LEADER = Actor("220000", Role.LEADER, "省长")
PROVINCE_GOVERNMENT = Actor("220000", Role.GOVERNMENT, "省办公厅")
PROVINCE_AGENCY = Actor("220000-DCS", Role.AGENCY, "省督查员")
NANGUAN = Actor("220102", Role.TARGET, "南关区整改专班")


async def province_case_planned(node: Node, *, covert: bool = False) -> UUID:
    """A Jilin (220000) case on Nanguan (220102), approved and planned; covert (暗访) or open."""
    method = Method.COVERT_VISIT if covert else Method.INSPECTION
    outcome = await node.cases.propose(
        PROVINCE_AGENCY, on=D("2026-11-02"), case_type=CaseType.SPECIAL, topic=Topic.LIVELIHOOD, title="供暖保障专项督查",
        targets=["220102"], methods=[method], window_start=D("2026-11-01"), window_end=D("2026-12-31"), rationale="民生工程",
    )
    case_id = outcome.aggregate.id
    await node.cases.run("approve", PROVINCE_LEADER, case_id, on=D("2026-11-03"))
    await node.cases.run(
        "adopt-plan", PROVINCE_AGENCY, case_id, on=D("2026-11-04"), content="检查供暖保障", team=[PROVINCE_AGENCY.person],
        team_leader=PROVINCE_AGENCY.person, evaluators=[],
    )
    return case_id


async def province_case_notified(node: Node) -> UUID:
    """The open case, its notice (督查通知) sent to Nanguan on 11-05 for on-site work from 11-12."""
    case_id = await province_case_planned(node)
    await node.cases.run(
        "notify-targets", PROVINCE_AGENCY, case_id, on=D("2026-11-05"), site_work_starts=D("2026-11-12"),
        content="供暖保障落实情况", supervisors=[PROVINCE_AGENCY.person],
    )
    return case_id


async def visit_nanguan(node: Node, case_id: UUID) -> None:
    await node.cases.run("conduct-site-visit", PROVINCE_AGENCY, case_id, on=D("2026-11-12"), target="220102",
                         supervisors=[], summary="实地查看")


async def province_case_concluded(node: Node) -> UUID:
    """The open case notified, visited, reported and concluded with one requirement (due 12-31), delivered 11-16."""
    case_id = await province_case_notified(node)
    await visit_nanguan(node, case_id)
    await node.cases.run("submit-report", PROVINCE_AGENCY, case_id, on=D("2026-11-13"), summary="部分小区供暖不达标")
    await node.cases.run(
        "issue-conclusion", PROVINCE_GOVERNMENT, case_id, on=D("2026-11-14"), target="220102", summary="限期整改",
        findings=[], requirements=[{"id": "R1", "text": "室温达标", "deadline": D("2026-12-31")}],
    )
    await node.cases.run("deliver-conclusion", PROVINCE_AGENCY, case_id, on=D("2026-11-16"), target="220102")
    return case_id
