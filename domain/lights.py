"""Status lights (红黄绿灯) of a ledger task (工作台账): green on track, yellow at risk, red late.

A light is judged on the official working-day calendar (`domain/calendar.py`) with the
node's policy (`Policy.yellow_within_working_days`, default 5):

* **red** when the deadline has passed, or a milestone's due day has passed unreached;
* **yellow** when the deadline is no more than the policy's number of working days away,
  or the progress reported is below the percent the milestones due so far expect;
* **green** otherwise.

A deadline or a milestone "passes" the day after its own day: work finished on the day
itself is on time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from domain.calendar import WorkingCalendar, working_days_between
from domain.errors import InvalidCommand
from domain.policy import Policy


class Light(StrEnum):
    """A task's status light."""

    GREEN = "green"  # 绿灯: on track
    YELLOW = "yellow"  # 黄灯: deadline near or progress behind the milestones
    RED = "red"  # 红灯: a deadline or milestone has passed unmet


@dataclass(frozen=True)
class Milestone:
    """A phase target (阶段目标) of a task: by `due`, `percent` of the work is expected done."""

    id: str
    title: str
    due: date
    percent: int
    reached_on: date | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Milestone:
        due = data["due"] if isinstance(data["due"], date) else date.fromisoformat(data["due"])
        return cls(id=str(data["id"]), title=str(data.get("title", "")), due=due, percent=int(data.get("percent", 0)))

    def payload(self) -> dict[str, Any]:
        """The form a milestone takes in an event."""
        return {"id": self.id, "title": self.title, "due": self.due, "percent": self.percent}

    def missed(self, today: date) -> bool:
        """True when its due day has passed and it was not reached."""
        return self.reached_on is None and today > self.due


def check_percent(percent: float, what: str = "progress") -> None:
    """Raised when a percentage lies outside 0–100."""
    if not 0 <= percent <= 100:
        raise InvalidCommand(f"{what} is a percentage from 0 to 100, not {percent}")


def expected_percent(milestones: Iterable[Milestone], today: date) -> int:
    """The percent the milestones due on or before `today` expect (0 when none is due yet)."""
    return max((m.percent for m in milestones if m.due <= today), default=0)


def assess(
    deadline: date, milestones: Iterable[Milestone], progress: float, today: date, calendar: WorkingCalendar,
    policy: Policy,
) -> tuple[Light, str]:
    """The light and the reason for it (the reason is what a warning says)."""
    milestones = list(milestones)
    if today > deadline:
        return Light.RED, f"deadline {deadline} has passed"
    missed = [m for m in milestones if m.missed(today)]
    if missed:
        return Light.RED, f"milestone {missed[0].id!r} due {missed[0].due} has passed unreached"
    left, _ = working_days_between(calendar, today, deadline, up_to=policy.yellow_within_working_days)
    if left <= policy.yellow_within_working_days:
        return Light.YELLOW, f"deadline {deadline} is {left} working days away"
    expected = expected_percent(milestones, today)
    if progress < expected:
        return Light.YELLOW, f"progress {progress:g}% is behind the milestones' {expected}%"
    return Light.GREEN, "on track"


def light(
    deadline: date, milestones: Iterable[Milestone], progress: float, today: date, calendar: WorkingCalendar,
    policy: Policy,
) -> Light:
    """The task's light on `today` (see the module's docstring for the rule)."""
    return assess(deadline, milestones, progress, today, calendar, policy)[0]
