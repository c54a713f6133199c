"""The clock's commands on a case: an overdue review decision (Art. 17) and urging (催办) of overdue requirements."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.actor import Actor, Role
from domain.errors import ActNotAllowed
from tests.domain.given import (
    CALENDAR, GOVERNMENT, NOW, OFFICE, OTHER_GOVERNMENT, POLICY, REGISTRY, TARGET, D, delivered, events, under_review,
)

CLOCK = Actor("220000-DCS", Role.AGENCY, "clock")


def test_an_open_review_past_its_decision_day_is_marked_overdue():
    case = under_review()
    events(case)
    assert case.mark_review_overdue(actor=CLOCK, now=NOW) == ["220100"]
    assert events(case) == ["ReviewDecisionOverdue"]


def test_the_overdue_review_event_names_the_missed_day_and_the_clock():
    case = under_review()
    case.mark_review_overdue(actor=CLOCK, now=NOW)
    event = case.collect_events()[-1]
    assert (event.decide_by, event.on, event.actor["person"]) == (case.conclusions["220100"]["decide_by"], NOW.date(), "clock")


def test_an_overdue_review_is_marked_only_once():
    case = under_review()
    case.mark_review_overdue(actor=CLOCK, now=NOW)
    events(case)
    assert case.mark_review_overdue(actor=CLOCK, now=NOW + timedelta(days=30)) == []
    assert events(case) == []


def test_a_review_within_its_decision_period_is_not_marked_overdue():
    case = under_review()
    decide_by = case.conclusions["220100"]["decide_by"]
    events(case)
    on_the_day = NOW.replace(year=decide_by.year, month=decide_by.month, day=decide_by.day)
    assert case.mark_review_overdue(actor=CLOCK, now=on_the_day) == []
    assert events(case) == []


def test_a_decided_review_is_never_marked_overdue():
    case = under_review()
    case.decide_review(
        actor=OTHER_GOVERNMENT, on=D("2025-09-20"), now=NOW, registry=REGISTRY, calendar=CALENDAR, policy=POLICY,
        target="220100", outcome="upheld", grounds="复核维持",
    )
    events(case)
    assert case.mark_review_overdue(actor=CLOCK, now=NOW) == []


def overdue_case():
    case = delivered()
    case.mark_overdue(actor=CLOCK, now=NOW)
    events(case)
    return case


def test_the_clock_urges_a_target_with_an_overdue_requirement():
    case = overdue_case()
    assert case.urge_overdue(actor=CLOCK, now=NOW, registry=REGISTRY, policy=POLICY) == ["220100"]
    assert events(case) == ["TargetUrged"]


def test_the_clock_urges_a_target_again_only_after_the_urging_interval():
    case = overdue_case()
    case.urge_overdue(actor=CLOCK, now=NOW, registry=REGISTRY, policy=POLICY)
    events(case)
    too_soon = NOW + timedelta(days=POLICY.urging_interval_days - 1)
    assert case.urge_overdue(actor=CLOCK, now=too_soon, registry=REGISTRY, policy=POLICY) == []
    interval_later = NOW + timedelta(days=POLICY.urging_interval_days)
    assert case.urge_overdue(actor=CLOCK, now=interval_later, registry=REGISTRY, policy=POLICY) == ["220100"]


def test_the_clock_does_not_urge_before_a_requirement_is_marked_overdue():
    case = delivered()
    events(case)
    assert case.urge_overdue(actor=CLOCK, now=NOW, registry=REGISTRY, policy=POLICY) == []
    assert events(case) == []


def test_the_clock_does_not_urge_a_target_whose_overdue_requirement_is_verified():
    case = overdue_case()
    case.complete_rectification(actor=TARGET, on=D("2025-12-01"), now=NOW, requirement_id="r1", summary="已补发")
    case.verify_rectification(actor=OFFICE, on=D("2025-12-02"), now=NOW, registry=REGISTRY, requirement_id="r1")
    events(case)
    assert case.urge_overdue(actor=CLOCK, now=NOW, registry=REGISTRY, policy=POLICY) == []


def test_only_the_supervision_office_urges_for_the_clock():
    case = overdue_case()
    with pytest.raises(ActNotAllowed):
        case.urge_overdue(actor=GOVERNMENT, now=NOW, registry=REGISTRY, policy=POLICY)
