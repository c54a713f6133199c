"""The request bodies of the case lifecycle's commands (steps 3–13 of 督查事项), one model per command.

Each model names the fields of one domain method (domain/planning.py, work.py,
conclusion.py, rectification.py, results.py) with the domain's own types, refuses unknown
fields, and may say when the act happened (`on`). `fields()` is what the domain method is
called with; a model whose fields need converting (a consent, a plan's changes) says how.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from api.case_models import Command
from domain.actor import Actor, Role
from domain.case import DocumentAction, Method, ReferralTo, ReviewOutcome

# Required text: never empty (the domain asks for grounds, content, a reason), bounded in length.
Text = Annotated[str, Field(min_length=1, max_length=4000)]
Name = Annotated[str, Field(min_length=1, max_length=200)]


class CaseCommand(Command):
    """A command on an existing case."""


class FileCase(CaseCommand):
    """Step 3 (备案): the supervision office records a department case as filed."""

    remarks: str = Field("", max_length=4000)


class AdoptPlan(CaseCommand):
    """Step 4 (督查方案, Art. 15): content, targets and scope, methods, frequency, time limits, team (Art. 8)."""

    content: Text
    targets: list[str] | None = Field(None, description="Units the plan visits (default: all the case's targets).")
    scope: str = ""
    methods: list[Method] | None = Field(None, description="Art. 12 methods (default: the proposal's).")
    frequency: str = ""
    time_limits: str = ""
    team: list[str] = Field(default_factory=list, description="The supervisors (督查组成员).")
    team_leader: str = Field("", description="The team's leader (组长), a member of the team.")
    invited: list[str] = Field(default_factory=list, description="Invited members (特邀人员).")
    evaluators: list[str] = Field(default_factory=list, description="Codes of entrusted third-party evaluators.")

    def fields(self) -> dict[str, Any]:
        fields = super().fields()
        if self.methods is not None:
            fields["methods"] = [m.value for m in self.methods]
        return fields


class PlanChanges(BaseModel):
    """What an amendment changes in the adopted plan; only the fields given change."""

    model_config = ConfigDict(extra="forbid")

    content: str | None = None
    targets: list[str] | None = None
    scope: str | None = None
    methods: list[Method] | None = None
    frequency: str | None = None
    time_limits: str | None = None
    team: list[str] | None = None


class Consent(BaseModel):
    """The consenting approver: the case's approver (leader or government of the case's level)."""

    model_config = ConfigDict(extra="forbid")

    unit: Name
    role: Role
    person: Name

    def actor(self) -> Actor:
        return Actor(unit=self.unit, role=self.role, person=self.person)


class AmendPlan(CaseCommand):
    """Step 4: amend the adopted plan, with grounds and the approver's consent."""

    changes: PlanChanges
    grounds: Text
    consent: Consent = Field(description="Who consented; checked as the domain checks an approver.")

    def fields(self) -> dict[str, Any]:
        return {
            "changes": self.changes.model_dump(mode="json", exclude_unset=True),
            "grounds": self.grounds,
            "consent": self.consent.actor(),
        }


class RecuseSupervisor(CaseCommand):
    """Step 4 (回避): a supervisor with a conflict of interest keeps off a target."""

    supervisor: Name
    target: Name
    grounds: Text


class NotifyTargets(CaseCommand):
    """Step 6 (督查通知): written notice at least N working days before on-site work."""

    site_work_starts: date
    content: Text
    supervisors: list[str] = Field(min_length=1)
    targets: list[str] | None = Field(None, description="Default: the plan's targets.")


class ConductSiteVisit(CaseCommand):
    """Step 7 (实地督查): supervisors were on site at a target."""

    target: Name
    supervisors: list[str] = Field(default_factory=list)
    summary: str = Field("", max_length=4000)


class SubmitSelfInspection(CaseCommand):
    """Step 7 (自查、说明): the target's self-inspection, item by item."""

    report: Text
    items: dict[str, str] = Field(default_factory=dict)


class RecordFinding(CaseCommand):
    """Step 7: the office's finding on one item at one target."""

    finding_id: Name
    target: Name
    item: Name
    text: Text


class AttachEvidence(CaseCommand):
    """Step 7: a document's digest and title (the bytes live elsewhere)."""

    digest: str = Field(min_length=1, max_length=200, description="e.g. sha256:<hex>")
    title: Name
    finding_id: str | None = None
    target: str | None = None


class SubmitEvaluation(CaseCommand):
    """Step 7 (第三方评估): an entrusted evaluator's view of a target."""

    target: Name
    summary: Text
    items: dict[str, str] = Field(default_factory=dict)


class RecordSurveyResult(CaseCommand):
    """Step 7: a survey's, forum's, hearing's or statistics' result (座谈、听证、统计)."""

    survey: Name
    result: Text
    target: str | None = None


