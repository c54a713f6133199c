"""Status lights (红黄绿灯): red when a deadline or milestone passed unmet, yellow when near in working days
or behind the milestones, green otherwise — judged on the official calendar around National Day 2025."""

from __future__ import annotations

from domain.lights import Light, Milestone, light
from domain.policy import Policy
from tests.domain.given import CALENDAR, POLICY, D

DEADLINE = D("2025-10-10")  # a Friday after the National Day holiday (1–8 October; 28 September worked)
HALF_BY_JUNE = Milestone("m1", "完成一半", D("2025-06-30"), 50)


def light_on(today, *, progress=100.0, milestones=(), deadline=DEADLINE, policy=POLICY):
    return light(deadline, milestones, progress, today, CALENDAR, policy)


def test_light_is_green_with_more_working_days_left_than_the_threshold():
    assert light_on(D("2025-09-25")) is Light.GREEN  # six working days left: 26, 28, 29, 30 Sep, 9, 10 Oct


def test_light_turns_yellow_within_the_threshold_in_working_days_across_the_holiday():
    assert light_on(D("2025-09-26")) is Light.YELLOW  # fourteen calendar days, but five working days


def test_yellow_threshold_comes_from_the_policy():
    assert light_on(D("2025-09-26"), policy=Policy(yellow_within_working_days=4)) is Light.GREEN


def test_light_stays_yellow_on_the_deadline_day_itself():
    assert light_on(D("2025-10-10")) is Light.YELLOW


def test_light_turns_red_the_day_after_the_deadline():
    assert light_on(D("2025-10-11")) is Light.RED


def test_light_turns_red_when_a_milestone_passed_unreached():
    assert light_on(D("2025-07-01"), milestones=[HALF_BY_JUNE]) is Light.RED


def test_a_milestone_reached_keeps_the_light_from_red():
    reached = Milestone("m1", "完成一半", D("2025-06-30"), 50, reached_on=D("2025-06-28"))
    assert light_on(D("2025-07-01"), milestones=[reached], progress=60) is Light.GREEN


def test_light_turns_yellow_when_progress_is_behind_the_milestones():
    reached = Milestone("m1", "完成一半", D("2025-06-30"), 50, reached_on=D("2025-06-28"))
    assert light_on(D("2025-07-01"), milestones=[reached], progress=40) is Light.YELLOW


def test_a_milestone_not_yet_due_expects_nothing():
    assert light_on(D("2025-06-01"), milestones=[HALF_BY_JUNE], progress=0) is Light.GREEN
