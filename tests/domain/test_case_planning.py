"""Steps 2–6: approval, filing (备案), the plan, amendments, recusal, merging and the notice."""

from __future__ import annotations

import pytest

from domain.errors import ActDateInvalid, ActNotAllowed, InvalidCommand, NotFound, WrongState
from domain.policy import Policy
from tests.domain.given import (
    CALENDAR, CTX, DEPARTMENT, GOVERNMENT, LEADER, NOW, OFFICE, OTHER_OFFICER, POLICY, TARGET, D, approved,
    department_case, events, notified, planned, proposed,
)


def plan(case, by=OFFICE, on=D("2025-06-04")):
    case.adopt_plan(actor=by, on=on, content="检查", **CTX)


def notify(case, on, starts, policy=POLICY):
    case.notify_targets(
        actor=OFFICE, on=on, calendar=CALENDAR, policy=policy, site_work_starts=starts, content="实地督查",
        supervisors=[OFFICE.person], **CTX,
    )


def test_government_case_is_approved_only_by_the_same_level_leader():
    case = proposed()
    with pytest.raises(ActNotAllowed):
        case.approve(actor=GOVERNMENT, on=D("2025-06-03"), **CTX)


def test_nothing_happens_before_approval():
    case = proposed()
    with pytest.raises(WrongState):
        plan(case)


def test_rejected_case_cannot_be_planned():
    case = proposed()
    case.reject(actor=LEADER, on=D("2025-06-03"), reason="重复督查", **CTX)
    with pytest.raises(WrongState):
        plan(case)


def test_department_case_cannot_start_before_filing():
    case = department_case()
    with pytest.raises(WrongState):
        plan(case, by=DEPARTMENT)


def test_department_case_is_filed_by_the_same_level_office_and_then_planned():
    case = department_case()
    case.file(actor=OFFICE, on=D("2025-06-03"), **CTX)
    plan(case, by=DEPARTMENT)
    assert events(case)[-2:] == ["CaseFiled", "PlanAdopted"]


def test_department_cannot_file_its_own_case():
    case = department_case()
    with pytest.raises(ActNotAllowed):
        case.file(actor=DEPARTMENT, on=D("2025-06-03"), **CTX)


def test_government_case_is_not_filed():
    with pytest.raises(InvalidCommand):
        approved().file(actor=OFFICE, on=D("2025-06-03"), **CTX)


def test_government_case_is_run_by_the_office_not_a_department():
    with pytest.raises(ActNotAllowed):
        plan(approved(), by=DEPARTMENT)


def test_plan_is_adopted_once_and_then_only_amended():
    case = planned()
    with pytest.raises(WrongState):
        plan(case)


def test_plan_date_cannot_precede_approval():
    with pytest.raises(ActDateInvalid):
        plan(approved(), on=D("2025-06-02"))


def test_act_date_cannot_lie_in_the_future():
    with pytest.raises(ActDateInvalid):
        plan(approved(), on=NOW.date().replace(year=2026))


def test_plan_amendment_needs_grounds():
    with pytest.raises(InvalidCommand):
        planned().amend_plan(actor=OFFICE, on=D("2025-06-05"), consent=LEADER, grounds=" ", changes={"scope": "全省"}, **CTX)


def test_plan_amendment_needs_the_approvers_consent():
    with pytest.raises(ActNotAllowed):
        planned().amend_plan(actor=OFFICE, on=D("2025-06-05"), consent=GOVERNMENT, grounds="扩大范围", changes={"scope": "全省"}, **CTX)


def test_plan_amendment_with_grounds_and_consent_changes_the_plan():
    case = planned()
    case.amend_plan(actor=OFFICE, on=D("2025-06-05"), consent=LEADER, grounds="扩大范围", changes={"scope": "全省"}, **CTX)
    assert events(case)[-1] == "PlanAmended" and case.plan["scope"] == "全省"


def test_notice_needs_an_adopted_plan():
    with pytest.raises(WrongState):
        notify(approved(), D("2025-06-05"), D("2025-06-10"))


def test_notice_at_least_three_working_days_before_site_work():
    case = planned()
    notify(case, D("2025-06-05"), D("2025-06-10"))
    assert events(case)[-1] == "TargetsNotified"


def test_notice_two_working_days_before_site_work_is_refused():
    with pytest.raises(InvalidCommand):
        notify(planned(), D("2025-06-05"), D("2025-06-09"))


def test_notice_period_skips_the_national_day_holiday():
    # nine calendar days, but only 9 Oct is a working day after 30 Sep
    with pytest.raises(InvalidCommand):
        notify(planned(), D("2025-09-30"), D("2025-10-09"))


def test_notice_period_counts_the_adjusted_working_sunday():
    # Fri 26 Sep → Mon 29 Sep: the adjusted Sunday 28 Sep makes two working days
    notify(planned(), D("2025-09-26"), D("2025-09-29"), policy=Policy(notice_working_days=2))


def test_covert_case_is_never_notified():
    with pytest.raises(ActNotAllowed):
        notify(planned(covert=True), D("2025-06-05"), D("2025-06-10"))


def test_recused_supervisor_may_not_act_on_that_target():
    case = notified()
    case.recuse_supervisor(actor=OFFICE, on=D("2025-06-06"), supervisor=OTHER_OFFICER.person, target="220100", grounds="近亲属任职", **CTX)
    with pytest.raises(ActNotAllowed):
        case.record_finding(actor=OTHER_OFFICER, on=D("2025-06-10"), finding_id="f1", target="220100", item="x", text="y", **CTX)


def test_recused_supervisor_may_still_act_on_another_target():
    case = notified()
    case.recuse_supervisor(actor=OFFICE, on=D("2025-06-06"), supervisor=OTHER_OFFICER.person, target="220100", grounds="近亲属任职", **CTX)
    case.record_finding(actor=OTHER_OFFICER, on=D("2025-06-10"), finding_id="f1", target="220200", item="x", text="y", **CTX)
    assert events(case)[-1] == "FindingRecorded"


def test_merged_case_takes_no_further_acts():
    survivor, absorbed = approved(), approved()
    absorbed.merge_into(actor=OFFICE, on=D("2025-06-04"), survivor=survivor, grounds="能合尽合", **CTX)
    survivor.absorb(actor=OFFICE, on=D("2025-06-04"), absorbed=absorbed, grounds="能合尽合", **CTX)
    assert events(absorbed)[-1] == events(survivor)[-1] == "CasesMerged"
    with pytest.raises(WrongState):
        plan(absorbed)


def test_cases_on_the_same_target_and_topic_are_flagged_as_duplicates():
    assert proposed().duplicates(proposed())


def test_target_does_not_learn_of_a_case_before_notice():
    with pytest.raises(NotFound):
        planned().submit_self_inspection(actor=TARGET, on=D("2025-06-05"), now=NOW, report="自查")
