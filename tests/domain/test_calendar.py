"""The working-day calendar and period arithmetic on real dates around public holidays and 调休."""

from __future__ import annotations

from datetime import date

import pytest

from domain.calendar import (
    Deadline,
    WeekdayCalendar,
    WorkingCalendar,
    YearSchedule,
    add_working_days,
    is_working_days_before,
    period_end,
    working_days_between,
)
from ducha.calendar import OfficialCalendar, library_years

D = date.fromisoformat
CAL = OfficialCalendar()
UNKNOWN_YEAR = max(library_years()) + 1


def test_official_calendar_implements_the_protocol():
    assert isinstance(CAL, WorkingCalendar)


def test_adjusted_sunday_before_national_day_2025_is_a_working_day():
    assert CAL.is_working_day(D("2025-09-28"))


def test_adjusted_saturday_after_national_day_2025_is_a_working_day():
    assert CAL.is_working_day(D("2025-10-11"))


def test_national_day_week_weekdays_are_not_working_days():
    assert not any(CAL.is_working_day(D(f"2025-10-0{d}")) for d in range(1, 9))


def test_working_days_count_the_adjusted_sunday():
    # Fri 26 Sep → Mon 29 Sep: the adjusted Sunday 28 Sep and Monday; weekdays alone would give 1
    assert working_days_between(CAL, D("2025-09-26"), D("2025-09-29")) == (2, False)


def test_working_days_skip_the_national_day_week():
    assert working_days_between(CAL, D("2025-09-30"), D("2025-10-09")) == (1, False)


def test_add_working_days_lands_on_the_adjusted_saturday_after_national_day():
    assert add_working_days(CAL, D("2025-10-10"), 1) == Deadline(D("2025-10-11"))


def test_add_working_days_crosses_spring_festival_2026():
    # Sat 14 Feb 2026 is an adjusted working day; 15–23 Feb are the holiday
    assert add_working_days(CAL, D("2026-02-13"), 1) == Deadline(D("2026-02-14"))
    assert add_working_days(CAL, D("2026-02-14"), 1) == Deadline(D("2026-02-24"))


def test_period_of_30_days_from_1_september_ends_on_1_october_without_shift():
    assert period_end(CAL, D("2025-09-01"), 30, shift_off_holidays=False) == Deadline(D("2025-10-01"))


def test_period_ending_in_national_day_week_moves_to_the_next_working_day():
    assert period_end(CAL, D("2025-09-01"), 30) == Deadline(D("2025-10-09"))


def test_period_ending_in_spring_festival_2026_moves_to_the_next_working_day():
    assert period_end(CAL, D("2026-01-16"), 30) == Deadline(D("2026-02-24"))


def test_period_ending_on_an_adjusted_working_saturday_does_not_move():
    assert period_end(CAL, D("2025-09-11"), 30) == Deadline(D("2025-10-11"))


def test_n_working_days_before_counts_after_the_first_day_up_to_the_second():
    assert is_working_days_before(CAL, D("2025-06-05"), D("2025-06-10"), 3) == (True, False)
    assert is_working_days_before(CAL, D("2025-06-05"), D("2025-06-09"), 3) == (False, False)


def test_a_deadline_in_a_year_the_library_does_not_know_is_provisional():
    start = date(UNKNOWN_YEAR - 1, 12, 15)
    deadline = period_end(CAL, start, 30)
    assert deadline.provisional
    assert deadline.on.weekday() < 5


def test_working_days_past_the_known_years_are_weekdays_and_provisional():
    start = date(UNKNOWN_YEAR, 1, 1)
    count, provisional = working_days_between(CAL, start, date(UNKNOWN_YEAR, 1, 31))
    weekdays = sum(1 for d in range(2, 32) if date(UNKNOWN_YEAR, 1, d).weekday() < 5)
    assert (count, provisional) == (weekdays, True)


def test_a_schedule_given_as_data_makes_an_unknown_year_known():
    new_year = date(UNKNOWN_YEAR, 1, 1)
    schedule = YearSchedule.from_dict({"year": UNKNOWN_YEAR, "holidays": [new_year.isoformat()], "working_days": []})
    calendar = OfficialCalendar([schedule])
    assert calendar.is_known(new_year)
    assert not calendar.is_working_day(new_year)
    assert not period_end(calendar, date(UNKNOWN_YEAR - 1, 12, 2), 30).provisional


def test_official_calendar_refuses_to_guess_an_unknown_year():
    with pytest.raises(LookupError):
        CAL.is_working_day(date(UNKNOWN_YEAR, 3, 3))


def test_weekday_calendar_marks_everything_provisional():
    assert add_working_days(WeekdayCalendar(), D("2025-09-30"), 1) == Deadline(D("2025-10-01"), provisional=True)


def test_counting_working_days_up_to_a_bound_stops_once_past_it():
    # a deadline eight thousand years ahead: "within 3 working days?" is settled after the 4th
    assert working_days_between(CAL, date(2026, 11, 26), date(9999, 12, 31), up_to=3) == (4, False)


def test_a_bounded_count_below_the_bound_is_the_exact_count():
    # Thu 2026-11-26 -> Tue 2026-12-01: Fri, Mon, Tue
    assert working_days_between(CAL, date(2026, 11, 26), date(2026, 12, 1), up_to=5) == (3, False)
