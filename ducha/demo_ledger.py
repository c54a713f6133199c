"""`ducha demo`'s annual plan (年度督查检查考核计划), task ledger (工作台账) and leaders' instructions (领导批示).

Played through the node's application layer, like the demo's cases (`ducha/demo.py`):

* The province's 2026 plan: drafted in January with the comprehensive supervision (综合督查) and
  the education department's special case (专项督查), caps for three prefectures, filed before
  the first case is approved; the covert check ordered on an instruction is approved on its own
  (一事一报).
* The 2026 Government Work Report (《政府工作报告》) ledger: four provincial tasks, three decomposed
  (分解) to prefectures and one of those further to 长春市's districts. 优化营商环境: the districts'
  work is verified by 长春市's office and rolled up, 长春市's share is claimed and verified (照单验收),
  吉林市's claim is returned (退回) and then runs past its deadline (overdue, red). 老旧小区改造:
  吉林市 misses the October milestone (red), and so does the province. 黑土地保护: the prefectures'
  progress lags the milestones (yellow). 稳就业: verified and closed (销号).
* Instructions: one on border-area road safety, answered by 延边州 and checked covertly (暗访核查,
  the demo's covert case); one on the winter heating, answered by 长春市; one on the Songhua
  River's winter water quality, left unanswered past its deadline.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain.actor import Actor
from domain.annual_plan import ActivityKind
from domain.ledger_tree import TaskSource
from domain.policy import Urgency
from ducha.demo_cast import (
    CHANGCHUN, CHANGCHUN_OFFICE, CHAOYANG, D, EDUCATION, GOVERNMENT, HOUSING, JILIN, LEADER, NANGUAN, OFFICE, REFORM,
    SIPING, SONGYUAN, YANBIAN,
)

if TYPE_CHECKING:
    from ducha.bootstrap import Node
    from ducha.demo import DemoResult

YEAR = 2026
REPORT = "2026年吉林省《政府工作报告》"


def evidence(title: str, seed: str) -> list[dict[str, str]]:
    """One document as evidence: its digest (a fixed, recognisable one per document) and its title."""
    return [{"digest": "sha256:" + (seed * 32)[:64], "title": title}]


def milestone(mid: str, title: str, due: str, percent: int) -> dict[str, Any]:
    """A phase target (阶段目标) as a task's registration takes it: by `due`, `percent` of the work done."""
    return {"id": mid, "title": title, "due": D(due), "percent": percent}


class Ledger:
    """Runs the ledger's, the instructions' and the plan's commands on a started node, naming what it makes."""

    def __init__(self, node: Node, result: DemoResult) -> None:
        assert node.tasks is not None and node.instructions is not None and node.plans is not None
        self.node, self.result = node, result
        self.tasks, self.instructions, self.plans = node.tasks, node.instructions, node.plans

    async def register(self, name: str, by: Actor, on: str, *, deadline: str, **fields: Any) -> UUID:
        outcome = await self.tasks.register(
            by, on=D(on), source=TaskSource.WORK_REPORT, source_ref=REPORT, deadline=D(deadline), **fields
        )
        self.result.tasks[name] = outcome.aggregate.id
        return outcome.aggregate.id

    async def decompose(self, task: UUID, by: Actor, on: str, children: dict[str, dict[str, Any]]) -> dict[str, UUID]:
        """分解 into `children` by name; each spec's deadline is an ISO day."""
        specs = [{**spec, "deadline": D(spec["deadline"])} for spec in children.values()]
        _, made = await self.tasks.decompose(by, task, children=specs, on=D(on))
        named = dict(zip(children, made, strict=True))
        self.result.tasks.update(named)
        return named

    async def task(self, task: UUID, command: str, by: Actor, on: str, **fields: Any) -> None:
        await self.tasks.run(command, by, task, on=D(on), **fields)

    async def report(self, task: UUID, by: Actor, on: str, percent: float, narrative: str, proof: str | None = None) -> None:
        """进展报送, with a document as evidence when `proof` names one."""
        shown = evidence(proof, str(int(percent) % 10)) if proof else []
        await self.task(task, "report-progress", by, on, percent=percent, narrative=narrative, evidence=shown)

    async def issue(self, name: str, on: str, **fields: Any) -> UUID:
        outcome = await self.instructions.issue(LEADER, on=D(on), **fields)
        self.result.instructions[name] = outcome.aggregate.id
        return outcome.aggregate.id

    async def instruction(self, instruction: UUID, command: str, by: Actor, on: str, **fields: Any) -> None:
        await self.instructions.run(command, by, instruction, on=D(on), **fields)

    async def plan(self, command: str, by: Actor, on: str, **fields: Any) -> None:
        await self.plans.run(command, by, "220000", YEAR, on=D(on), **fields)


