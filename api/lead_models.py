"""The request and answer bodies of the lead routes (线索, 互联网+督查)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from api.case_models import Command
from domain.case import Method
from domain.lead import LeadState

Text = Annotated[str, Field(min_length=1, max_length=4000)]
Name = Annotated[str, Field(min_length=1, max_length=200)]


class Channel(StrEnum):
    """How a lead arrived (Art. 12: by letter, phone or media; 互联网+督查: the platform)."""

    PLATFORM = "platform"
    LETTER = "letter"
    PHONE = "phone"
    MEDIA = "media"


class Informant(BaseModel):
    """Who gives the lead, if they wish to say: kept for the supervision office alone (Art. 26)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field("", max_length=200)
    contact: str = Field("", max_length=200, description="A phone number, an e-mail or an address.")


class SubmitLead(BaseModel):
    """A lead from the public, a business or a grassroots government; no token needed."""

    model_config = ConfigDict(extra="forbid")

    channel: Channel = Channel.PLATFORM
    content: Text
    about_unit: str | None = Field(None, max_length=200, description="The unit the lead is about, if known.")
    informant: Informant | None = None


class LeadReceipt(BaseModel):
    """The answer to a submission: the receipt code (回执码) to follow the lead by. Keep it: it is shown once."""

    id: UUID
    receipt_code: str
    state: LeadState
    position: int


class LeadStatus(BaseModel):
    """What the holder of a receipt code may know of its lead: where it stands, nothing more."""

    state: LeadState
    submitted_on: date
    updated_on: date


class SortLead(Command):
    """The office sorts a lead into a category (分类)."""

    category: Name


class HandOverLead(Command):
    """The office hands the lead to the unit responsible for it (转办)."""

    unit: Name
    instructions: str = Field("", max_length=4000)


class OpenVerification(Command):
    """The office opens a lead-verification case (线索核查) on the lead: the case is proposed with it."""

    grounds: Text
    title: Name
    targets: list[str] = Field(min_length=1, description="Codes of the units to verify (督查对象).")
    methods: list[Method] = Field(min_length=1)
    window_start: date
    window_end: date


class LeadAnswer(BaseModel):
    """What an office command on a lead answers: its new state and version, and its last event's position."""

    id: UUID
    state: LeadState
    version: int
    position: int


class VerificationAnswer(LeadAnswer):
    """The answer to opening a verification: the lead's, and the id of the case proposed."""

    case_id: UUID
