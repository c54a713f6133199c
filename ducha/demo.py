"""`ducha demo`: fills a stopped node's data directory with a year (2026) of Jilin supervision work.

Everything goes through the application layer of a real node (bootstrapped, started so that
the events reach the stream and the projections, then stopped), so the demo obeys every rule
of the domain: back-dated acts (`on`) never after today, notices three working days before
site work on the official calendar, Art. 17's periods, recusal from a review. Its stories:

1. 省政府综合督查 on the Government Work Report tasks in 长春市, 吉林市 and 延边州: conclusions,
   a review (复核) that amends 延边州's conclusion, 长春市 commended (表扬), 吉林市's requirement
   left overdue — the clock marks it overdue (逾期) and urges it (催办).
2. 吉林省教育厅's department special case (部门专项督查), filed (备案) first, closed (办结); a
   criticism (通报批评) of 吉林市 later excused (容错纠错).
3. A covert check (暗访核查) of how a leader's instruction (领导批示) was carried out in 延边州: the
   instruction's answer orders the case, and the principal leader approves it outside the plan (一事一报).

Before them the province files its 2026 annual plan (年度计划), so every approval checks it; beside them
runs the Government Work Report ledger (工作台账) and more instructions (`ducha/demo_ledger.py`). At the
end both clocks tick once: the cases' (overdue, urging) and the ledger's (lights, overdue).

It refuses a data directory that already holds events, or whose node is running.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from domain.actor import Actor
from domain.case import CaseType, Method, Topic
from ducha.bootstrap import Node, bootstrap
from ducha.clock import Clock
from ducha.demo_cast import CHANGCHUN, EDUCATION, GOVERNMENT, JILIN, LEADER, OFFICE, OFFICER, REVIEWER, YANBIAN, D
from ducha.demo_ledger import ROADS_GROUNDS, Ledger, annual_plan, later_instructions, roads_instruction, work_report_ledger
from ducha.settings import Settings


class DemoRefused(Exception):
    """Raised when the data directory is not fit for the demo: it already holds events, or its node is running."""


@dataclass
class DemoResult:
    """What the demo left: its cases, ledger tasks and instructions by name, the node's last position, and
    on how many objects each clock recorded something."""

    cases: dict[str, UUID] = field(default_factory=dict)
    tasks: dict[str, UUID] = field(default_factory=dict)
    instructions: dict[str, UUID] = field(default_factory=dict)
    last_position: int = 0
    clock_recorded: int = 0
    ledger_clock_recorded: int = 0


class Script:
    """Runs the demo's commands on a started node, one case at a time."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self.result = DemoResult()

    async def propose(self, name: str, by: Actor, on: str, *, case_type: str, topic: str, methods: list[str], **fields: Any) -> UUID:
        outcome = await self.node.cases.propose(
            by, on=D(on), case_type=CaseType(case_type), topic=Topic(topic), methods=[Method(m) for m in methods], **fields
        )
        self.result.cases[name] = outcome.aggregate.id
        return outcome.aggregate.id

    async def act(self, case: UUID, command: str, by: Actor, on: str, **fields: Any) -> None:
        await self.node.cases.run(command, by, case, on=D(on), **fields)


async def run_demo(settings: Settings, *, clock: Clock | None = None) -> DemoResult:
    """Bootstraps and starts the node of `settings`, plays the year, lets the clock tick once, stops the node."""
    check_not_running(settings)
    node = bootstrap(settings, clock=clock)
    if (held := node.reader.last_position()) > 0:
        for part in (node.views, node.app, node.audit_store):
            part.close()
        raise DemoRefused(f"{settings.data_dir} already holds {held} events; run the demo on a fresh --data-dir")
    await node.start()
    try:
        script = Script(node)
        ledger = Ledger(node, script.result)
        await annual_plan(ledger)  # filed in January: every approval below checks it (一事一报)
        await comprehensive_case(script)
        await department_case(script)
        await covert_instruction_check(script, ledger)
        await work_report_ledger(ledger)
        await later_instructions(ledger)
        await catch_up(node)
        assert node.clock_handler is not None and node.ledger_clock is not None
        tick = await node.clock_handler.tick()  # 吉林市's requirement passed its deadline on 2026-09-30
        script.result.clock_recorded = len(tick.recorded)
        ledger_tick = await node.ledger_clock.tick()  # lights turn red and yellow; a task and an instruction run late
        script.result.ledger_clock_recorded = len(ledger_tick.recorded)
        script.result.last_position = await catch_up(node)
    finally:
        await node.stop()
    return script.result