class HoldTalk(CaseCommand):
    """Step 7 (约谈): a formal talk with a target's responsible person."""

    target: Name
    person: Name
    summary: Text


class SubmitReport(CaseCommand):
    """Step 8 (督查报告): the office's report to its government."""

    summary: Text
    report_up: bool = Field(True, description="Also report to the next level (及时向上级报告).")


class RequirementIn(BaseModel):
    """A rectification requirement (整改意见) with its deadline."""

    model_config = ConfigDict(extra="forbid")

    id: Name
    text: Text
    deadline: date


class IssueConclusion(CaseCommand):
    """Step 9 (督查结论, Art. 16): the government's conclusion on one target."""

    target: Name
    summary: Text
    findings: list[str] = Field(default_factory=list, description="Ids of findings recorded on the target.")
    requirements: list[RequirementIn] = Field(default_factory=list)
    participants: list[str] = Field(default_factory=list, description="Who took part (recused from the review).")


class DeliverConclusion(CaseCommand):
    """Step 9 (送达): the conclusion reached its target."""

    target: Name


class RequestReview(CaseCommand):
    """Step 10 (复核申请, Art. 17): the target applies for review within 30 days."""

    grounds: Text


class DecideReview(CaseCommand):
    """Step 10 (复核决定, Art. 17): upheld or amended within 30 days of the application."""

    target: Name
    outcome: ReviewOutcome
    grounds: Text
    requirements: list[RequirementIn] = Field(default_factory=list, description="The amended requirements.")


class ReportRectification(CaseCommand):
    """Step 11 (整改): the target reports progress on a requirement."""

    requirement_id: Name
    progress: Text
    percent: int | None = Field(None, ge=0, le=100)


class CompleteRectification(CaseCommand):
    """Step 11: the target claims a requirement rectified."""

    requirement_id: Name
    summary: Text


class VerifyRectification(CaseCommand):
    """Step 11 (核查): the office confirms a rectification."""

    requirement_id: Name
    remarks: str = Field("", max_length=4000)


class ReturnRectification(CaseCommand):
    """Step 11 (核查): the office sends a rectification back, with its reason."""

    requirement_id: Name
    reason: Text


class UrgeTarget(CaseCommand):
    """Step 11 (催办): the office urges a target."""

    target: Name
    message: Text
    requirement_id: str | None = None


class CloseCase(CaseCommand):
    """Step 13 (办结): every requirement verified, or waived here with grounds."""

    summary: str = Field("", max_length=4000)
    waivers: dict[str, str] = Field(default_factory=dict, description="Requirement id → grounds for waiving it.")


class ProposeResult(CaseCommand):
    """Step 12 (督查结果运用): the office proposes a use of results about a unit (and a person in it)."""

    proposal_id: Name
    unit: Name
    grounds: Text
    person: str = ""


class DecideProposal(CaseCommand):
    """Step 12 (Art. 21): the government or its head approves a proposal; it takes effect."""

    proposal_id: Name


class ReferAccountability(CaseCommand):
    """Step 12 (问责): approved accountability handed to the authority that investigates."""

    proposal_id: Name
    authority: Name
    grounds: Text


class TolerateFault(CaseCommand):
    """Step 12 (容错纠错): a later decision excuses a criticism or accountability."""

    proposal_id: Name
    grounds: Text


class DeductPerformance(CaseCommand):
    """Step 12 (绩效考核减分): points deducted from a unit's score for a period."""

    unit: Name
    points: float = Field(gt=0)
    period: Name
    notice: Text


class ProposeDocumentRevision(CaseCommand):
    """Step 12 (Art. 19): change or revoke an improper normative document."""

    document: Name
    issuer: Name
    action: DocumentAction
    grounds: Text


class ReferLead(CaseCommand):
    """Step 12 (Art. 23): a lead to the supervisory commission or the judicial organs."""

    to: ReferralTo
    unit: Name
    person: Name
    grounds: Text


class RecordInternalNote(CaseCommand):
    """The supervision office's working note (内部备注): read by that office (and auditors) alone."""

    text: Text
    target: str | None = Field(None, description="The target the note is about (default: the whole case).")


class SaveConclusionDraft(CaseCommand):
    """A draft of a target's conclusion (督查结论草稿), unpublished until the government issues the conclusion."""

    target: Name
    summary: Text
    findings: list[str] = Field(default_factory=list, description="Ids of findings recorded on the target.")
    requirements: list[RequirementIn] = Field(default_factory=list)


class SaveEvaluationDraft(CaseCommand):
    """An entrusted evaluator's draft (评估意见草稿): read by that evaluator alone until it submits the evaluation."""

    target: Name
    summary: Text
    items: dict[str, str] = Field(default_factory=dict)


class MergeCases(Command):
    """Step 5 (能合尽合): the case named absorbs another: one visit, both contents."""

    absorbed_id: UUID = Field(description="The case that is absorbed into this one.")
    grounds: Text