# ---- 年度督查检查考核计划 ---------------------------------------------------------------------


async def annual_plan(ledger: Ledger) -> None:
    """The province's 2026 plan, filed before the first case is approved (一事一报 then applies)."""
    await ledger.plans.draft(OFFICE, year=YEAR, on=D("2026-01-12"))
    await ledger.plan(
        "plan-activity", OFFICE, "2026-01-12", activity_id="zh-2026", kind=ActivityKind.SUPERVISION,
        title="《政府工作报告》重点任务落实情况综合督查", units=["220100", "220200", "222400"],
        window_start=D("2026-03-01"), window_end=D("2026-05-31"),
    )
    await ledger.plan(
        "plan-activity", OFFICE, "2026-01-12", activity_id="jy-2026", kind=ActivityKind.SUPERVISION,
        title="义务教育“双减”和课后服务政策落实情况专项督查（省教育厅）", units=["220100", "220200"],
        window_start=D("2026-04-01"), window_end=D("2026-07-31"),
    )
    await ledger.plan(
        "plan-activity", OFFICE, "2026-01-12", activity_id="kh-2026", kind=ActivityKind.ASSESSMENT,
        title="2026年度市（州）政府绩效考核", units=["220100", "220200", "220300", "220700", "222400"],
        window_start=D("2026-12-01"), window_end=D("2026-12-31"),
    )
    for unit in ("220100", "220200", "222400"):
        await ledger.plan("set-cap", OFFICE, "2026-01-13", unit=unit, on_site_visits=3, material_requests=6, reports=12)
    await ledger.plan("file", GOVERNMENT, "2026-01-20")


# ---- 2026年《政府工作报告》工作台账 ------------------------------------------------------------


async def work_report_ledger(ledger: Ledger) -> None:
    """The four provincial tasks of the 2026 Government Work Report, through the year."""
    await business_environment(ledger)
    await old_neighbourhoods(ledger)
    await black_soil(ledger)
    await employment(ledger)


