"""The case board folds every lifecycle step: state, what is due next, who outside the office may see it."""

from __future__ import annotations

from datetime import date

import pytest

from ducha.calendar import OfficialCalendar
from projections.base import apply_batch
from projections.case_board import CaseBoard, get_case, light_of
from projections.case_board_queries import Audience, Filters, count_cases, list_cases
from tests.projections.story import OFFICE, TARGET, run_story, run_step

D = date.fromisoformat


def _board_after(history, views, stage, covert=False):
    case_id = run_story(history, stage, covert)
    apply_batch(views, CaseBoard(), history.envelopes())
    return case_id, get_case(views, case_id)


@pytest.mark.parametrize(("stage", "state"), [
    ("approved", "approved"), ("planned", "planned"), ("reported", "reported"), ("results", "reported"),
])
def test_each_step_moves_the_case_to_its_state(history, views, stage, state):
    _, row = _board_after(history, views, stage)

    assert row["state"] == state


def test_before_the_plan_the_planned_window_start_is_due(history, views):
    _, row = _board_after(history, views, "approved")

    assert (row["next_due_kind"], row["next_due_on"], row["decided_on"]) == ("window-start", "2026-11-01", "2026-11-03")


def test_after_the_notice_the_site_work_start_is_due(history, views):
    _, row = _board_after(history, views, "notified")

    assert (row["next_due_kind"], row["next_due_on"]) == ("site-work-start", "2026-11-10")


def test_once_visited_the_end_of_the_window_is_due(history, views):
    _, row = _board_after(history, views, "visited")

    assert (row["next_due_kind"], row["next_due_on"]) == ("window-end", "2026-12-31")


def test_reported_without_a_conclusion_has_nothing_due(history, views):
    _, row = _board_after(history, views, "reported")

    assert (row["next_due_kind"], row["next_due_on"], row["reported_on"]) == (None, None, "2026-11-13")


def test_the_earliest_open_rectification_deadline_is_due(history, views):
    _, row = _board_after(history, views, "delivered")

    assert (row["next_due_kind"], row["next_due_on"]) == ("rectification", "2026-12-31")


def test_a_verified_requirement_is_no_longer_due(history, views):
    _, row = _board_after(history, views, "verified")

    assert row["next_due_on"] == "2027-01-29"


def test_an_open_review_makes_its_decision_day_due_and_its_requirements_wait(history, views):
    case_id = run_story(history, "delivered")
    run_step(history, case_id, "request-review", TARGET, D("2026-11-18"), grounds="已按期发放")
    apply_batch(views, CaseBoard(), history.envelopes())

    row = get_case(views, case_id)

    assert (row["next_due_kind"], row["next_due_on"]) == ("review-decision", "2026-12-18")


def test_a_closed_case_has_nothing_due(history, views):
    case_id = run_story(history, "verified")
    run_step(history, case_id, "close", OFFICE, D("2026-11-24"), summary="办结", waivers={"r2": "已纳入长效机制"})
    apply_batch(views, CaseBoard(), history.envelopes())

    row = get_case(views, case_id)

    assert (row["state"], row["closed_on"], row["next_due_on"]) == ("closed", "2026-11-24", None)


def test_a_rejected_case_has_nothing_due(history, views):
    case_id = history.propose()
    history.reject(case_id)
    apply_batch(views, CaseBoard(), history.envelopes())

    assert get_case(views, case_id)["next_due_on"] is None


def test_the_notice_gives_its_target_access(history, views):
    _, row = _board_after(history, views, "notified")

    assert ("220100", "target") in row["access"] and ("220200", "target") not in row["access"]


def test_a_covert_case_gives_its_target_access_only_at_the_visit(history, views):
    planned, _ = _board_after(history, views, "planned", covert=True)
    assert ("220100", "target") not in get_case(views, planned)["access"]

    visited, row = _board_after(history, views, "visited", covert=True)

    assert ("220100", "target") in row["access"]


def test_the_plan_gives_its_evaluators_access(history, views):
    _, row = _board_after(history, views, "planned")

    assert ("220000-CBS", "evaluator") in row["access"]


def test_an_audience_of_units_sees_only_cases_they_have_access_to(history, views):
    hidden = run_story(history, "planned", covert=True)
    known = run_story(history, "visited", covert=True)
    apply_batch(views, CaseBoard(), history.envelopes())

    rows, total = list_cases(views, audience=Audience(units=frozenset({"220100"})))

    assert ([r["id"] for r in rows], total) == ([str(known)], 1)
    assert get_case(views, hidden, Audience(units=frozenset({"220100"}))) is None


def test_board_filters_by_method_type_topic_and_year(history, views):
    covert = run_story(history, "approved", covert=True)
    run_story(history, "approved")
    apply_batch(views, CaseBoard(), history.envelopes())

    rows, _ = list_cases(views, filters=Filters(method="covert-visit", case_type="comprehensive", topic="work-report", year=2026))
    _, none = list_cases(views, filters=Filters(year=2025))

    assert ([r["id"] for r in rows], none) == ([str(covert)], 0)


def test_counts_are_per_state(history, views):
    run_story(history, "approved")
    run_story(history, "reported")
    history.propose()
    apply_batch(views, CaseBoard(), history.envelopes())

    assert count_cases(views) == {"approved": 1, "proposed": 1, "reported": 1}


@pytest.mark.parametrize(("today", "light"), [
    ("2026-12-01", "red"),  # past the due day
    ("2026-11-23", "yellow"),  # 5 working days before
    ("2026-11-20", "green"),  # 6 working days before
    ("2026-11-30", "yellow"),  # the due day itself is on time
])
def test_light_is_red_after_yellow_near_green_before_the_due_day(today, light):
    assert light_of("2026-11-30", D(today), OfficialCalendar(), 5) == light


def test_nothing_due_has_no_light():
    assert light_of(None, D("2026-11-25"), OfficialCalendar(), 5) is None


def test_a_merged_case_names_its_survivor_which_takes_over_its_targets(history, views):
    from tests.projections.history import NOW

    survivor, absorbed = run_story(history, "approved"), run_story(history, "approved")

    def merge(s, a):
        a.merge_into(actor=OFFICE, on=D("2026-11-04"), now=NOW, registry=history.registry, survivor=s, grounds="能合尽合")
        s.absorb(actor=OFFICE, on=D("2026-11-04"), now=NOW, registry=history.registry, absorbed=a, grounds="能合尽合")
        return [s, a]

    history.writer.submit(survivor, merge, None, (absorbed,)).result()
    apply_batch(views, CaseBoard(), history.envelopes())

    gone = get_case(views, absorbed)
    assert (gone["state"], gone["merged_into"], gone["next_due_on"]) == ("merged", str(survivor), None)
    assert get_case(views, survivor)["state"] == "approved"
