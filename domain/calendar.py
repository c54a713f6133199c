"""Working days (工作日) and periods (期间), counted as DOMAIN.md "Time" and its preamble say.

The official calendar (public holidays 法定节假日 and adjusted working weekends 调休) comes
from a maintained library through an adapter (`ducha/calendar.py`); the domain sees only
the `WorkingCalendar` protocol. Each year's schedule is published in November, so a date
can lie past what the calendar knows: such a date is judged on weekdays alone and the
result is marked provisional, never silently guessed.

Periods follow Chinese procedural law: the day of the act that starts a period is not
counted, so "within 30 days of receipt on 1 September" ends on 1 October; a period whose
last day is not a working day ends on the next working day (a policy setting).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Protocol, runtime_checkable


@runtime_checkable
class WorkingCalendar(Protocol):
    """The official working-day calendar of the People's Republic of China."""

    def is_working_day(self, day: date) -> bool:
        """True on a working day: a weekday that is no public holiday, or an adjusted working weekend."""

    def is_known(self, day: date) -> bool:
        """True when the official schedule of `day`'s year is known."""


@dataclass(frozen=True)
class Deadline:
    """A computed day; `provisional` when it rests on a year whose schedule is not yet known."""

    on: date
    provisional: bool = False

    def __str__(self) -> str:
        return f"{self.on.isoformat()}{' (provisional)' if self.provisional else ''}"


@dataclass(frozen=True)
class YearSchedule:
    """One year's official schedule given as data: its public holidays and adjusted working days."""

    year: int
    holidays: frozenset[date]
    working_days: frozenset[date]

    @classmethod
    def from_dict(cls, data: dict) -> YearSchedule:
        """Reads {"year": 2027, "holidays": ["2027-01-01", ...], "working_days": [...]}."""
        return cls(
            year=int(data["year"]),
            holidays=frozenset(date.fromisoformat(d) for d in data.get("holidays", [])),
            working_days=frozenset(date.fromisoformat(d) for d in data.get("working_days", [])),
        )

    def is_working_day(self, day: date) -> bool:
        return day in self.working_days or (day.weekday() < 5 and day not in self.holidays)


class WeekdayCalendar:
    """A calendar that knows no year: every result computed on it is provisional."""

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5

    def is_known(self, day: date) -> bool:
        return False


def judge(calendar: WorkingCalendar, day: date) -> tuple[bool, bool]:
    """(is it a working day, is that answer provisional): weekdays alone past the known years."""
    if calendar.is_known(day):
        return calendar.is_working_day(day), False
    return day.weekday() < 5, True


def next_working_day(calendar: WorkingCalendar, day: date) -> Deadline:
    """`day` itself when it is a working day, else the first working day after it."""
    provisional = False
    while True:
        working, guessed = judge(calendar, day)
        provisional |= guessed
        if working:
            return Deadline(day, provisional)
        day += timedelta(days=1)


def add_working_days(calendar: WorkingCalendar, start: date, count: int) -> Deadline:
    """The `count`-th working day after `start` (`start` itself not counted)."""
    if count < 0:
        raise ValueError("count working days forwards only")
    day, provisional, left = start, False, count
    while left:
        day += timedelta(days=1)
        working, guessed = judge(calendar, day)
        provisional |= guessed
        left -= working
    return Deadline(day, provisional)


def working_days_between(
    calendar: WorkingCalendar, first: date, second: date, *, up_to: int | None = None
) -> tuple[int, bool]:
    """The working days after `first` up to and including `second`, and whether that count is provisional.

    With `up_to`, counting stops once the count passes it (the answer is then `up_to + 1`): a caller asking
    "within N working days?" need not walk to a deadline set years ahead, one day at a time.
    """
    count, provisional, day = 0, False, first
    while day < second and (up_to is None or count <= up_to):
        day += timedelta(days=1)
        working, guessed = judge(calendar, day)
        count += working
        provisional |= guessed
    return count, provisional


def is_working_days_before(calendar: WorkingCalendar, first: date, second: date, count: int) -> tuple[bool, bool]:
    """Whether `first` lies at least `count` working days before `second` (DOMAIN.md), and if provisionally."""
    between, provisional = working_days_between(calendar, first, second, up_to=count)
    return between >= count, provisional


def period_end(calendar: WorkingCalendar, start: date, days: int, *, shift_off_holidays: bool = True) -> Deadline:
    """The last day of a period of `days` days from the act on `start` (the day of the act not counted).

    With `shift_off_holidays`, a last day that is no working day moves to the next working day.
    """
    last = start + timedelta(days=days)
    if not shift_off_holidays:
        return Deadline(last, not calendar.is_known(last))
    return next_working_day(calendar, last)
