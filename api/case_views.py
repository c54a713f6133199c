"""The answers of the case read paths (督查事项), one model per audience: what each reader may see, by name.

A reader sees a case in one of two ways (`api/visibility.py`, `sight`): as the **office** — a full
reader, whose jurisdiction holds the case's level (leader, government, agency, department,
auditor) — or as a **party** — a target (督查对象) that knows of the case, or an entrusted evaluator
(第三方评估), or an office reading through such a unit of its jurisdiction. Each answer is built by
validating the read side's data into the model of the reader's sight: a field the model does not
name is dropped by construction, never deleted by hand, and the answer says which it is
(`seen_as`), so that a page may mix both.

A party's model leaves out the office's own steps (filing 备案, plan 督查方案, report 督查报告, merge)
and what is due next, which may concern another target. An event a party may read carries only the
payload fields its type's model names (`PARTY_PAYLOADS`); an event of a type without one carries
none. Internal notes (内部备注) and drafts (草稿) are whole events, kept from every reader the rules
of `visibility.RESTRICTED` do not name, and the informant of a lead (Art. 26) never enters the
case's read models at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field, create_model

from api.visibility import Sight
from domain.case import CaseState, CaseType, Method, Topic

# ---- the case on the board -----------------------------------------------------------------


class CaseForParty(BaseModel):
    """A case as a party sees it: its own targets, the decision and the closure; nothing of the office's work."""

    seen_as: Literal["party"] = "party"
    id: UUID
    title: str
    level: str
    sponsor: str
    sponsor_unit: str
    case_type: CaseType
    topic: Topic
    methods: list[Method]
    covert: bool
    targets: list[str]
    window_start: date
    window_end: date
    state: CaseState
    proposed_on: date
    decided_on: date | None = None
    closed_on: date | None = None
    version: int
    position: int
    updated_at: str


class CaseForOffice(CaseForParty):
    """A case as the office sees it: every target, every step, what is due next and its light (红黄绿灯)."""

    seen_as: Literal["office"] = "office"  # type: ignore[assignment]
    filed_on: date | None = None
    planned_on: date | None = None
    reported_on: date | None = None
    merged_into: UUID | None = None
    next_due_kind: str | None = None
    next_due_on: date | None = None
    light: str | None = None


CaseView = Annotated[CaseForOffice | CaseForParty, Field(discriminator="seen_as")]


class BoardPage(BaseModel):
    """One page of the case board and how many cases match in all."""

    items: list[CaseView]
    total: int
    limit: int
    offset: int


class BoardCounts(BaseModel):
    """How many cases the reader may see, per state, with the list's filters."""

    by_state: dict[str, int]
    total: int


# ---- the case as of a moment ------------------------------------------------------------------


class RequirementAsOf(BaseModel):
    """A rectification requirement (整改意见) as it stood."""

    id: str
    target: str
    text: str
    deadline: date
    status: str
    overdue: bool


class ConclusionAsOf(BaseModel):
    """A target's conclusion (督查结论) as it stood."""

    target: str
    issued_on: date
    delivered_on: date | None = None
    review_open: bool = False


class CaseAsOfForParty(BaseModel):
    """The case replayed up to `as_of`, as a party sees it: its own targets' notices, visits, delivered conclusions."""

    seen_as: Literal["party"] = "party"
    id: UUID
    as_of: datetime
    version: int
    recorded_at: datetime
    state: str
    title: str
    level: str
    case_type: str
    topic: str
    sponsor: str
    sponsor_unit: str
    targets: list[str]
    methods: list[str]
    covert: bool
    window_start: date
    window_end: date
    proposed_on: date
    decided_on: date | None = None
    notified: dict[str, date]
    visited: dict[str, date]
    conclusions: list[ConclusionAsOf]
    requirements: list[RequirementAsOf]


class CaseAsOfForOffice(CaseAsOfForParty):
    """The case replayed up to `as_of`, as the office sees it: every target and every step's date."""

    seen_as: Literal["office"] = "office"  # type: ignore[assignment]
    filed_on: date | None = None
    planned_on: date | None = None
    reported_on: date | None = None
    merged_into: UUID | None = None


