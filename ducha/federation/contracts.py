"""Integration messages between levels: named, versioned contracts, separate from internal events.

A node's events are its own; another level sees only these messages. Each contract names its
direction: `down` (a superior to a subordinate: an assignment, 交办) or `up` (a subordinate to
its superior: acceptance 承办, progress 进展, completion 办结申请, a case's report and results 督查事项报告,
burden counts 基层负担). A contract is never changed in
place: a new shape is a new `version`.

They live here, not in `domain/`, because they are the wire format of the levels' crossing, not
rules of the domain.
"""

from __future__ import annotations

import json
from datetime import date
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field


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


CONTRACTS: dict[tuple[str, int], type[Contract]] = {
    ("TaskAssigned", 1): TaskAssigned,
    ("TaskAccepted", 1): TaskAccepted,
    ("TaskProgressReported", 1): TaskProgressReported,
    ("TaskCompletionClaimed", 1): TaskCompletionClaimed,
    ("CaseReported", 1): CaseReported,
    ("BurdenReported", 1): BurdenReported,
}
AnyContract = Annotated[
    TaskAssigned | TaskAccepted | TaskProgressReported | TaskCompletionClaimed | CaseReported | BurdenReported,
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
