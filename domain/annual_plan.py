"""The annual plan (年度督查检查考核计划) of one government for one year, filed (报备) with the level above.

Each government keeps a yearly plan of supervision, inspection and assessment activities
and the caps of what each unit may receive (on-site visits, written demands for material,
reports), which the burden ledger (减轻基层负担) warns against. A case or activity outside
the filed plan needs its own approval by the principal leader (一事一报), recorded on the
plan as `OutOfPlanActivityApproved`. There is one plan per government and year: its id is
`plan_id(government, year)`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any
from uuid import UUID, NAMESPACE_URL, uuid5

from eventsourcing.domain import Aggregate

from domain.actor import Actor, Role
from domain.case_base import check_act_date, check_grounds
from domain.errors import ActNotAllowed, InvalidCommand, WrongState
from domain.units import UnitRegistry

DEFAULT_PERFORMANCE_BASE = 100.0  # the score a unit starts a period with, before deductions (减分)
BURDEN_MEASURES = ("on_site_visits", "material_requests", "reports")  # what the burden ledger counts


class ActivityKind(StrEnum):
    """What a planned activity is (督查检查考核)."""

    SUPERVISION = "supervision"  # 督查
    INSPECTION = "inspection"  # 检查
    ASSESSMENT = "assessment"  # 考核


@dataclass(frozen=True)
class Activity:
    """An activity as the 一事一报 rule judges it: its kind, the units it visits, its day, and its reference
    (the case id, for a case)."""

    kind: ActivityKind
    units: tuple[str, ...]
    on: date
    ref: str


def plan_id(government: str, year: int) -> UUID:
    """The one plan of a government for a year."""
    return uuid5(NAMESPACE_URL, f"urn:ducha:annual-plan:{government}:{year}")


class AnnualPlan(Aggregate):
    """A government's plan for a year. Its events are its history; its attributes are their fold."""

    class PlanDrafted(Aggregate.Created):
        """The office or the government drafts the year's plan."""

        actor: dict[str, str]
        on: date
        government: str
        year: int
        performance_base: float

        def apply(self, plan: AnnualPlan) -> None:
            plan.government, plan.year, plan.performance_base = self.government, self.year, self.performance_base
            plan.filed_on, plan.filed_with, plan.activities, plan.caps, plan.approved = None, None, {}, {}, {}

    class ActivityPlanned(Aggregate.Event):
        """An activity enters the draft: kind, title, the units it visits and its window."""

        actor: dict[str, str]
        on: date
        activity_id: str
        kind: str
        title: str
        units: list[str]
        window_start: date
        window_end: date

        def apply(self, plan: AnnualPlan) -> None:
            plan.activities[self.activity_id] = {
                "kind": ActivityKind(self.kind), "units": set(self.units), "window": (self.window_start, self.window_end),
            }

    class BurdenCapSet(Aggregate.Event):
        """The most a unit may receive in the year: on-site visits, material demands, reports."""

        actor: dict[str, str]
        on: date
        unit: str
        on_site_visits: int
        material_requests: int
        reports: int

        def apply(self, plan: AnnualPlan) -> None:
            plan.caps[self.unit] = {m: getattr(self, m) for m in BURDEN_MEASURES}

    class PlanFiled(Aggregate.Event):
        """报备: the plan is filed with the level above (`filed_with`; none above the top level)."""

        actor: dict[str, str]
        on: date
        filed_with: str | None

        def apply(self, plan: AnnualPlan) -> None:
            plan.filed_on, plan.filed_with = self.on, self.filed_with

    class OutOfPlanActivityApproved(Aggregate.Event):
        """一事一报: the principal leader approves one activity outside the plan (`ref`: its case id)."""

        actor: dict[str, str]
        on: date
        ref: str
        kind: str
        title: str
        units: list[str]
        activity_on: date
        grounds: str

        def apply(self, plan: AnnualPlan) -> None:
            plan.approved[self.ref] = self.on

    # ---- commands ---------------------------------------------------------------------

    @classmethod
    def draft(
        cls, *, actor: Actor, on: date, now: datetime, registry: UnitRegistry, year: int,
        performance_base: float = DEFAULT_PERFORMANCE_BASE,
    ) -> AnnualPlan:
        """The office or the government drafts its plan for this year or the next."""
        check_act_date(on, now)
        if actor.role not in (Role.AGENCY, Role.GOVERNMENT):
            raise ActNotAllowed("the annual plan is drafted by the supervision office or the government")
        if year not in (on.year, on.year + 1):
            raise InvalidCommand(f"a plan drafted on {on} is for {on.year} or {on.year + 1}, not {year}")
        if performance_base <= 0:
            raise InvalidCommand("the performance base is positive")
        government = registry.government_of(actor.unit)
        return cls._create(
            cls.PlanDrafted, id=plan_id(government, year), timestamp=now, actor=actor.as_dict(), on=on,
            government=government, year=year, performance_base=float(performance_base),
        )

    def plan_activity(
        self, *, actor: Actor, on: date, now: datetime, registry: UnitRegistry, activity_id: str, kind: ActivityKind,
        title: str, units: Sequence[str], window_start: date, window_end: date,
    ) -> None:
        """An activity enters the draft; its units lie in the government's jurisdiction, its window in the year."""
        self.check_drafting(actor, registry, on, now)
        if activity_id in self.activities:
            raise InvalidCommand(f"activity {activity_id!r} is already planned")
        self.check_units(registry, units)
        self.check_window(window_start, window_end)
        self._record(
            self.ActivityPlanned, actor, on, now, activity_id=activity_id, kind=ActivityKind(kind).value, title=title,
            units=list(dict.fromkeys(units)), window_start=window_start, window_end=window_end,
        )

    def set_cap(
        self, *, actor: Actor, on: date, now: datetime, registry: UnitRegistry, unit: str, on_site_visits: int,
        material_requests: int, reports: int,
    ) -> None:
        """The draft caps what one unit may receive in the year."""
        self.check_drafting(actor, registry, on, now)
        self.check_units(registry, [unit])
        if min(on_site_visits, material_requests, reports) < 0:
            raise InvalidCommand("a cap is not negative")
        self._record(
            self.BurdenCapSet, actor, on, now, unit=unit, on_site_visits=on_site_visits,
            material_requests=material_requests, reports=reports,
        )

    def file(self, *, actor: Actor, on: date, now: datetime, registry: UnitRegistry) -> None:
        """报备: the plan, with at least one activity, is filed with the level above."""
        self.check_drafting(actor, registry, on, now)
        if not self.activities:
            raise WrongState("a plan is filed with at least one activity")
        above = next((a for a in registry.ancestors(self.government) if registry.get(a).is_division), None)
        self._record(self.PlanFiled, actor, on, now, filed_with=above)

    def approve_out_of_plan(
        self, *, actor: Actor, on: date, now: datetime, registry: UnitRegistry, activity: Activity, title: str, grounds: str
    ) -> None:
        """一事一报: the government's principal leader approves one activity that the plan does not hold."""
        if actor.role is not Role.LEADER or registry.government_of(actor.unit) != self.government:
            raise ActNotAllowed(f"an activity outside the plan is approved by the principal leader of {self.government!r}")
        if self.is_in_plan(activity):
            raise InvalidCommand("the activity is in the plan; it needs no approval of its own")
        if activity.ref in self.approved:
            raise WrongState(f"activity {activity.ref!r} is already approved")
        if activity.on.year != self.year:
            raise InvalidCommand(f"the activity on {activity.on} is not in {self.year}")
        check_grounds(grounds, "an activity outside the plan")
        check_act_date(on, now)
        self._record(
            self.OutOfPlanActivityApproved, actor, on, now, ref=activity.ref, kind=ActivityKind(activity.kind).value,
            title=title, units=list(activity.units), activity_on=activity.on, grounds=grounds,
        )

    # ---- rules ------------------------------------------------------------------------

    def is_in_plan(self, activity: Activity) -> bool:
        """True when the filed plan holds an activity of the same kind visiting all its units in a window
        that covers its day. A draft holds nothing yet: only a filed plan counts."""
        if self.filed_on is None:
            return False
        return any(
            planned["kind"] is ActivityKind(activity.kind) and set(activity.units) <= planned["units"]
            and planned["window"][0] <= activity.on <= planned["window"][1]
            for planned in self.activities.values()
        )

    def check_out_of_plan_approved(self, activity: Activity) -> None:
        """Raised when an activity is neither in the filed plan nor approved on its own (一事一报)."""
        if not self.is_in_plan(activity) and activity.ref not in self.approved:
            raise ActNotAllowed(f"activity {activity.ref!r} is outside the plan and needs its own approval (一事一报)")

    def cap_exceeded(self, unit: str, counts: Mapping[str, int]) -> list[str]:
        """The measures (of BURDEN_MEASURES) in which `counts` of what a unit received pass its cap."""
        cap = self.caps.get(unit)
        if cap is None:
            return []
        return [m for m in BURDEN_MEASURES if counts.get(m, 0) > cap[m]]

    def check_drafting(self, actor: Actor, registry: UnitRegistry, on: date, now: datetime) -> None:
        """Raised unless the government's office or government changes a plan not yet filed."""
        if self.filed_on is not None:
            raise WrongState("a filed plan does not change; an activity outside it is approved on its own (一事一报)")
        if actor.role not in (Role.AGENCY, Role.GOVERNMENT) or registry.government_of(actor.unit) != self.government:
            raise ActNotAllowed(f"only the office or the government of {self.government!r} drafts its plan")
        check_act_date(on, now)

    def check_units(self, registry: UnitRegistry, units: Sequence[str]) -> None:
        """Raised when a unit is unknown or outside the government's jurisdiction, or none is named."""
        if not units:
            raise InvalidCommand("name at least one unit")
        registry.check_known(units)
        for unit in units:
            if not registry.is_within(unit, self.government):
                raise ActNotAllowed(f"unit {unit!r} is not under the jurisdiction of {self.government!r}")

    def check_window(self, start: date, end: date) -> None:
        """Raised when the window ends before it starts or leaves the plan's year."""
        if end < start or start.year != self.year or end.year != self.year:
            raise InvalidCommand(f"the window {start}..{end} is not a span within {self.year}")

    def _record(self, event_class: type, actor: Actor, on: date, now: datetime, **payload: Any) -> None:
        self.trigger_event(event_class, timestamp=now, actor=actor.as_dict(), on=on, **payload)
