"""Integration messages between levels: named, versioned contracts, separate from internal events.

A node's events are its own; another level sees only these messages. Each contract names its
direction: `down` (a superior to a subordinate: an assignment, 交办; a supervision case's notice 督查通知, its
covert visit 暗访, its conclusion 督查结论 and review decision 复核决定, the office's check of a rectification 核查,
its overdue marks 逾期 and urging 催办, to the target's node; a leader's instruction 批示交办, the return 退回 of
its answer and its closing 办结, to the lead unit's node; the refusal 退件 of an act sent up, to its sender) or
`up` (a subordinate to its superior: acceptance 承办, progress 进展, completion 办结申请, a case's report and results 督查事项报告, burden counts
基层负担, a target's self-inspection 自查, rectification report 整改报告 and review application 复核申请, an
instruction's answer 反馈). A contract is never changed in place: a new shape is a new `version`, and the older
one stays readable (in `CONTRACTS`) while a message of it could still wait in a sender's outbox.

They live here, not in `domain/`, because they are the wire format of the levels' crossing, not
rules of the domain.
"""

from __future__ import annotations

import json
from datetime import date
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Direction(StrEnum):
    """Who may send a contract: a superior down to a subordinate, or a subordinate up to its superior."""

    DOWN = "down"
    UP = "up"


class ActorRef(BaseModel):
    """The person who acted at the sending level, for the receiving level's record."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    unit: str
    role: str
    person: str


class Evidence(BaseModel):
    """A document's digest and title (the bytes live elsewhere)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    digest: str
    title: str


class Contract(BaseModel):
    """What every integration message says: its name, its version, who acted and when."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    DIRECTION: ClassVar[Direction]
    name: str
    version: int
    actor: ActorRef
    on: date


class TaskContract(Contract):
    """A message about a ledger task (工作台账): the task it is about."""

    task_id: UUID


class TaskAssigned(TaskContract):
    """交办 (down): a ledger task for a unit the receiving node serves, created by the sender's decomposition.
    The receiving node registers it under the same id."""

    DIRECTION: ClassVar[Direction] = Direction.DOWN
    name: Literal["TaskAssigned"] = "TaskAssigned"
    version: Literal[1] = 1
    title: str
    source: str
    source_ref: str | None = None
    responsible_unit: str
    responsible_person: str
    responsible_leader: str
    supporting_units: list[str] = Field(default_factory=list)
    standard: str
    milestones: list[dict[str, Any]] = Field(default_factory=list)
    deadline: date


class TaskAccepted(TaskContract):
    """承办 (up): the responsible unit accepted an assigned task."""

    DIRECTION: ClassVar[Direction] = Direction.UP
    name: Literal["TaskAccepted"] = "TaskAccepted"
    version: Literal[1] = 1
    note: str = ""


class TaskProgressReported(TaskContract):
    """进展 (up): the assigned task's percent, reported or rolled up from its own children."""

    DIRECTION: ClassVar[Direction] = Direction.UP
    name: Literal["TaskProgressReported"] = "TaskProgressReported"
    version: Literal[1] = 1
    percent: float = Field(ge=0, le=100)
    narrative: str
    evidence: list[Evidence] = Field(default_factory=list)


class TaskCompletionClaimed(TaskContract):
    """办结申请 (up): the responsible unit claims the assigned task done, for the assigning level to verify."""

    DIRECTION: ClassVar[Direction] = Direction.UP
    name: Literal["TaskCompletionClaimed"] = "TaskCompletionClaimed"
    version: Literal[1] = 1
    summary: str
    evidence: list[Evidence] = Field(default_factory=list)


class CaseReported(Contract):
    """督查事项报告 (up, step 8): a case of the sender's level or below — its state, key dates, counts of findings and
    requirements and the use of its results — at its report, conclusion or closing (办结). A city forwards what
    its counties reported, so `level` (the case's own level) may lie below the sender."""

    DIRECTION: ClassVar[Direction] = Direction.UP
    name: Literal["CaseReported"] = "CaseReported"
    version: Literal[1] = 1
    case_id: UUID
    level: str
    title: str
    case_type: str
    topic: str
    covert: bool
    targets: list[str]
    state: str
    proposed_on: date
    reported_on: date | None = None
    concluded_on: date | None = None
    closed_on: date | None = None
    findings: int = Field(ge=0)
    requirements: int = Field(ge=0)
    requirements_done: int = Field(ge=0)
    results: dict[str, int] = Field(default_factory=dict)
    summary: str = ""


