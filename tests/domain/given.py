"""Given: the people, the calendar and cases brought to each step by their own commands.

Dates are real 2025 dates (the official calendar knows them), so the rules meet National
Day week and its adjusted working weekends where the tests ask for it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import uuid4

from domain.actor import Actor, Role
from domain.case import Case, CaseType, Method, Topic
from domain.policy import Policy
from ducha.calendar import OfficialCalendar
from ducha.units import load_registry

REGISTRY = load_registry()
CALENDAR = OfficialCalendar()
POLICY = Policy()
NOW = datetime(2025, 12, 31, 4, 0, tzinfo=UTC)

LEADER = Actor("220000", Role.LEADER, "省长")
GOVERNMENT = Actor("220000", Role.GOVERNMENT, "办公厅王")
OTHER_GOVERNMENT = Actor("220000", Role.GOVERNMENT, "办公厅赵")
OFFICE = Actor("220000-DCS", Role.AGENCY, "督查员李")
OTHER_OFFICER = Actor("220000-DCS", Role.AGENCY, "督查员周")
DEPARTMENT = Actor("220000-FGW", Role.DEPARTMENT, "发改委陈")
TARGET = Actor("220100", Role.TARGET, "长春市刘")
OTHER_TARGET = Actor("220200", Role.TARGET, "吉林市孙")
EVALUATOR = Actor("220000-CBS", Role.EVALUATOR, "评估员吴")  # any registered unit may be entrusted

D = date.fromisoformat
CTX = {"now": NOW, "registry": REGISTRY}


def events(case: Case) -> list[str]:
    """The names of the events recorded since the last call (then forgets them)."""
    return [type(e).__name__ for e in case.collect_events()]


def proposed(*, by: Actor = OFFICE, methods=(Method.INSPECTION,), case_type=CaseType.COMPREHENSIVE, on=D("2025-06-02")) -> Case:
    return Case.propose(
        case_id=uuid4(), actor=by, on=on, now=NOW, registry=REGISTRY, case_type=case_type,
        topic=Topic.WORK_REPORT, title="稳就业任务落实", targets=["220100", "220200"], methods=list(methods),
        window_start=D("2025-06-01"), window_end=D("2025-12-31"), rationale="政府工作报告",
    )


def approved(**kwargs) -> Case:
    case = proposed(**kwargs)
    approver = GOVERNMENT if case.sponsor.value == "department" else LEADER
    case.approve(actor=approver, on=D("2025-06-03"), **CTX)
    return case


def department_case() -> Case:
    return approved(by=DEPARTMENT, case_type=CaseType.SPECIAL)


def planned(covert: bool = False) -> Case:
    case = approved(methods=(Method.COVERT_VISIT,) if covert else (Method.INSPECTION,))
    case.adopt_plan(
        actor=OFFICE, on=D("2025-06-04"), content="检查就业补贴发放", team=[OFFICE.person, OTHER_OFFICER.person],
        team_leader=OFFICE.person, evaluators=[EVALUATOR.unit], **CTX,
    )
    return case


def notified() -> Case:
    case = planned()
    case.notify_targets(
        actor=OFFICE, on=D("2025-06-05"), calendar=CALENDAR, policy=POLICY, site_work_starts=D("2025-06-10"),
        content="实地督查", supervisors=[OFFICE.person], **CTX,
    )
    return case


def reported() -> Case:
    case = notified()
    case.conduct_site_visit(actor=OFFICE, on=D("2025-06-10"), calendar=CALENDAR, policy=POLICY, target="220100", **CTX)
    case.record_finding(actor=OFFICE, on=D("2025-06-10"), finding_id="f1", target="220100", item="补贴", text="发放滞后", **CTX)
    case.submit_report(actor=OFFICE, on=D("2025-07-01"), summary="总体推进有力", **CTX)
    return case


REQUIREMENTS = [{"id": "r1", "text": "十月底前补发到位", "deadline": D("2025-10-31")}]


def concluded(requirements=REQUIREMENTS) -> Case:
    case = reported()
    case.issue_conclusion(
        actor=GOVERNMENT, on=D("2025-08-01"), target="220100", summary="存在滞后", findings=["f1"],
        requirements=requirements, **CTX,
    )
    return case


def delivered(on: date = D("2025-09-01")) -> Case:
    case = concluded()
    case.deliver_conclusion(actor=OFFICE, on=on, target="220100", **CTX)
    return case


def under_review() -> Case:
    case = delivered()
    case.request_review(actor=TARGET, on=D("2025-09-10"), now=NOW, calendar=CALENDAR, policy=POLICY, grounds="已按期发放")
    return case


def completed() -> Case:
    case = delivered()
    case.complete_rectification(actor=TARGET, on=D("2025-10-20"), now=NOW, requirement_id="r1", summary="已补发")
    return case


def verified() -> Case:
    case = completed()
    case.verify_rectification(actor=OFFICE, on=D("2025-10-22"), requirement_id="r1", **CTX)
    return case
