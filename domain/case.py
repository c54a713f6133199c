"""The supervision case (督查事项): one supervision matter from its proposal to its closure.

This module holds steps 1–2 of DOMAIN.md's lifecycle: proposal (立项) and the decision on
it (approval 同意 / rejection), and composes the aggregate from one mixin per later part:
filing, plan, recusal, merging and notice (`planning`), the work and the report (`work`),
conclusion and review (`conclusion`), rectification and closure (`rectification`), the use
of results (`results`), and what is never published: internal notes (内部备注) and unpublished
drafts (`case_drafts`). Every event is nested in `Case` (its topic and its subject
name the case), in lifecycle order below. Article numbers are those of the Government
Supervision Work Regulations (《政府督查工作条例》).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from enum import StrEnum
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.actor import Actor, Role
from domain.case_base import CaseState, Sponsor, check_act_date
from domain.case_drafts import Drafts
from domain.conclusion import Conclusions, ReviewOutcome
from domain.errors import ActNotAllowed, InvalidCommand
from domain.planning import Planning
from domain.rectification import Rectification, Requirement, RequirementStatus
from domain.results import DocumentAction, ReferralTo, Results
from domain.units import UnitRegistry
from domain.work import Work

__all__ = [
    "Case", "CaseState", "CaseType", "DocumentAction", "Method", "ReferralTo", "Requirement",
    "RequirementStatus", "ReviewOutcome", "Sponsor", "Topic", "check_act_date",
]


class CaseType(StrEnum):
    """Art. 14: the kinds of supervision."""

    COMPREHENSIVE = "comprehensive"  # 综合督查
    SPECIAL = "special"  # 专项督查
    INCIDENT = "incident"  # 事件调查
    ROUTINE = "routine"  # 日常督办
    LEAD_VERIFICATION = "lead-verification"  # 线索核查


class Topic(StrEnum):
    """What the case follows up."""

    MAJOR_DECISION = "major-decision"  # 党中央、国务院和省委、省政府重大决策
    WORK_REPORT = "work-report"  # 《政府工作报告》任务
    INSTRUCTION = "instruction"  # 领导批示
    LIVELIHOOD = "livelihood"  # 民生工程
    PUBLIC_LEAD = "public-lead"  # 群众线索
    OTHER = "other"


class Method(StrEnum):
    """Art. 12: the methods of supervision, any combination."""

    SELF_INSPECTION = "self-inspection"  # 自查、说明
    HEARING_REPORT = "hearing-report"  # 听取汇报
    INSPECTION = "inspection"  # 检查
    INTERVIEW = "interview"  # 访谈
    COVERT_VISIT = "covert-visit"  # 暗访
    FORUM = "forum"  # 座谈
    HEARING = "hearing"  # 听证
    STATISTICS = "statistics"  # 统计
    THIRD_PARTY_EVALUATION = "third-party-evaluation"  # 第三方评估
    RECORDS = "records"  # 查阅、复制
    LEADS = "leads"  # 来信、来电、媒体线索
    TALK = "talk"  # 约谈
    ONLINE = "online"  # 互联网+督查


class Case(Planning, Work, Conclusions, Rectification, Results, Drafts, Aggregate):
    """A supervision case. Its events are its history; its attributes are their fold."""

    class CaseProposed(Aggregate.Created):
        """Step 1: a case is proposed by the supervision office or a department."""

        actor: dict[str, str]
        on: date
        level: str
        case_type: str
        sponsor: str
        sponsor_unit: str
        topic: str
        title: str
        targets: list[str]
        methods: list[str]
        covert: bool
        window_start: date
        window_end: date
        rationale: str

        def apply(self, case: Case) -> None:
            case._state = CaseState.PROPOSED
            case.level = self.level
            case.case_type = CaseType(self.case_type)
            case.sponsor = Sponsor(self.sponsor)
            case.sponsor_unit = self.sponsor_unit
            case.topic = Topic(self.topic)
            case.title = self.title
            case.targets = list(self.targets)
            case.methods = [Method(m) for m in self.methods]
            case.covert = self.covert
            case.window = (self.window_start, self.window_end)
            case.proposed_on = self.on
            case.decided_on = None
            case.start_fold()

    class CaseApproved(Aggregate.Event):
        """Step 2: the competent authority of the same level approves the case."""

        actor: dict[str, str]
        on: date
        remarks: str

        def apply(self, case: Case) -> None:
            case._state = CaseState.APPROVED
            case.decided_on = self.on

    class CaseRejected(Aggregate.Event):
        """Step 2: the competent authority of the same level rejects the case."""

        actor: dict[str, str]
        on: date
        reason: str

        def apply(self, case: Case) -> None:
            case._state = CaseState.REJECTED
            case.decided_on = self.on

    # Steps 3–13, defined beside their commands; named here so that each is `Case.<Event>`.
    CaseFiled = Planning.CaseFiled
    PlanAdopted = Planning.PlanAdopted
    PlanAmended = Planning.PlanAmended
    SupervisorRecused = Planning.SupervisorRecused
    CasesMerged = Planning.CasesMerged
    TargetsNotified = Planning.TargetsNotified
    SiteVisitConducted = Work.SiteVisitConducted
    SelfInspectionSubmitted = Work.SelfInspectionSubmitted
    FindingRecorded = Work.FindingRecorded
    EvidenceAttached = Work.EvidenceAttached
    EvaluationSubmitted = Work.EvaluationSubmitted
    SurveyResultRecorded = Work.SurveyResultRecorded
    TalkHeld = Work.TalkHeld
    ReportSubmitted = Work.ReportSubmitted
    ConclusionIssued = Conclusions.ConclusionIssued
    ConclusionDelivered = Conclusions.ConclusionDelivered
    ReviewRequested = Conclusions.ReviewRequested
    ReviewDecided = Conclusions.ReviewDecided
    ReviewDecisionOverdue = Conclusions.ReviewDecisionOverdue
    RectificationReported = Rectification.RectificationReported
    RectificationCompleted = Rectification.RectificationCompleted
    RectificationVerified = Rectification.RectificationVerified
    RectificationReturned = Rectification.RectificationReturned
    RectificationOverdue = Rectification.RectificationOverdue
    TargetUrged = Rectification.TargetUrged
    CommendationProposed = Results.CommendationProposed
    Commended = Results.Commended
    CriticismProposed = Results.CriticismProposed
    Criticized = Results.Criticized
    AccountabilityProposed = Results.AccountabilityProposed
    AccountabilityReferred = Results.AccountabilityReferred
    FaultTolerated = Results.FaultTolerated
    PerformanceDeducted = Results.PerformanceDeducted
    DocumentRevisionProposed = Results.DocumentRevisionProposed
    LeadReferred = Results.LeadReferred
    CaseClosed = Rectification.CaseClosed
    InternalNoteRecorded = Drafts.InternalNoteRecorded
    ConclusionDrafted = Drafts.ConclusionDrafted
    EvaluationDrafted = Drafts.EvaluationDrafted

    # ---- commands ---------------------------------------------------------------------

    @classmethod
    def propose(
        cls,
        *,
        case_id: UUID,
        actor: Actor,
        on: date,
        now: datetime,
        registry: UnitRegistry,
        case_type: CaseType,
        topic: Topic,
        title: str,
        targets: Sequence[str],
        methods: Sequence[Method],
        window_start: date,
        window_end: date,
        rationale: str,
    ) -> Case:
        """Step 1 (立项): the supervision office proposes a government case, a department a special one."""
        check_act_date(on, now)
        sponsor = cls.check_may_propose(actor, case_type)
        level = registry.government_of(actor.unit)
        cls.check_targets(registry, level, targets)
        cls.check_window(window_start, window_end)
        if not methods:
            raise InvalidCommand("a case names at least one method of supervision (Art. 12)")
        return cls._create(
            cls.CaseProposed,
            id=case_id,
            timestamp=now,
            actor=actor.as_dict(),
            on=on,
            level=level,
            case_type=case_type.value,
            sponsor=sponsor.value,
            sponsor_unit=actor.unit,
            topic=topic.value,
            title=title,
            targets=list(dict.fromkeys(targets)),
            methods=list(dict.fromkeys(m.value for m in methods)),
            covert=Method.COVERT_VISIT in methods,
            window_start=window_start,
            window_end=window_end,
            rationale=rationale,
        )

    def approve(self, *, actor: Actor, on: date, now: datetime, registry: UnitRegistry, remarks: str = "") -> None:
        """Step 2 (同意): the same level's leader (government case) or government (department case)."""
        self.check_state(CaseState.PROPOSED, "approve")
        self.check_approver(actor, registry)
        check_act_date(on, now, not_before=self.proposed_on)
        self.trigger_event(self.CaseApproved, timestamp=now, actor=actor.as_dict(), on=on, remarks=remarks)

    def reject(self, *, actor: Actor, on: date, now: datetime, registry: UnitRegistry, reason: str) -> None:
        """Step 2: the authority that may approve a case may also reject it, with a reason."""
        self.check_state(CaseState.PROPOSED, "reject")
        self.check_approver(actor, registry)
        check_act_date(on, now, not_before=self.proposed_on)
        if not reason.strip():
            raise InvalidCommand("a rejection gives its reason")
        self.trigger_event(self.CaseRejected, timestamp=now, actor=actor.as_dict(), on=on, reason=reason)

    # ---- rules ------------------------------------------------------------------------

    @staticmethod
    def check_may_propose(actor: Actor, case_type: CaseType) -> Sponsor:
        """Raised when the proposer is neither the supervision office (Art. 11) nor a department (Art. 7).

        A department may propose only special supervision (the notice: 部门专项督查).
        """
        if actor.role is Role.AGENCY:
            return Sponsor.GOVERNMENT
        if actor.role is Role.DEPARTMENT:
            if case_type is not CaseType.SPECIAL:
                raise ActNotAllowed("a department proposes only special supervision (部门专项督查, Art. 7)")
            return Sponsor.DEPARTMENT
        raise ActNotAllowed(f"the role {actor.role.value!r} may not propose a supervision case")

    @staticmethod
    def check_targets(registry: UnitRegistry, level: str, targets: Sequence[str]) -> None:
        """Raised when a target is unknown, or is not below the proposing level of government."""
        if not targets:
            raise InvalidCommand("a case names at least one supervised unit (督查对象)")
        registry.check_known(targets)
        for target in targets:
            if target == level or not registry.is_within(target, level):
                raise ActNotAllowed(f"unit {target!r} is not under the jurisdiction of {level!r}")

    @staticmethod
    def check_window(start: date, end: date) -> None:
        """Raised when the planned window ends before it starts."""
        if end < start:
            raise InvalidCommand(f"the planned window ends ({end}) before it starts ({start})")

    def check_approver(self, actor: Actor, registry: UnitRegistry) -> None:
        """Raised unless the approver is the same level's `leader` for a government case (Art. 11;
        the notice: 主要领导同意) or the same level's `government` for a department case (Art. 7;
        the notice: 本级政府同意)."""
        needed = Role.LEADER if self.sponsor is Sponsor.GOVERNMENT else Role.GOVERNMENT
        if actor.role is not needed:
            raise ActNotAllowed(f"a {self.sponsor.value} case is decided by the role {needed.value!r}")
        if registry.government_of(actor.unit) != self.level:
            raise ActNotAllowed(f"a case of level {self.level} is decided at that level, not by {actor.unit}")

    # ---- fold -------------------------------------------------------------------------

    def start_fold(self) -> None:
        """The empty state of steps 3–13, set when the case is proposed."""
        self.filed_on: date | None = None
        self.merged_into: str | None = None
        self.plan: dict | None = None
        self.planned_on: date | None = None
        self.reported_on: date | None = None
        self.recused: dict[str, set[str]] = {}
        self.notified: dict[str, date] = {}
        self.visited: dict[str, date] = {}
        self.findings: dict[str, str] = {}
        self.conclusions: dict[str, dict] = {}
        self.requirements: dict[str, Requirement] = {}
        self.urged: dict[str, date] = {}
        self.proposals: dict[str, dict] = {}

    @property
    def state(self) -> CaseState:
        return self._state