CaseAsOf = Annotated[CaseAsOfForOffice | CaseAsOfForParty, Field(discriminator="seen_as")]


# ---- the history ---------------------------------------------------------------------------------


class ActorView(BaseModel):
    """Who acted: a person for a unit in a role."""

    unit: str
    role: str
    person: str


class EventForOffice(BaseModel):
    """One event of the history, as the office reads it: its whole payload."""

    type: str
    version: int
    position: int
    on: date | None
    recorded_at: datetime
    actor: ActorView | None
    concerns: list[str]
    payload: dict[str, Any]


    @classmethod
    def of(cls, event: dict[str, Any]) -> EventForOffice:
        return cls.model_validate(event)


class EventForParty(EventForOffice):
    """One event of the history, as a party reads it: the payload fields its type's model names."""

    @classmethod
    def of(cls, event: dict[str, Any]) -> EventForParty:
        model = PARTY_PAYLOADS.get(event["type"], NO_PAYLOAD)
        payload = model.model_validate(event["payload"]).model_dump(mode="json", exclude_unset=True)
        return cls.model_validate(event | {"payload": payload})


def _payload(name: str, *fields: str) -> type[BaseModel]:
    """The payload model of one event type for a party: the fields it names, of any type; the rest ignored."""
    return create_model(f"{name}ForParty", **{f: (Any, None) for f in fields})  # type: ignore[call-overload]


NO_PAYLOAD = _payload("Unnamed")
# What a party reads of each event it may see (`visibility.PARTY_EVENTS` and its own acts).
PARTY_PAYLOADS: dict[str, type[BaseModel]] = {
    name: _payload(name, *fields.split()) for name, fields in {
        "CaseProposed": "level case_type sponsor sponsor_unit topic title targets methods covert window_start window_end",
        "CaseApproved": "",
        "CaseClosed": "summary",
        "TargetsNotified": "targets site_work_starts content supervisors methods provisional",
        "SiteVisitConducted": "target supervisors",
        "SelfInspectionSubmitted": "target report items",
        "EvaluationSubmitted": "target summary items",
        "EvaluationDrafted": "target summary items",
        "TalkHeld": "target person summary",
        "FindingRecorded": "finding_id target item text",  # only those its delivered conclusion cites
        "ConclusionIssued": "target summary findings requirements",
        "ConclusionDelivered": "target",
        "ReviewRequested": "target grounds decide_by provisional",
        "ReviewDecided": "target outcome grounds requirements late",
        "ReviewDecisionOverdue": "target decide_by",
        "RectificationReported": "requirement_id progress percent",
        "RectificationCompleted": "requirement_id summary",
        "RectificationVerified": "requirement_id remarks",
        "RectificationReturned": "requirement_id reason",
        "RectificationOverdue": "requirement_id target deadline",
        "TargetUrged": "target requirement_id message",
        "Commended": "proposal_id",
        "Criticized": "proposal_id",
        "AccountabilityReferred": "proposal_id authority grounds",
        "FaultTolerated": "proposal_id grounds",
        "PerformanceDeducted": "unit points period notice",
    }.items()
}


class HistoryForOffice(BaseModel):
    """A case's events, oldest first, as the office reads them."""

    seen_as: Literal["office"] = "office"
    case_id: UUID
    events: list[EventForOffice]


class HistoryForParty(BaseModel):
    """A case's events that concern the party, oldest first, each with the payload its type's model names."""

    seen_as: Literal["party"] = "party"
    case_id: UUID
    events: list[EventForParty]


CaseHistoryView = Annotated[HistoryForOffice | HistoryForParty, Field(discriminator="seen_as")]


# ---- the one place where a reader's sight picks its models -------------------------------------


@dataclass(frozen=True)
class Models:
    """The answer models of one sight."""

    case: type[CaseForParty]
    as_of: type[CaseAsOfForParty]
    history: type[HistoryForOffice] | type[HistoryForParty]
    event: type[EventForOffice]


MODELS = {
    Sight.OFFICE: Models(CaseForOffice, CaseAsOfForOffice, HistoryForOffice, EventForOffice),
    Sight.PARTY: Models(CaseForParty, CaseAsOfForParty, HistoryForParty, EventForParty),
}