async def business_environment(ledger: Ledger) -> None:
    """优化营商环境: 长春市 via its districts, verified and rolled up; 吉林市 returned, then overdue; 延边州 on track."""
    root = await ledger.register(
        "营商环境", OFFICE, "2026-02-09", deadline="2026-12-31", title="持续优化营商环境，深化“高效办成一件事”改革",
        responsible_unit=REFORM.unit, responsible_person=REFORM.person, responsible_leader="分管副省长",
        standard="政务服务事项“一网通办”率达到95%以上，企业开办1个工作日内办结。",
        milestones=[milestone("m1", "6月底前完成事项梳理和流程再造", "2026-06-30", 40), milestone("m2", "9月底前“一网通办”全面上线", "2026-09-30", 70)],
    )
    await ledger.task(root, "accept", REFORM, "2026-02-11", note="省发展改革委牵头，会同各市（州）落实。")
    share = "本地区政务服务“一网通办”率达到95%以上，企业开办1个工作日内办结。"
    kids = await ledger.decompose(root, REFORM, "2026-02-12", {
        f"营商环境-{city}": {
            "unit": actor.unit, "person": actor.person, "leader": f"{place}{leader}", "title": f"{place}优化营商环境",
            "standard": share, "deadline": deadline, "weight": weight,
        } for city, place, leader, actor, deadline, weight in (
            ("长春", "长春市", "常务副市长", CHANGCHUN, "2026-11-20", 0.4), ("吉林", "吉林市", "常务副市长", JILIN, "2026-11-20", 0.3),
            ("延边", "延边州", "常务副州长", YANBIAN, "2026-12-31", 0.3),
        )
    })
    await changchun_districts(ledger, kids["营商环境-长春"])
    jilin = kids["营商环境-吉林"]
    await ledger.task(jilin, "accept", JILIN, "2026-02-13")
    await ledger.report(jilin, JILIN, "2026-05-29", 45, "市级政务服务事项梳理完成。", "吉林市政务服务事项清单")
    await ledger.report(jilin, JILIN, "2026-10-30", 100, "“一网通办”平台上线运行。", "吉林市一网通办运行报告")
    await ledger.task(jilin, "claim-completion", JILIN, "2026-11-02", summary="各项任务已完成，申请验收。", evidence=evidence("吉林市验收申请", "a"))
    await ledger.task(jilin, "return", OFFICE, "2026-11-09", reason="验收材料缺少第三方评估报告，“一网通办”率未经核实，退回补充。")
    yanbian = kids["营商环境-延边"]
    await ledger.task(yanbian, "accept", YANBIAN, "2026-02-13")
    for on, percent, text in (("2026-05-29", 40, "州本级事项梳理完成。"), ("2026-08-28", 65, "县市平台对接完成。"), ("2026-11-20", 85, "边境口岸“单一窗口”上线。")):
        await ledger.report(yanbian, YANBIAN, on, percent, text, f"延边州营商环境进展（{on}）")
    await ledger.task(root, "reach-milestone", REFORM, "2026-06-26", milestone_id="m1", note="事项梳理和流程再造完成。")
    await ledger.task(root, "reach-milestone", REFORM, "2026-09-29", milestone_id="m2", note="省一体化政务服务平台全面上线。")


async def changchun_districts(ledger: Ledger, changchun: UUID) -> None:
    """长春市 accepts its share, decomposes it to two districts, verifies theirs (长春市督查室), then claims its own."""
    await ledger.task(changchun, "accept", CHANGCHUN, "2026-02-13", note="市营商环境建设局具体承办。")
    standard = "区级政务服务事项全部进驻大厅，“一网通办”率达到95%以上。"
    # district: (its actor, the day it claims completion, the day 长春市督查室 verifies it)
    work = {"南关区": (NANGUAN, "2026-09-18", "2026-09-25"), "朝阳区": (CHAOYANG, "2026-09-22", "2026-09-28")}
    districts = await ledger.decompose(changchun, CHANGCHUN, "2026-02-16", {
        f"营商环境-{place}": {
            "unit": actor.unit, "person": actor.person, "leader": f"{place}区长", "title": f"{place}优化营商环境",
            "standard": standard, "deadline": "2026-10-31",
        } for place, (actor, _, _) in work.items()
    })
    for place, (actor, claimed, verified) in work.items():
        district = districts[f"营商环境-{place}"]
        await ledger.task(district, "accept", actor, "2026-02-18")
        await ledger.report(district, actor, "2026-04-30", 50, "区政务服务大厅改造完成。", f"{place}政务大厅改造验收单")
        await ledger.report(district, actor, "2026-07-31", 90, "区级事项全部进驻，网办率94%。", f"{place}网办率统计表")
        await ledger.report(district, actor, claimed, 100, "网办率达到96%。")
        await ledger.task(
            district, "claim-completion", actor, claimed, summary="任务全部完成，申请验收。", evidence=evidence(f"{place}验收申请", "b")
        )
        await ledger.task(district, "verify", CHANGCHUN_OFFICE, verified, remarks="照单验收，达到标准。")
    await ledger.task(
        changchun, "claim-completion", CHANGCHUN, "2026-10-12", summary="各区全部通过验收，申请省级验收。",
        evidence=evidence("长春市验收申请及各区验收报告", "c"),
    )
    await ledger.task(changchun, "verify", OFFICE, "2026-10-16", remarks="照单验收，达到标准，同意验收。")