def check_not_running(settings: Settings) -> None:
    """Raised when the data directory's embedded nats-server is alive: its node is running (`make run`)."""
    pid_file = settings.data_dir / "nats" / "nats-server.pid"
    if not pid_file.exists():
        return
    try:
        os.kill(int(pid_file.read_text().strip()), 0)
    except (ValueError, ProcessLookupError, PermissionError):
        return
    raise DemoRefused(f"a node is running on {settings.data_dir}; stop it (Ctrl-C on `make run`), run the demo, start it again")


async def catch_up(node: Node, timeout: float = 60.0) -> int:
    """Waits until every projection has applied the node's last event; answers that position."""
    position = node.reader.last_position()
    for name, projector in node.projectors.items():
        if not await projector.wait_for(position, timeout):
            raise TimeoutError(f"projection {name} did not reach position {position} in {timeout} s")
    return position


# ---- 1. 省政府综合督查: 《政府工作报告》重点任务 ---------------------------------------------


async def comprehensive_case(s: Script) -> None:
    case = await s.propose(
        "comprehensive", OFFICE, "2026-03-02", case_type="comprehensive", topic="work-report",
        title="2026年省《政府工作报告》重点任务落实情况综合督查", targets=["220100", "220200", "222400"],
        methods=["self-inspection", "inspection", "interview", "forum"], window_start=D("2026-03-02"),
        window_end=D("2026-12-31"),
        rationale="按照省政府年度督查计划，对《政府工作报告》确定的稳增长、优化营商环境、民生实事等重点任务开展综合督查。",
    )
    await s.act(case, "approve", LEADER, "2026-03-03", remarks="同意。督查要聚焦重点、务求实效，坚决防止层层加码、增加基层负担。")
    await s.act(
        case, "adopt-plan", OFFICE, "2026-03-05", content="督查《政府工作报告》确定的重点任务推进情况，逐项对表分析。",
        scope="长春市、吉林市、延边州", frequency="一次实地督查", time_limits="3月下旬完成实地督查，4月下旬报送督查报告",
        team=[OFFICE.person, OFFICER.person], team_leader=OFFICE.person,
    )
    await s.act(
        case, "notify-targets", OFFICE, "2026-03-09", site_work_starts=D("2026-03-16"),
        content="3月16日至18日赴你市（州）实地督查《政府工作报告》重点任务落实情况，请提前完成自查。",
        supervisors=[OFFICE.person, OFFICER.person],
    )
    for target, text in ((CHANGCHUN, "重点项目开复工率92%"), (JILIN, "化工园区升级改造进度滞后"), (YANBIAN, "边境口岸通关便利化已完成年度目标的60%")):
        await s.act(case, "submit-self-inspection", target, "2026-03-12", report=f"自查报告：{text}。")
    findings = {
        "f-cc": ("220100", "2026-03-16", "营商环境", "企业开办“一网通办”全面推行，平均用时压缩至1个工作日。"),
        "f-jl": ("220200", "2026-03-17", "产业转型", "化工园区安全整治提升项目3个标段中2个未按计划开工。"),
        "f-yb": ("222400", "2026-03-18", "民生实事", "农村供水保障工程有4个村的水质检测记录不全。"),
    }
    for finding_id, (target, on, item, text) in findings.items():
        await s.act(case, "conduct-site-visit", OFFICE, on, target=target, supervisors=[OFFICER.person], summary="听取汇报、查阅台账、实地察看。")
        await s.act(case, "record-finding", OFFICE, on, finding_id=finding_id, target=target, item=item, text=text)
    await s.act(
        case, "attach-evidence", OFFICE, "2026-03-18", digest="sha256:" + "3f" * 32, title="延边州农村供水工程水质检测台账（复印件）",
        finding_id="f-yb",
    )
    await s.act(case, "submit-report", OFFICE, "2026-04-20", summary="重点任务总体推进有力，长春市成效突出，吉林市化工园区项目进度滞后，延边州农村供水管理有短板。")
    await conclusions(s, case)
    await review_amends_yanbian(s, case)
    await rectification(s, case)
    await s.act(
        case, "propose-commendation", OFFICE, "2026-09-01", proposal_id="commend-cc", unit="220100",
        grounds="长春市优化营商环境改革成效明显，企业开办实现“一网通办、一日办结”，建议通报表扬。",
    )
    await s.act(case, "commend", LEADER, "2026-09-08", proposal_id="commend-cc")
    await s.act(
        case, "hold-talk", OFFICE, "2026-10-20", target="220200", person="吉林市分管副市长",
        summary="约谈吉林市政府分管负责同志，督促化工园区整治项目加快推进、按期整改。",
    )