class BurdenReported(Contract):
    """基层负担 (up): the sender's burden counts for one year, per unit and measure (visits, material demands,
    reports), for its own level and everything its lower levels reported to it; each report replaces the last."""

    DIRECTION: ClassVar[Direction] = Direction.UP
    name: Literal["BurdenReported"] = "BurdenReported"
    version: Literal[1] = 1
    year: int
    counts: dict[str, dict[str, int]]


class CaseContract(Contract):
    """A message about one target's part (督查对象) in a supervision case run at `level`."""

    case_id: UUID
    level: str
    target: str


class CaseSentDown(CaseContract):
    """A case's act that reaches its target's node (down): what the target needs to know the case by, so that
    whichever message arrives first opens the target's record of it (domain/received.py)."""

    title: str
    case_type: str
    topic: str
    covert: bool


class CaseNotified(CaseSentDown):
    """督查通知 (down, step 6): the written notice to a target of an open case; never sent for a covert one."""

    DIRECTION: ClassVar[Direction] = Direction.DOWN
    name: Literal["CaseNotified"] = "CaseNotified"
    version: Literal[1] = 1
    site_work_starts: date
    content: str
    supervisors: list[str] = Field(default_factory=list)
    methods: list[str] = Field(default_factory=list)


class CaseVisited(CaseSentDown):
    """实地督查 / 暗访 (down, step 7): supervisors were on site at the target; for a covert case, the first
    message its target's node ever receives about it (nothing crosses before the visit)."""

    DIRECTION: ClassVar[Direction] = Direction.DOWN
    name: Literal["CaseVisited"] = "CaseVisited"
    version: Literal[1] = 1


class RequirementSent(BaseModel):
    """A rectification requirement (整改意见) with its deadline."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    text: str
    deadline: date


class FindingSent(BaseModel):
    """A finding (督查发现) the conclusion rests on: the item it is about and what the office found."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    item: str
    text: str


class CaseConcluded(CaseSentDown):
    """督查结论 (down, step 9): the conclusion on the target, delivered (送达) on `on`, with the findings it rests on
    (their texts, so the target reads its conclusion whole on its own node); `review_by` is the last day to apply
    for review (复核, Art. 17), as the case's own node counts it. Version 2: v1 named the findings by id only."""

    DIRECTION: ClassVar[Direction] = Direction.DOWN
    name: Literal["CaseConcluded"] = "CaseConcluded"
    version: Literal[2] = 2
    summary: str
    findings: list[FindingSent] = Field(default_factory=list)
    requirements: list[RequirementSent] = Field(default_factory=list)
    issued_on: date
    review_by: date


class CaseConcludedV1(CaseSentDown):
    """督查结论 (down, step 9), version 1: as version 2, the findings by id only. No longer sent; still read, so a
    v1 still waiting in a sender's outbox is recorded (its findings without their texts)."""

    DIRECTION: ClassVar[Direction] = Direction.DOWN
    name: Literal["CaseConcluded"] = "CaseConcluded"
    version: Literal[1] = 1
    summary: str
    findings: list[str] = Field(default_factory=list)
    requirements: list[RequirementSent] = Field(default_factory=list)
    issued_on: date
    review_by: date


class CaseReviewDecided(CaseSentDown):
    """复核决定 (down, step 10): the review upheld or amended the conclusion; `requirements` are the target's
    requirements as they stand after it."""

    DIRECTION: ClassVar[Direction] = Direction.DOWN
    name: Literal["CaseReviewDecided"] = "CaseReviewDecided"
    version: Literal[1] = 1
    outcome: str
    grounds: str
    requirements: list[RequirementSent] = Field(default_factory=list)


class CaseActSentDown(CaseContract):
    """A case's act on a target after it knows of the case, sent down to the target's node; `act_id` (the case's
    id and version) names the act once, so the target's node records it once however often it arrives."""

    act_id: str


class CaseRectificationVerified(CaseActSentDown):
    """核查 (down, step 11): the office confirmed the target's rectification of one requirement."""

    DIRECTION: ClassVar[Direction] = Direction.DOWN
    name: Literal["CaseRectificationVerified"] = "CaseRectificationVerified"
    version: Literal[1] = 1
    requirement_id: str
    remarks: str = ""


class CaseRectificationReturned(CaseActSentDown):
    """核查 (down, step 11): the office sent the target's claimed rectification of one requirement back, with why."""

    DIRECTION: ClassVar[Direction] = Direction.DOWN
    name: Literal["CaseRectificationReturned"] = "CaseRectificationReturned"
    version: Literal[1] = 1
    requirement_id: str
    reason: str