async def old_neighbourhoods(ledger: Ledger) -> None:
    """老旧小区改造: 吉林市 misses the October milestone (red), and so the province's task is red too."""
    milestones = [milestone("m1", "5月底前全部开工", "2026-05-31", 30), milestone("m2", "10月底前主体完工", "2026-10-31", 85)]
    root = await ledger.register(
        "老旧小区", OFFICE, "2026-02-09", deadline="2026-12-15", title="推进城镇老旧小区改造，年内改造老旧小区1200个",
        responsible_unit=HOUSING.unit, responsible_person=HOUSING.person, responsible_leader="分管副省长",
        standard="改造项目全部完工，供热、排水等管网改造同步完成，居民满意度90%以上。", milestones=milestones,
    )
    await ledger.task(root, "accept", HOUSING, "2026-02-10")
    shares = {"长春": ("长春市", CHANGCHUN, 520), "吉林": ("吉林市", JILIN, 380), "延边": ("延边州", YANBIAN, 300)}
    kids = await ledger.decompose(root, HOUSING, "2026-02-12", {
        f"老旧小区-{city}": {
            "unit": actor.unit, "person": actor.person, "leader": f"{place}分管住房城乡建设工作负责同志",
            "title": f"{place}改造老旧小区{count}个", "standard": f"{count}个小区全部完工并通过竣工验收。",
            "deadline": "2026-12-15", "milestones": milestones,
        } for city, (place, actor, count) in shares.items()
    })
    progress = {"长春": (35, 88, True), "吉林": (30, 60, False), "延边": (32, 86, True)}
    for city, (_, actor, _) in shares.items():
        task, (spring, autumn, finished) = kids[f"老旧小区-{city}"], progress[city]
        await ledger.task(task, "accept", actor, "2026-02-14")
        await ledger.report(task, actor, "2026-05-28", spring, "改造项目全部开工。", f"{city}开工项目清单")
        await ledger.task(task, "reach-milestone", actor, "2026-05-28", milestone_id="m1")
        await ledger.report(task, actor, "2026-10-29", autumn, "主体完工。" if finished else "部分项目因管网设计变更停工，主体未完工。", f"{city}施工进度月报")
        if finished:
            await ledger.task(task, "reach-milestone", actor, "2026-10-29", milestone_id="m2")
    await ledger.task(root, "reach-milestone", HOUSING, "2026-05-29", milestone_id="m1", note="全省改造项目全部开工。")


async def black_soil(ledger: Ledger) -> None:
    """黑土地保护: the province reached its milestones on paper, the prefectures' progress lags them (yellow)."""
    root = await ledger.register(
        "黑土地", OFFICE, "2026-02-09", deadline="2026-12-31", title="实施黑土地保护工程，保护性耕作面积达到3500万亩",
        responsible_unit=REFORM.unit, responsible_person=REFORM.person, responsible_leader="分管副省长",
        standard="保护性耕作面积经卫星遥感核查达到3500万亩，高标准农田建设任务全部完成。",
        milestones=[milestone("m1", "春播期完成保护性耕作作业", "2026-05-31", 40), milestone("m2", "秋收后完成面积核查", "2026-10-31", 80)],
    )
    await ledger.task(root, "accept", REFORM, "2026-02-11")
    cities = {"长春": ("220100", CHANGCHUN, 90), "四平": ("220300", SIPING, 75), "松原": ("220700", SONGYUAN, 60)}
    kids = await ledger.decompose(root, OFFICE, "2026-02-12", {
        f"黑土地-{city}": {
            "unit": unit, "person": actor.person, "leader": f"{city}市分管农业农村工作副市长", "title": f"{city}市黑土地保护性耕作",
            "standard": "保护性耕作面积达到下达任务数。", "deadline": "2026-12-20",
        } for city, (unit, actor, _) in cities.items()
    })
    for city, (_, actor, autumn) in cities.items():
        task = kids[f"黑土地-{city}"]
        await ledger.task(task, "accept", actor, "2026-02-16")
        await ledger.report(task, actor, "2026-05-30", 40, "春季保护性耕作作业完成。", f"{city}市春季作业面积台账")
        await ledger.report(task, actor, "2026-10-30", autumn, "秋季作业和面积核查推进中。", f"{city}市卫星遥感核查报告")
    await ledger.task(root, "reach-milestone", REFORM, "2026-05-31", milestone_id="m1")
    await ledger.task(root, "reach-milestone", REFORM, "2026-10-31", milestone_id="m2", note="全省面积核查工作完成部署。")


