"""Steps 7–8: site visits, self-inspection, findings, evidence, evaluation, talks and the report."""

from __future__ import annotations

import pytest

from domain.errors import ActNotAllowed, InvalidCommand, NotFound, WrongState
from tests.domain.given import (
    CALENDAR, CTX, EVALUATOR, NOW, OFFICE, OTHER_TARGET, POLICY, TARGET, D, approved, events, notified, planned,
)


def visit(case, on, target="220100"):
    case.conduct_site_visit(actor=OFFICE, on=on, calendar=CALENDAR, policy=POLICY, target=target, **CTX)


def test_open_case_visits_only_a_notified_target():
    with pytest.raises(WrongState):
        visit(planned(), D("2025-06-10"))


def test_site_visit_before_the_notice_period_ends_is_refused():
    with pytest.raises(InvalidCommand):
        visit(notified(), D("2025-06-09"))


def test_site_visit_after_the_notice_period_is_recorded():
    case = notified()
    visit(case, D("2025-06-10"))
    assert events(case)[-1] == "SiteVisitConducted"


def test_covert_case_is_visited_without_notice():
    case = planned(covert=True)
    visit(case, D("2025-06-05"))
    assert events(case)[-1] == "SiteVisitConducted"


def test_target_self_inspects_after_a_covert_visit():
    case = planned(covert=True)
    visit(case, D("2025-06-05"))
    case.submit_self_inspection(actor=TARGET, on=D("2025-06-06"), now=NOW, report="自查报告")
    assert events(case)[-1] == "SelfInspectionSubmitted"


def test_only_the_target_itself_self_inspects():
    with pytest.raises(ActNotAllowed):
        notified().submit_self_inspection(actor=OFFICE, on=D("2025-06-06"), now=NOW, report="自查")


def test_unit_outside_the_case_cannot_self_inspect():
    case = notified()
    stranger = OTHER_TARGET.__class__("220300", OTHER_TARGET.role, "四平市")
    with pytest.raises(NotFound):
        case.submit_self_inspection(actor=stranger, on=D("2025-06-06"), now=NOW, report="自查")


def test_evidence_attaches_only_to_a_recorded_finding():
    with pytest.raises(InvalidCommand):
        notified().attach_evidence(actor=OFFICE, on=D("2025-06-10"), digest="sha256:ab", title="台账", finding_id="nope", **CTX)


def test_evaluation_comes_only_from_an_evaluator_entrusted_in_the_plan():
    stranger = EVALUATOR.__class__("220000-CCXQ", EVALUATOR.role, "他人")
    with pytest.raises(ActNotAllowed):
        notified().submit_evaluation(actor=stranger, on=D("2025-06-12"), now=NOW, target="220100", summary="良")


def test_entrusted_evaluator_submits_an_evaluation():
    case = notified()
    case.submit_evaluation(actor=EVALUATOR, on=D("2025-06-12"), now=NOW, target="220100", summary="良", items={"补贴": "滞后"})
    assert events(case)[-1] == "EvaluationSubmitted"


def test_report_needs_an_adopted_plan():
    with pytest.raises(WrongState):
        approved().submit_report(actor=OFFICE, on=D("2025-07-01"), summary="报告", **CTX)


def test_report_is_submitted_once():
    case = planned()
    case.submit_report(actor=OFFICE, on=D("2025-07-01"), summary="报告", **CTX)
    with pytest.raises(WrongState):
        case.submit_report(actor=OFFICE, on=D("2025-07-02"), summary="再报告", **CTX)