class CaseRectificationOverdue(CaseActSentDown):
    """逾期 (down, step 11): the case's clock saw one requirement's deadline pass unverified."""

    DIRECTION: ClassVar[Direction] = Direction.DOWN
    name: Literal["CaseRectificationOverdue"] = "CaseRectificationOverdue"
    version: Literal[1] = 1
    requirement_id: str
    deadline: date


class CaseTargetUrged(CaseActSentDown):
    """催办 (down, step 11): the office (or its clock) urged the target, about one requirement or the case."""

    DIRECTION: ClassVar[Direction] = Direction.DOWN
    name: Literal["CaseTargetUrged"] = "CaseTargetUrged"
    version: Literal[1] = 1
    requirement_id: str | None = None
    message: str


class CaseActSentUp(CaseContract):
    """A target's act on a case of a superior level, sent from the target's node; `act_id` names the act once,
    so the case's node records it once however often it arrives."""

    act_id: str


class CaseRectificationReported(CaseActSentUp):
    """整改报告 (up, step 11): the target's progress on one requirement."""

    DIRECTION: ClassVar[Direction] = Direction.UP
    name: Literal["CaseRectificationReported"] = "CaseRectificationReported"
    version: Literal[1] = 1
    requirement_id: str
    progress: str
    percent: int | None = Field(default=None, ge=0, le=100)


class CaseRectificationCompleted(CaseActSentUp):
    """整改完成 (up, step 11): the target claims one requirement rectified, for the office to check (核查)."""

    DIRECTION: ClassVar[Direction] = Direction.UP
    name: Literal["CaseRectificationCompleted"] = "CaseRectificationCompleted"
    version: Literal[1] = 1
    requirement_id: str
    summary: str


class CaseReviewRequested(CaseActSentUp):
    """复核申请 (up, step 10): the target applies for review of its conclusion (Art. 17)."""

    DIRECTION: ClassVar[Direction] = Direction.UP
    name: Literal["CaseReviewRequested"] = "CaseReviewRequested"
    version: Literal[1] = 1
    grounds: str


class CaseSelfInspectionSubmitted(CaseActSentUp):
    """自查、说明 (up, step 7): the target's self-inspection and written explanation, item by item."""

    DIRECTION: ClassVar[Direction] = Direction.UP
    name: Literal["CaseSelfInspectionSubmitted"] = "CaseSelfInspectionSubmitted"
    version: Literal[1] = 1
    report: str
    items: dict[str, str] = Field(default_factory=dict)


class InstructionContract(Contract):
    """A message about a leader's instruction (领导批示) of `level` whose lead unit (主办) another node serves."""

    instruction_id: UUID
    level: str
    lead_unit: str


class InstructionAssigned(InstructionContract):
    """批示交办 (down): the instruction, assigned to its lead unit and supporting units, with its deadline."""

    DIRECTION: ClassVar[Direction] = Direction.DOWN
    name: Literal["InstructionAssigned"] = "InstructionAssigned"
    version: Literal[1] = 1
    text: str
    instructing_leader: str
    supporting_units: list[str] = Field(default_factory=list)
    urgency: str
    deadline: date
    note: str = ""


class InstructionAnswerReturned(InstructionContract):
    """退回 (down): the answer was sent back for another, with the reason; `act_id` names this return."""

    DIRECTION: ClassVar[Direction] = Direction.DOWN
    name: Literal["InstructionAnswerReturned"] = "InstructionAnswerReturned"
    version: Literal[1] = 1
    act_id: str
    reason: str


class InstructionClosed(InstructionContract):
    """办结 (down): the instruction's level closed the instruction."""

    DIRECTION: ClassVar[Direction] = Direction.DOWN
    name: Literal["InstructionClosed"] = "InstructionClosed"
    version: Literal[1] = 1
    summary: str = ""


class InstructionAnswered(InstructionContract):
    """反馈 (up): the lead unit's one consolidated answer, sent from its node; `act_id` names the answer once."""

    DIRECTION: ClassVar[Direction] = Direction.UP
    name: Literal["InstructionAnswered"] = "InstructionAnswered"
    version: Literal[1] = 1
    act_id: str
    text: str
    evidence: list[Evidence] = Field(default_factory=list)


class ActRefused(Contract):
    """退件 (down): the node of a case or an instruction refused an act its sender sent up (a target's self-inspection,
    rectification report or review application, a lead unit's answer) by a rule of the domain, judged there. It
    names the refused message and act, the contract, the case (`case_id`, with its `target`) or the instruction
    (`instruction_id`, with its lead unit as `target`), and the reason: the domain error's stable `reason` slug and
    a short `text` that says nothing more than the slug (no other target's case, no detail of the case's node)."""

    DIRECTION: ClassVar[Direction] = Direction.DOWN
    name: Literal["ActRefused"] = "ActRefused"
    version: Literal[1] = 1
    refused_message_id: str
    act_id: str
    contract: str
    level: str
    target: str
    case_id: UUID | None = None
    instruction_id: UUID | None = None
    reason: str
    text: str

    @model_validator(mode="after")
    def _names_one(self) -> ActRefused:
        if (self.case_id is None) == (self.instruction_id is None):
            raise ValueError("a refusal names a case or an instruction, not both")
        return self