async def employment(ledger: Ledger) -> None:
    """稳就业: the education department's graduates' employment, verified and closed (销号)."""
    task = await ledger.register(
        "稳就业", OFFICE, "2026-02-09", deadline="2026-09-30", title="稳就业：促进高校毕业生等青年就业",
        responsible_unit=EDUCATION.unit, responsible_person=EDUCATION.person, responsible_leader="分管副省长",
        standard="高校毕业生去向落实率不低于上年，离校未就业毕业生实名帮扶率100%。",
        milestones=[milestone("m1", "7月底前完成离校未就业毕业生实名登记", "2026-07-31", 60)],
    )
    await ledger.task(task, "accept", EDUCATION, "2026-02-11")
    await ledger.report(task, EDUCATION, "2026-04-30", 35, "组织春季校园招聘会126场。", "春季校园招聘活动统计")
    await ledger.report(task, EDUCATION, "2026-07-28", 70, "离校未就业毕业生实名登记完成。", "离校未就业毕业生实名台账")
    await ledger.task(task, "reach-milestone", EDUCATION, "2026-07-28", milestone_id="m1")
    await ledger.report(task, EDUCATION, "2026-09-15", 100, "去向落实率92.3%，实名帮扶全覆盖。", "高校毕业生就业统计快报")
    await ledger.task(task, "claim-completion", EDUCATION, "2026-09-18", summary="年度目标全部完成。", evidence=evidence("稳就业任务完成情况报告", "d"))
    await ledger.task(task, "verify", OFFICE, "2026-09-24", remarks="照单验收，数据经核实。")
    await ledger.task(task, "close", OFFICE, "2026-09-28", summary="任务完成，予以销号。")


# ---- 领导批示 --------------------------------------------------------------------------------


ROADS_GROUNDS = "省政府主要领导批示：边境地区农村道路安全隐患要限期整治，请督查室适时暗访核实。"


async def roads_instruction(ledger: Ledger) -> UUID:
    """The border roads instruction, answered by 延边州 (主办) for 图们市 and 珲春市 (协办)."""
    instruction = await ledger.issue(
        "边境道路", "2026-05-06", text="边境地区农村道路临水临崖路段安全隐患要限期整治到位，延边州牵头，图们市、珲春市配合。",
        lead_unit=YANBIAN.unit, supporting_units=["222402", "222404"], urgency=Urgency.NORMAL,
    )
    await ledger.instruction(instruction, "assign", OFFICE, "2026-05-07", note="请延边州牵头办理，一个口子反馈。")
    await ledger.instruction(
        instruction, "answer", YANBIAN, "2026-05-19", text="已排查隐患路段27处，完成整治25处，其余2处防护栏8月底前安装。",
        evidence=evidence("延边州边境道路隐患整治台账", "e"),
    )
    return instruction


async def later_instructions(ledger: Ledger) -> None:
    """The winter heating instruction, answered by 长春市; the Songhua River one, unanswered past its deadline."""
    heating = await ledger.issue(
        "冬季供暖", "2026-10-16", text="今冬供暖要确保按时开栓、室温达标，老旧管网改造要与供暖衔接，长春市牵头抓好试点。",
        lead_unit=CHANGCHUN.unit, supporting_units=[HOUSING.unit, REFORM.unit], urgency=Urgency.URGENT,
    )
    await ledger.instruction(heating, "assign", OFFICE, "2026-10-16")
    await ledger.instruction(
        heating, "answer", CHANGCHUN, "2026-10-20", text="全市已于10月15日提前开栓，供热管网改造完成86公里，开通24小时热线。",
        evidence=evidence("长春市供暖保障情况报告", "f"),
    )
    river = await ledger.issue(
        "松花江水质", "2026-11-05", text="松花江流域冬季水质要加强监测，确保封冻期饮用水安全。",
        lead_unit=JILIN.unit, supporting_units=["220000-STHJT"], urgency=Urgency.NORMAL,
    )
    await ledger.instruction(river, "assign", OFFICE, "2026-11-06")
