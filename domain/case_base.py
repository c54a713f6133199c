"""What every step of the supervision case (督查事项) shares: its states and its common rules.

The Case aggregate (`domain/case.py`) is composed of one mixin per part of its lifecycle
(planning, work, conclusion, rectification, use of results); each mixin holds its events
and commands, and all of them judge acts by the rules here: who runs the case, that it
was approved (and, for a department case, filed 备案), that a recused supervisor
(回避) keeps off a target, and that the date of an act (`on`) is neither in the future
nor before the act it depends on.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from domain.actor import Actor, Role
from domain.errors import ActDateInvalid, ActNotAllowed, InvalidCommand, WrongState
from domain.units import UnitRegistry


class Sponsor(StrEnum):
    """In whose name the case runs (Art. 7 and 11)."""

    GOVERNMENT = "government"  # 以政府名义
    DEPARTMENT = "department"  # 部门专项督查


class CaseState(StrEnum):
    """Where the case stands in its lifecycle."""

    PROPOSED = "proposed"
    APPROVED = "approved"
    REJECTED = "rejected"
    PLANNED = "planned"  # 督查方案 adopted
    REPORTED = "reported"  # 督查报告 submitted
    MERGED = "merged"  # absorbed into another case (能合尽合)
    CLOSED = "closed"  # 办结


ACTIVE_STATES = frozenset({CaseState.APPROVED, CaseState.PLANNED, CaseState.REPORTED})


def check_act_date(on: date, now: datetime, not_before: date | None = None) -> None:
    """Raised when `on` lies in the future, or before the act it depends on (DOMAIN.md "Time")."""
    if on > now.date():
        raise ActDateInvalid(f"the act's date {on} lies in the future (today is {now.date()})")
    if not_before is not None and on < not_before:
        raise ActDateInvalid(f"the act's date {on} lies before the act it depends on ({not_before})")


def check_grounds(grounds: str, act: str) -> None:
    """Raised when an act that needs grounds (理由、依据) is given none."""
    if not grounds.strip():
        raise InvalidCommand(f"{act} states its grounds")


class CaseRules:
    """The rules all lifecycle steps share. Mixed into `Case`; reads the fold's attributes."""

    _state: CaseState
    level: str
    sponsor: Sponsor
    sponsor_unit: str
    targets: list[str]
    covert: bool
    recused: dict[str, set[str]]

    def _record(self, event_class: type, actor: Actor, on: date, now: datetime, **payload: Any) -> None:
        """Records one event carrying who acted and on which day; `now` is when it was recorded."""
        self.trigger_event(event_class, timestamp=now, actor=actor.as_dict(), on=on, **payload)  # type: ignore[attr-defined]

    def check_state(self, expected: CaseState, act: str) -> None:
        """Raised when the act does not fit the present state (nothing happens before approval)."""
        if self._state is not expected:
            raise WrongState(f"cannot {act} a case that is {self._state.value}")

    def check_active(self, act: str) -> None:
        """Raised when the case is not approved yet, or is rejected, merged or closed."""
        if self._state not in ACTIVE_STATES:
            raise WrongState(f"cannot {act} a case that is {self._state.value}")

    def check_runner(self, actor: Actor, registry: UnitRegistry) -> None:
        """Raised unless the actor runs the case: the same level's supervision office (`agency`) for a
        government case, the sponsoring department for a department case."""
        if self.sponsor is Sponsor.DEPARTMENT:
            if actor.role is not Role.DEPARTMENT or actor.unit != self.sponsor_unit:
                raise ActNotAllowed(f"this department case is run by {self.sponsor_unit}")
            return
        self.check_same_level(actor, registry, Role.AGENCY)

    def check_same_level(self, actor: Actor, registry: UnitRegistry, *roles: Role) -> None:
        """Raised unless the actor holds one of `roles` at the case's own level of government."""
        if actor.role not in roles:
            raise ActNotAllowed(f"this act needs the role {' or '.join(r.value for r in roles)}")
        if registry.government_of(actor.unit) != self.level:
            raise ActNotAllowed(f"a case of level {self.level} is acted on at that level, not by {actor.unit}")

    def check_target(self, target: str) -> None:
        """Raised when the unit is not a target (督查对象) of this case."""
        if target not in self.targets:
            raise InvalidCommand(f"unit {target!r} is not a target of this case")

    def check_acts_for_target(self, actor: Actor, target: str) -> None:
        """Raised unless the actor is the target itself, acting in the `target` role."""
        if actor.role is not Role.TARGET or actor.unit != target:
            raise ActNotAllowed(f"only unit {target!r} in the role 'target' may do this")

    def check_not_recused(self, actor: Actor, target: str) -> None:
        """Raised when the acting supervisor was recused (回避) from this target."""
        self.check_supervisors_not_recused([actor.person], target)

    def check_supervisors_not_recused(self, people: Sequence[str], target: str) -> None:
        """Raised when any of the people named for an act on the target was recused from it."""
        for person in people:
            if person in self.recused.get(target, set()):
                raise ActNotAllowed(f"{person} is recused from acting on {target}")
