"""Steps 3–6 of the supervision case: filing (备案), the plan (督查方案), recusal (回避),
merging (能合尽合、能并尽并) and the written notice to the targets (督查通知).

Events and commands of `Case`, kept here so the aggregate's module stays readable.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from eventsourcing.domain import Aggregate

from domain.actor import Actor, Role
from domain.calendar import WorkingCalendar, is_working_days_before
from domain.case_base import CaseRules, CaseState, Sponsor, check_act_date, check_grounds
from domain.errors import ActNotAllowed, InvalidCommand, WrongState
from domain.policy import Policy
from domain.units import UnitRegistry


class Planning(CaseRules):
    """Filing, the plan and its amendments, recusal, merging and the notice."""

    class CaseFiled(Aggregate.Event):
        """Step 3: a department case is filed (备案) with the same level's supervision office."""

        actor: dict[str, str]
        on: date
        remarks: str

        def apply(self, case: Any) -> None:
            case.filed_on = self.on

    class PlanAdopted(Aggregate.Event):
        """Step 4: the plan (督查方案, Art. 15): content, targets, scope, methods, time limits, team (Art. 8)."""

        actor: dict[str, str]
        on: date
        content: str
        targets: list[str]
        scope: str
        methods: list[str]
        frequency: str
        time_limits: str
        team: list[str]
        team_leader: str
        invited: list[str]
        evaluators: list[str]

        def apply(self, case: Any) -> None:
            case._state = CaseState.PLANNED
            case.plan = {k: v for k, v in vars(self).items() if k not in Planning.ENVELOPE}
            case.planned_on = self.on

    class PlanAmended(Aggregate.Event):
        """Step 4: the plan changes only by amendment, with grounds and the approver's consent."""

        actor: dict[str, str]
        on: date
        changes: dict[str, Any]
        grounds: str
        consent: dict[str, str]

        def apply(self, case: Any) -> None:
            case.plan = {**case.plan, **self.changes}
            if "targets" in self.changes:
                case.targets = list(dict.fromkeys([*case.targets, *self.changes["targets"]]))

    class SupervisorRecused(Aggregate.Event):
        """Step 4: a supervisor with a declared conflict of interest (利害关系) keeps off a target."""

        actor: dict[str, str]
        on: date
        supervisor: str
        target: str
        grounds: str

        def apply(self, case: Any) -> None:
            case.recused.setdefault(self.target, set()).add(self.supervisor)

    class CasesMerged(Aggregate.Event):
        """Step 5: two cases visiting the same target become one visit with both contents (能合尽合)."""

        actor: dict[str, str]
        on: date
        survivor_id: str
        absorbed_id: str
        targets: list[str]
        grounds: str

        def apply(self, case: Any) -> None:
            if str(case.id) == self.absorbed_id:
                case._state, case.merged_into = CaseState.MERGED, self.survivor_id
            else:
                case.targets = list(dict.fromkeys([*case.targets, *self.targets]))

    class TargetsNotified(Aggregate.Event):
        """Step 6: written notice of content, time, supervisors and methods before on-site work."""

        actor: dict[str, str]
        on: date
        targets: list[str]
        site_work_starts: date
        content: str
        supervisors: list[str]
        methods: list[str]
        provisional: bool

        def apply(self, case: Any) -> None:
            for target in self.targets:
                case.notified[target] = self.on

    ENVELOPE = frozenset({"originator_id", "originator_version", "timestamp", "actor", "on"})
    PLAN_FIELDS_AMENDABLE = frozenset({"content", "targets", "scope", "methods", "frequency", "time_limits", "team"})

    # ---- commands ---------------------------------------------------------------------

    def file(self, *, actor: Actor, on: date, now: datetime, registry: UnitRegistry, remarks: str = "") -> None:
        """Step 3 (备案): the same level's supervision office records a department case as filed."""
        self.check_state(CaseState.APPROVED, "file")
        if self.sponsor is not Sponsor.DEPARTMENT:
            raise InvalidCommand("only a department case is filed (备案) with the supervision office")
        if self.filed_on is not None:
            raise WrongState("this case is already filed")
        self.check_same_level(actor, registry, Role.AGENCY)
        check_act_date(on, now, not_before=self.decided_on)
        self._record(self.CaseFiled, actor, on, now, remarks=remarks)

    def adopt_plan(
        self,
        *,
        actor: Actor,
        on: date,
        now: datetime,
        registry: UnitRegistry,
        content: str,
        targets: Sequence[str] | None = None,
        scope: str = "",
        methods: Sequence[str] | None = None,
        frequency: str = "",
        time_limits: str = "",
        team: Sequence[str] = (),
        team_leader: str = "",
        invited: Sequence[str] = (),
        evaluators: Sequence[str] = (),
    ) -> None:
        """Step 4 (督查方案): the case's runner adopts its plan, once; later changes are amendments."""
        self.check_state(CaseState.APPROVED, "adopt a plan for")
        self.check_filed()
        self.check_runner(actor, registry)
        check_act_date(on, now, not_before=self.filed_on or self.decided_on)
        chosen = list(targets) if targets is not None else list(self.targets)
        for target in chosen:
            self.check_target(target)
        if not content.strip() or not chosen:
            raise InvalidCommand("a plan states its content and at least one target")
        if team_leader and team_leader not in team:
            raise InvalidCommand("the team leader is a member of the team (Art. 8)")
        registry.check_known(evaluators)
        self._record(
            self.PlanAdopted, actor, on, now, content=content, targets=chosen, scope=scope,
            methods=list(methods if methods is not None else [m.value for m in self.methods]),
            frequency=frequency, time_limits=time_limits, team=list(team), team_leader=team_leader,
            invited=list(invited), evaluators=list(evaluators),
        )

    def amend_plan(
        self,
        *,
        actor: Actor,
        on: date,
        now: datetime,
        registry: UnitRegistry,
        consent: Actor,
        grounds: str,
        changes: dict[str, Any],
    ) -> None:
        """Step 4: the runner amends the adopted plan with grounds and the consent of the case's approver."""
        self.check_planned("amend the plan of")
        self.check_runner(actor, registry)
        self.check_approver(consent, registry)
        check_grounds(grounds, "an amendment of the plan")
        check_act_date(on, now, not_before=self.planned_on)
        self.check_amendment(changes, registry)
        self._record(self.PlanAmended, actor, on, now, changes=dict(changes), grounds=grounds, consent=consent.as_dict())

    def recuse_supervisor(
        self, *, actor: Actor, on: date, now: datetime, registry: UnitRegistry, supervisor: str, target: str, grounds: str
    ) -> None:
        """Step 4 (回避): the runner records that a supervisor with a conflict of interest keeps off a target."""
        self.check_active("recuse a supervisor of")
        self.check_runner(actor, registry)
        self.check_target(target)
        check_grounds(grounds, "a recusal")
        check_act_date(on, now, not_before=self.decided_on)
        self._record(self.SupervisorRecused, actor, on, now, supervisor=supervisor, target=target, grounds=grounds)

    def merge_into(self, *, actor: Actor, on: date, now: datetime, registry: UnitRegistry, survivor: Any, grounds: str) -> None:
        """Step 5: this case is absorbed into `survivor` (the other half is `absorb` on the survivor)."""
        self.check_mergeable(actor, registry, survivor, grounds)
        check_act_date(on, now, not_before=self.decided_on)
        self._record(
            self.CasesMerged, actor, on, now, survivor_id=str(survivor.id), absorbed_id=str(self.id),
            targets=list(self.targets), grounds=grounds,
        )

    def absorb(self, *, actor: Actor, on: date, now: datetime, registry: UnitRegistry, absorbed: Any, grounds: str) -> None:
        """Step 5: this case takes over the targets and content of `absorbed`: one visit, both contents."""
        self.check_mergeable(actor, registry, absorbed, grounds)
        check_act_date(on, now, not_before=self.decided_on)
        self._record(
            self.CasesMerged, actor, on, now, survivor_id=str(self.id), absorbed_id=str(absorbed.id),
            targets=list(absorbed.targets), grounds=grounds,
        )

    def notify_targets(
        self,
        *,
        actor: Actor,
        on: date,
        now: datetime,
        registry: UnitRegistry,
        calendar: WorkingCalendar,
        policy: Policy,
        site_work_starts: date,
        content: str,
        supervisors: Sequence[str],
        targets: Sequence[str] | None = None,
    ) -> None:
        """Step 6 (督查通知): written notice to the targets at least N working days before on-site work."""
        self.check_planned("notify the targets of")
        self.check_not_covert()
        self.check_runner(actor, registry)
        check_act_date(on, now, not_before=self.planned_on)
        chosen = list(targets) if targets is not None else list(self.plan["targets"])
        for target in chosen:
            self.check_target(target)
        provisional = self.check_notice_period(calendar, policy, on, site_work_starts)
        self._record(
            self.TargetsNotified, actor, on, now, targets=chosen, site_work_starts=site_work_starts, content=content,
            supervisors=list(supervisors), methods=list(self.plan["methods"]), provisional=provisional,
        )

    # ---- rules ------------------------------------------------------------------------

    def check_filed(self) -> None:
        """Raised when a department case is implemented before it is filed (备案) with the supervision office."""
        if self.sponsor is Sponsor.DEPARTMENT and self.filed_on is None:
            raise WrongState("a department case is filed (备案) with the supervision office before it is implemented")

    def check_planned(self, act: str) -> None:
        """Raised when the act needs an adopted plan (督查方案) and there is none, or the case is over."""
        self.check_active(act)
        if self.plan is None:
            raise WrongState(f"cannot {act} a case without an adopted plan (Art. 15)")

    def check_not_covert(self) -> None:
        """Raised when a covert case (暗访, 四不两直) would be notified: it never is."""
        if self.covert:
            raise ActNotAllowed("a covert case (暗访) is never notified")

    def check_notice_period(self, calendar: WorkingCalendar, policy: Policy, notice_on: date, starts: date) -> bool:
        """Raised when the notice is not at least `policy.notice_working_days` working days before on-site work.

        Returns whether the judgement rests on a year whose official schedule is not yet known.
        """
        enough, provisional = is_working_days_before(calendar, notice_on, starts, policy.notice_working_days)
        if not enough:
            raise InvalidCommand(
                f"notice on {notice_on} is less than {policy.notice_working_days} working days before {starts}"
            )
        return provisional

    def check_amendment(self, changes: dict[str, Any], registry: UnitRegistry) -> None:
        """Raised when an amendment changes nothing, or something a plan amendment may not change."""
        unknown = set(changes) - self.PLAN_FIELDS_AMENDABLE
        if not changes or unknown:
            raise InvalidCommand(f"an amendment changes some of {sorted(self.PLAN_FIELDS_AMENDABLE)}")
        if "targets" in changes:
            self.check_targets(registry, self.level, changes["targets"])

    def check_mergeable(self, actor: Actor, registry: UnitRegistry, other: Any, grounds: str) -> None:
        """Raised when the two cases cannot become one: not both active, not the same level, or no grounds."""
        self.check_active("merge")
        if other.merged_into != str(self.id):  # the other half may already be recorded
            other.check_active("merge")
        if other.id == self.id or other.level != self.level:
            raise InvalidCommand("only two different cases of the same level merge")
        self.check_same_level(actor, registry, Role.AGENCY)
        check_grounds(grounds, "a merger")

    def duplicates(self, other: Any) -> bool:
        """True when `other` visits one of this case's targets on the same topic or in an overlapping window (Art. 15)."""
        if other.id == self.id or not set(self.targets) & set(other.targets):
            return False
        overlapping = self.window[0] <= other.window[1] and other.window[0] <= self.window[1]
        return other.topic == self.topic or overlapping