async def conclusions(s: Script, case: UUID) -> None:
    issued = {
        "220100": ("营商环境改革成效明显，巩固提升。", "f-cc", [("r-cc-1", "建立“一网通办”运行月度评估机制", "2026-08-31")]),
        "220200": ("化工园区整治项目进度滞后，限期整改。", "f-jl", [("r-jl-1", "9月底前全部标段开工建设", "2026-09-30")]),
        "222400": ("农村供水水质检测管理不规范，限期整改。", "f-yb", [
            ("r-yb-1", "7月底前补齐全部村屯水质检测记录", "2026-07-31"),
            ("r-yb-2", "建立农村供水水质季度检测制度", "2026-07-31"),
        ]),
    }
    for target, (summary, finding, requirements) in issued.items():
        await s.act(
            case, "issue-conclusion", GOVERNMENT, "2026-05-11", target=target, summary=summary, findings=[finding],
            requirements=[{"id": rid, "text": text, "deadline": deadline} for rid, text, deadline in requirements],
            participants=[OFFICE.person],
        )
        await s.act(case, "deliver-conclusion", OFFICE, "2026-05-13", target=target)


async def review_amends_yanbian(s: Script, case: UUID) -> None:
    await s.act(
        case, "request-review", YANBIAN, "2026-05-20",
        grounds="4个村的水质检测已由州疾控中心完成，记录在县级平台，申请复核第一项整改意见。",
    )
    await s.act(
        case, "decide-review", REVIEWER, "2026-06-10", target="222400", outcome="amended",
        grounds="经复核，检测记录已在县级平台留存，第一项整改意见不再保留；第二项期限相应调整。",
        requirements=[{"id": "r-yb-2", "text": "建立农村供水水质季度检测制度", "deadline": "2026-09-30"}],
    )


async def rectification(s: Script, case: UUID) -> None:
    await s.act(case, "complete-rectification", CHANGCHUN, "2026-08-20", requirement_id="r-cc-1", summary="月度评估机制已印发实施。")
    await s.act(case, "verify-rectification", OFFICER, "2026-08-25", requirement_id="r-cc-1", remarks="经核查，整改到位。")
    await s.act(case, "report-rectification", JILIN, "2026-08-14", requirement_id="r-jl-1", progress="3个标段中1个已开工，其余正在办理施工许可。", percent=40)
    await s.act(case, "complete-rectification", YANBIAN, "2026-09-15", requirement_id="r-yb-2", summary="季度检测制度已建立并开展第三季度检测。")
    await s.act(case, "verify-rectification", OFFICER, "2026-09-22", requirement_id="r-yb-2", remarks="经核查，制度已建立并落实。")


# ---- 2. 省教育厅部门专项督查（备案） ---------------------------------------------------------


