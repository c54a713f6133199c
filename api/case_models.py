"""The request and answer bodies of the case routes (督查事项)."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from domain.case import CaseState, CaseType, Method, Topic


class Command(BaseModel):
    """A command body: unknown fields are refused, and every act may say when it happened."""

    model_config = ConfigDict(extra="forbid")

    on: date | None = Field(None, description="The date of the act (default: today); never in the future.")

    def fields(self) -> dict[str, Any]:
        """The keyword arguments of the domain method (all but `on`, which travels apart)."""
        return self.model_dump(exclude={"on"})


class ProposeCase(Command):
    """Step 1 (立项): propose a supervision case."""

    case_type: CaseType
    topic: Topic
    title: str = Field(min_length=1, max_length=200)
    targets: list[str] = Field(min_length=1, description="Codes of the supervised units (督查对象).")
    methods: list[Method] = Field(min_length=1, description="Art. 12 methods of supervision.")
    window_start: date
    window_end: date
    rationale: str = Field(min_length=1, max_length=4000)


class ApproveCase(Command):
    """Step 2 (同意): approve a proposed case."""

    remarks: str = Field("", max_length=4000)


class RejectCase(Command):
    """Step 2: reject a proposed case, with a reason."""

    reason: str = Field(min_length=1, max_length=4000)


class CommandAnswer(BaseModel):
    """What a command answers: the case's new state and version, and the position of its last event."""

    id: UUID
    state: CaseState
    version: int
    position: int


class RepeatWarning(BaseModel):
    """Another approved case that visits the same target on the same topic or in an overlapping
    window (Art. 15: no repeated supervision; the office may merge them, 能合尽合)."""

    id: UUID
    title: str
    why: str = Field(examples=["visits 220100 on the same topic (work-report) in an overlapping window"])


class DecisionAnswer(CommandAnswer):
    """The answer to a proposal or an approval: as any command's, with the repeated-supervision warnings."""

    warnings: list[RepeatWarning] = Field(default_factory=list)
