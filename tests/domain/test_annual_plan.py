"""The annual plan (年度计划) of a government: drafted with activities and caps, filed with the level above,
and the 一事一报 rule: an activity outside the filed plan needs the principal leader's own approval."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.actor import Actor, Role
from domain.annual_plan import Activity, ActivityKind, AnnualPlan, plan_id
from domain.errors import ActDateInvalid, ActNotAllowed, InvalidCommand, WrongState
from tests.domain.given import CTX, DEPARTMENT, LEADER, NOW, OFFICE, D, events
from tests.domain.given_ledger import CITY_OFFICE

CASE_IN_PLAN = Activity(ActivityKind.SUPERVISION, ("220100",), D("2025-06-10"), "case-1")
CASE_OUTSIDE = Activity(ActivityKind.SUPERVISION, ("220300",), D("2025-06-10"), "case-2")


def drafted(actor=OFFICE, year=2025):
    return AnnualPlan.draft(actor=actor, on=D("2025-01-06"), year=year, **CTX)


def with_activity(plan=None):
    plan = plan or drafted()
    plan.plan_activity(
        actor=OFFICE, on=D("2025-01-07"), activity_id="a1", kind=ActivityKind.SUPERVISION, title="稳就业专项督查",
        units=["220100", "220200"], window_start=D("2025-05-01"), window_end=D("2025-07-31"), **CTX,
    )
    return plan


def filed():
    plan = with_activity()
    plan.file(actor=OFFICE, on=D("2025-01-10"), **CTX)
    return plan


def approve(plan, activity=CASE_OUTSIDE, actor=LEADER, grounds="突发事件"):
    plan.approve_out_of_plan(actor=actor, on=D("2025-06-01"), activity=activity, title="欠薪事件调查", grounds=grounds, **CTX)


# ---- drafting and filing --------------------------------------------------------------


def test_there_is_one_plan_per_government_and_year():
    assert drafted().id == plan_id("220000", 2025) != plan_id("220000", 2026)


def test_plan_is_drafted_for_this_year_or_the_next_only():
    with pytest.raises(InvalidCommand):
        drafted(year=2027)


def test_a_department_does_not_draft_the_governments_plan():
    with pytest.raises(ActNotAllowed):
        drafted(actor=DEPARTMENT)


def test_activity_outside_the_plans_year_is_refused():
    with pytest.raises(InvalidCommand):
        drafted().plan_activity(
            actor=OFFICE, on=D("2025-01-07"), activity_id="a1", kind=ActivityKind.INSPECTION, title="x",
            units=["220100"], window_start=D("2025-12-01"), window_end=D("2026-01-31"), **CTX,
        )


def test_activity_visiting_a_unit_outside_the_jurisdiction_is_refused():
    plan = AnnualPlan.draft(actor=CITY_OFFICE, on=D("2025-01-06"), year=2025, **CTX)
    with pytest.raises(ActNotAllowed):
        with_activity(plan)


def test_cap_cannot_be_negative():
    with pytest.raises(InvalidCommand):
        drafted().set_cap(actor=OFFICE, on=D("2025-01-07"), unit="220100", on_site_visits=-1, material_requests=2, reports=2, **CTX)


def test_plan_without_activities_is_not_filed():
    with pytest.raises(WrongState):
        drafted().file(actor=OFFICE, on=D("2025-01-10"), **CTX)


def test_city_plan_is_filed_with_the_province():
    plan = AnnualPlan.draft(actor=CITY_OFFICE, on=D("2025-01-06"), year=2025, **CTX)
    plan.plan_activity(
        actor=CITY_OFFICE, on=D("2025-01-07"), activity_id="a1", kind=ActivityKind.ASSESSMENT, title="年度考核",
        units=["220102"], window_start=D("2025-11-01"), window_end=D("2025-12-15"), **CTX,
    )
    plan.file(actor=CITY_OFFICE, on=D("2025-01-10"), **CTX)
    assert plan.filed_with == "220000"


def test_filed_plan_takes_no_more_activities():
    with pytest.raises(WrongState):
        with_activity(filed())


def test_plan_cannot_be_filed_on_a_future_date():
    with pytest.raises(ActDateInvalid):
        with_activity().file(actor=OFFICE, on=NOW.date() + timedelta(days=1), **CTX)


# ---- 一事一报 --------------------------------------------------------------------------


def test_activity_matching_a_planned_one_is_in_the_plan():
    assert filed().is_in_plan(CASE_IN_PLAN)


def test_activity_visiting_an_unplanned_unit_is_outside_the_plan():
    assert not filed().is_in_plan(CASE_OUTSIDE)


def test_activity_outside_the_planned_window_is_outside_the_plan():
    assert not filed().is_in_plan(Activity(ActivityKind.SUPERVISION, ("220100",), D("2025-09-01"), "case-3"))


def test_activity_of_another_kind_is_outside_the_plan():
    assert not filed().is_in_plan(Activity(ActivityKind.ASSESSMENT, ("220100",), D("2025-06-10"), "case-3"))


def test_a_draft_plan_holds_nothing_yet():
    assert not with_activity().is_in_plan(CASE_IN_PLAN)


def test_activity_outside_the_plan_without_approval_is_refused():
    with pytest.raises(ActNotAllowed):
        filed().check_out_of_plan_approved(CASE_OUTSIDE)


def test_activity_outside_the_plan_goes_ahead_once_the_leader_approves_it():
    plan = filed()
    approve(plan)
    plan.check_out_of_plan_approved(CASE_OUTSIDE)
    assert events(plan)[-1] == "OutOfPlanActivityApproved"


def test_only_the_principal_leader_approves_an_activity_outside_the_plan():
    with pytest.raises(ActNotAllowed):
        approve(filed(), actor=Actor("220000", Role.GOVERNMENT, "办公厅王"))


def test_another_levels_leader_does_not_approve_outside_this_plan():
    with pytest.raises(ActNotAllowed):
        approve(filed(), actor=Actor("220100", Role.LEADER, "市长"))


def test_activity_in_the_plan_needs_no_approval_of_its_own():
    with pytest.raises(InvalidCommand):
        approve(filed(), activity=CASE_IN_PLAN)


def test_approval_outside_the_plan_states_its_grounds():
    with pytest.raises(InvalidCommand):
        approve(filed(), grounds=" ")


# ---- caps -----------------------------------------------------------------------------


def test_counts_past_a_units_cap_are_named():
    plan = drafted()
    plan.set_cap(actor=OFFICE, on=D("2025-01-07"), unit="220100", on_site_visits=2, material_requests=5, reports=3, **CTX)
    assert plan.cap_exceeded("220100", {"on_site_visits": 3, "material_requests": 5, "reports": 1}) == ["on_site_visits"]


def test_unit_without_a_cap_is_never_over_it():
    assert drafted().cap_exceeded("220100", {"on_site_visits": 99}) == []