async def department_case(s: Script) -> None:
    case = await s.propose(
        "department", EDUCATION, "2026-04-01", case_type="special", topic="major-decision",
        title="全省义务教育阶段“双减”和课后服务政策落实情况专项督查", targets=["220100", "220200"],
        methods=["self-inspection", "inspection", "forum"], window_start=D("2026-04-01"), window_end=D("2026-07-31"),
        rationale="落实国家关于减轻义务教育阶段学生作业负担和校外培训负担的决策部署。",
    )
    await s.act(case, "approve", GOVERNMENT, "2026-04-03", remarks="同意省教育厅开展专项督查，按规定报省政府督查室备案。")
    await s.act(case, "file", OFFICE, "2026-04-07", remarks="已备案，与省政府综合督查错开时间，不重复进点。")
    await s.act(
        case, "adopt-plan", EDUCATION, "2026-04-08", content="督查课后服务覆盖率、作业管理和校外培训治理情况。",
        team=[EDUCATION.person, "省教育厅督导室吴敏"], team_leader=EDUCATION.person,
    )
    await s.act(
        case, "notify-targets", EDUCATION, "2026-04-09", site_work_starts=D("2026-04-15"),
        content="4月15日至16日实地督查“双减”和课后服务工作。", supervisors=[EDUCATION.person],
    )
    await s.act(case, "conduct-site-visit", EDUCATION, "2026-04-15", target="220100", summary="抽查学校6所，召开家长座谈会。")
    await s.act(case, "record-finding", EDUCATION, "2026-04-15", finding_id="f-edu-cc", target="220100", item="课后服务", text="2所学校课后服务收费公示不规范。")
    await s.act(case, "conduct-site-visit", EDUCATION, "2026-04-16", target="220200", summary="抽查学校5所。")
    await s.act(case, "record-finding", EDUCATION, "2026-04-16", finding_id="f-edu-jl", target="220200", item="数据报送", text="课后服务覆盖率数据迟报一个月。")
    await s.act(case, "submit-report", EDUCATION, "2026-05-12", summary="“双减”政策总体落实较好，个别学校收费公示和数据报送不规范。")
    await s.act(
        case, "issue-conclusion", GOVERNMENT, "2026-05-20", target="220100", summary="收费公示不规范，限期整改。",
        findings=["f-edu-cc"], requirements=[{"id": "r-edu-cc", "text": "6月底前规范课后服务收费公示", "deadline": "2026-06-30"}],
    )
    await s.act(case, "deliver-conclusion", EDUCATION, "2026-05-22", target="220100")
    await s.act(
        case, "propose-criticism", OFFICE, "2026-06-01", proposal_id="criticize-jl", unit="220200",
        grounds="吉林市课后服务覆盖率数据迟报一个月，建议通报批评。",
    )
    await s.act(case, "criticize", GOVERNMENT, "2026-06-05", proposal_id="criticize-jl")
    await s.act(case, "report-rectification", CHANGCHUN, "2026-06-15", requirement_id="r-edu-cc", progress="已完成4所学校公示整改。", percent=70)
    await s.act(case, "complete-rectification", CHANGCHUN, "2026-06-26", requirement_id="r-edu-cc", summary="全部学校收费公示已规范。")
    await s.act(case, "verify-rectification", OFFICE, "2026-07-01", requirement_id="r-edu-cc", remarks="经核查，整改到位。")
    await s.act(case, "close", EDUCATION, "2026-07-06", summary="整改意见全部落实，专项督查办结。")
    await s.act(
        case, "tolerate-fault", LEADER, "2026-09-10", proposal_id="criticize-jl",
        grounds="经核实，数据迟报系省级教育管理平台升级迁移所致，相关人员已及时报告并补报，符合容错情形，予以容错。",
    )


# ---- 3. 领导批示落实情况暗访 ------------------------------------------------------------------


async def covert_instruction_check(s: Script, ledger: Ledger) -> None:
    instruction = await roads_instruction(ledger)  # issued, assigned and answered by 延边州 in May
    assert ledger.node.instructions is not None and ledger.node.plans is not None
    _, case = await ledger.node.instructions.order_covert_check(
        s.node.cases, OFFICE, instruction, grounds=ROADS_GROUNDS, on=D("2026-06-01"),
        title="省政府主要领导关于边境地区农村道路安全隐患整治批示落实情况暗访", targets=["222400"],
        window_start=D("2026-06-01"), window_end=D("2026-09-30"),
    )
    s.result.cases["covert"] = case
    await ledger.node.plans.approve_out_of_plan(
        LEADER, case, on=D("2026-06-02"), grounds="批示交办事项，需暗访核实落实情况，年度计划未列，一事一报。"
    )
    await s.act(case, "approve", LEADER, "2026-06-02", remarks="同意，四不两直，直奔基层、直插现场。")
    await s.act(case, "adopt-plan", OFFICE, "2026-06-03", content="暗访边境乡镇农村道路安全隐患整治情况。", team=[OFFICER.person], team_leader=OFFICER.person)
    await s.act(case, "conduct-site-visit", OFFICE, "2026-06-10", target="222400", supervisors=[OFFICER.person], summary="暗访图们市、珲春市3个边境乡镇。")
    await s.act(case, "record-finding", OFFICE, "2026-06-10", finding_id="f-road", target="222400", item="道路安全", text="2处临水临崖路段防护栏未完成安装。")
    await s.act(case, "submit-report", OFFICE, "2026-06-24", summary="批示要求总体得到落实，仍有2处隐患未整治到位。")
    await s.act(
        case, "issue-conclusion", GOVERNMENT, "2026-07-01", target="222400", summary="2处道路安全隐患未整治到位。",
        findings=["f-road"], requirements=[{"id": "r-road", "text": "8月底前完成防护栏安装", "deadline": "2026-08-31"}],
    )
    await s.act(case, "deliver-conclusion", OFFICE, "2026-07-03", target="222400")
    await s.act(case, "complete-rectification", YANBIAN, "2026-08-20", requirement_id="r-road", summary="防护栏已全部安装完成。")
    await s.act(case, "verify-rectification", OFFICE, "2026-08-26", requirement_id="r-road", remarks="经回访核查，隐患已消除。")
    await s.act(case, "close", OFFICE, "2026-09-01", summary="批示落实到位，办结。")
    await ledger.instruction(instruction, "close", OFFICE, "2026-09-02", summary="经暗访核实，批示要求已落实到位，办结。")