CONTRACTS: dict[tuple[str, int], type[Contract]] = {
    ("TaskAssigned", 1): TaskAssigned,
    ("TaskAccepted", 1): TaskAccepted,
    ("TaskProgressReported", 1): TaskProgressReported,
    ("TaskCompletionClaimed", 1): TaskCompletionClaimed,
    ("CaseReported", 1): CaseReported,
    ("BurdenReported", 1): BurdenReported,
    ("CaseNotified", 1): CaseNotified,
    ("CaseVisited", 1): CaseVisited,
    ("CaseConcluded", 1): CaseConcludedV1,
    ("CaseConcluded", 2): CaseConcluded,
    ("CaseReviewDecided", 1): CaseReviewDecided,
    ("CaseRectificationReported", 1): CaseRectificationReported,
    ("CaseRectificationCompleted", 1): CaseRectificationCompleted,
    ("CaseReviewRequested", 1): CaseReviewRequested,
    ("CaseSelfInspectionSubmitted", 1): CaseSelfInspectionSubmitted,
    ("CaseRectificationVerified", 1): CaseRectificationVerified,
    ("CaseRectificationReturned", 1): CaseRectificationReturned,
    ("CaseRectificationOverdue", 1): CaseRectificationOverdue,
    ("CaseTargetUrged", 1): CaseTargetUrged,
    ("InstructionAssigned", 1): InstructionAssigned,
    ("InstructionAnswerReturned", 1): InstructionAnswerReturned,
    ("InstructionClosed", 1): InstructionClosed,
    ("InstructionAnswered", 1): InstructionAnswered,
    ("ActRefused", 1): ActRefused,
}
AnyContract = Annotated[
    TaskAssigned | TaskAccepted | TaskProgressReported | TaskCompletionClaimed | CaseReported | BurdenReported
    | CaseNotified | CaseVisited | CaseConcluded | CaseReviewDecided | CaseRectificationReported
    | CaseRectificationCompleted | CaseReviewRequested | CaseSelfInspectionSubmitted | CaseRectificationVerified
    | CaseRectificationReturned | CaseRectificationOverdue | CaseTargetUrged | InstructionAssigned
    | InstructionAnswerReturned | InstructionClosed | InstructionAnswered | ActRefused,
    Field(discriminator="name"),
]


class SignedMessage(BaseModel):
    """One message from one node to another: the contract, where it stands in the sender's sequence to this
    receiver (`seq`, and `previous`, the id of the sender's message before it), and the sender's Ed25519
    signature over everything else."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    message_id: str
    sender: str
    receiver: str
    seq: int = Field(ge=1)
    previous: str | None
    body: dict[str, Any]
    signature: str = ""  # unsigned messages are parsed, then dead-lettered

    @property
    def subject(self) -> str:
        return message_subject(self.sender, self.receiver, str(self.body.get("name", "Unknown")))

    def signed_bytes(self) -> bytes:
        """The canonical bytes the signature covers: sorted keys, no spaces, the signature left out."""
        data = self.model_dump(mode="json", exclude={"signature"})
        return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()

    def contract(self) -> Contract:
        """The body as its contract; raises KeyError for an unknown name or version, ValidationError for a bad body."""
        kind = CONTRACTS[(str(self.body.get("name")), int(self.body.get("version", 0)))]
        return kind.model_validate(self.body)


def message_id(sender: str, receiver: str, seq: int) -> str:
    """One id per sender, receiver and sequence number: what the receiver remembers to stay idempotent."""
    return f"{sender}>{receiver}:{seq}"


def message_subject(sender: str, receiver: str, name: str) -> str:
    """ARCHITECTURE.md: messages addressed to another level go on ducha.<from>.msg.<to>.<MessageName>."""
    return f"ducha.{sender}.msg.{receiver}.{name}"


def inbox_subjects(receiver: str) -> str:
    """Every message addressed to `receiver`, from any sender."""
    return f"ducha.*.msg.{receiver}.>"


def documented(kind: type[Contract]) -> type[SignedMessage]:
    """A SignedMessage whose body is `kind`: for the AsyncAPI document."""
    return type(f"Signed{kind.__name__}", (SignedMessage,), {"__annotations__": {"body": kind}, "__module__": __name__})
