"""The official working-day calendar, from the maintained `chinese_calendar` library.

`chinese_calendar` is updated when the State Council publishes each year's schedule
(public holidays 法定节假日 and adjusted working weekends 调休). For a year it does not know
yet, a node may be given that year's schedule as data (`YearSchedule`, e.g. from a JSON
file); a given schedule wins over the library. Any other year is unknown, and the domain
computes on weekdays alone and marks the result provisional.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date
from pathlib import Path

import chinese_calendar

from domain.calendar import YearSchedule


def library_years() -> range:
    """The years whose official schedule the installed library knows."""
    years = [d.year for d in chinese_calendar.constants.holidays]
    return range(min(years), max(years) + 1)


class OfficialCalendar:
    """`WorkingCalendar` over `chinese_calendar`, with optional schedules given as data."""

    def __init__(self, schedules: Iterable[YearSchedule] = ()) -> None:
        self._schedules = {s.year: s for s in schedules}
        self._library_years = library_years()
        self._known_days: dict[date, bool] = {}  # the schedules never change after construction

    @classmethod
    def from_files(cls, paths: Iterable[Path]) -> OfficialCalendar:
        """Reads one JSON schedule per file ({"year": ..., "holidays": [...], "working_days": [...]})."""
        return cls(YearSchedule.from_dict(json.loads(Path(p).read_text("utf-8"))) for p in paths)

    def is_known(self, day: date) -> bool:
        return day.year in self._schedules or day.year in self._library_years

    def is_working_day(self, day: date) -> bool:
        if (known := self._known_days.get(day)) is not None:
            return known
        working = self._judge(day)
        self._known_days[day] = working
        return working

    def _judge(self, day: date) -> bool:
        if day.year in self._schedules:
            return self._schedules[day.year].is_working_day(day)
        if day.year in self._library_years:
            return chinese_calendar.is_workday(day)
        raise LookupError(f"the official schedule of {day.year} is not known; ask is_known() first")
