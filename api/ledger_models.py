"""The request and answer bodies of the ledger's routes: tasks (工作台账), instructions (批示), plans (年度计划),
material demands (最多报一次)."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from api.case_models import Command
from domain.annual_plan import DEFAULT_PERFORMANCE_BASE, ActivityKind
from domain.ledger_tree import TaskSource
from domain.policy import Urgency

Name = Field(min_length=1, max_length=200)


class Evidence(BaseModel):
    """A document by its digest and title (the bytes live elsewhere)."""

    model_config = ConfigDict(extra="forbid")

    digest: str = Field(min_length=1, max_length=200)
    title: str = Field(min_length=1, max_length=200)


class MilestoneIn(BaseModel):
    """A phase target (阶段目标): by `due`, `percent` of the work is expected done."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=50)
    title: str = Field("", max_length=200)
    due: date
    percent: int = Field(ge=0, le=100)


class RegisterTask(Command):
    """Register a ledger task (登记) for a responsible unit."""

    title: str = Name
    source: TaskSource
    source_ref: str | None = Field(None, max_length=200)
    responsible_unit: str = Name
    responsible_person: str = Name
    responsible_leader: str = Name
    supporting_units: list[str] = Field(default_factory=list)
    standard: str = Field(min_length=1, max_length=4000)
    milestones: list[MilestoneIn] = Field(default_factory=list)
    deadline: date


class ChildTask(BaseModel):
    """One child of a decomposition, for a lower unit."""

    model_config = ConfigDict(extra="forbid")

    unit: str = Name
    person: str = Name
    leader: str = Name
    title: str = Name
    standard: str = Field(min_length=1, max_length=4000)
    deadline: date
    milestones: list[MilestoneIn] = Field(default_factory=list)
    supporting_units: list[str] = Field(default_factory=list)
    weight: float | None = None


class DecomposeTask(Command):
    """分解: break the task into child tasks for lower units."""

    children: list[ChildTask] = Field(min_length=1)


class AcceptTask(Command):
    """承办: the responsible unit accepts the task."""

    note: str = Field("", max_length=4000)


class ReportProgress(Command):
    """A progress report with evidence."""

    percent: float = Field(ge=0, le=100)
    narrative: str = Field(min_length=1, max_length=4000)
    evidence: list[Evidence] = Field(default_factory=list)


class ReachMilestone(Command):
    """A milestone reached."""

    milestone_id: str = Field(min_length=1, max_length=50)
    note: str = Field("", max_length=4000)


class ClaimCompletion(Command):
    """The responsible unit claims the task done."""

    summary: str = Field(min_length=1, max_length=4000)
    evidence: list[Evidence] = Field(default_factory=list)


class VerifyTask(Command):
    """照单验收: the assigning office verifies the claimed task."""

    remarks: str = Field("", max_length=4000)


class ReturnTask(Command):
    """The assigning office returns the claimed task, with the reason."""

    reason: str = Field(min_length=1, max_length=4000)


class UrgeTask(Command):
    """催办: the assigning office urges the responsible unit."""

    message: str = Field(min_length=1, max_length=4000)


class CloseTask(Command):
    """销号: the assigning office closes the verified task."""

    summary: str = Field("", max_length=4000)


class Answer(BaseModel):
    """What a command answers: the object's new state and version, and its last event's position."""

    id: UUID
    state: str | None
    version: int
    position: int


class DecomposeAnswer(Answer):
    children: list[UUID]


class IssueInstruction(Command):
    """A leader issues an instruction, or the office records one naming the instructing leader."""

    text: str = Field(min_length=1, max_length=4000)
    lead_unit: str = Name
    supporting_units: list[str] = Field(default_factory=list)
    urgency: Urgency
    instructing_leader: str | None = Field(None, max_length=200)


class AssignInstruction(Command):
    note: str = Field("", max_length=4000)


class AnswerInstruction(Command):
    text: str = Field(min_length=1, max_length=4000)
    evidence: list[Evidence] = Field(default_factory=list)


class ReturnAnswer(Command):
    reason: str = Field(min_length=1, max_length=4000)


class CloseInstruction(Command):
    summary: str = Field("", max_length=4000)


class OrderCovertCheck(Command):
    """暗访核查: a covert-visit case (topic instruction) is proposed on the instruction's answer."""

    grounds: str = Field(min_length=1, max_length=4000)
    title: str = Name
    targets: list[str] = Field(min_length=1)
    window_start: date
    window_end: date


class CovertCheckAnswer(Answer):
    case_id: UUID


class DraftPlan(Command):
    year: int
    performance_base: float = DEFAULT_PERFORMANCE_BASE


class PlanActivity(Command):
    activity_id: str = Field(min_length=1, max_length=50)
    kind: ActivityKind
    title: str = Name
    units: list[str] = Field(min_length=1)
    window_start: date
    window_end: date


class SetCap(Command):
    unit: str = Name
    on_site_visits: int = Field(ge=0)
    material_requests: int = Field(ge=0)
    reports: int = Field(ge=0)


class FilePlan(Command):
    """报备: file the plan with the level above."""


class ApproveOutOfPlan(Command):
    """一事一报: the principal leader approves one case outside the plan."""

    case_id: UUID
    grounds: str = Field(min_length=1, max_length=4000)


class DemandMaterial(Command):
    """A written demand for a form (最多报一次: a form reported this year is answered with its report)."""

    form: str = Name
    due: date | None = None


class ReportForm(Command):
    """The unit reports the form a demand asked for."""

    year: int
    request_id: str = Field(min_length=1, max_length=100)
    digest: str = Field(min_length=1, max_length=200)
    title: str = Name


class MaterialAnswer(BaseModel):
    """`demanded` (a new demand, recorded), `pending` (the same form is already demanded) or `already-reported`."""

    outcome: str
    request: dict[str, Any] | None = None
    earlier_report: dict[str, Any] | None = None
    position: int = 0
