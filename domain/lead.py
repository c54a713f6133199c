"""Leads (线索, 互联网+督查): what the public, businesses and grassroots governments report.

A lead is submitted with a receipt code (回执码) its giver follows it by; the supervision
office sorts it (分办), hands it to the responsible unit, or opens a lead-verification case
(线索核查). Who gave a lead is protected (Art. 26): the informant's identity is kept in
the one field `informant`, which read models drop and only the office may read.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.actor import Actor, Role
from domain.case_base import check_act_date, check_grounds
from domain.errors import ActNotAllowed, InvalidCommand, WrongState
from domain.units import UnitRegistry

RECEIPT_CODE_MIN_LENGTH = 8  # long enough that receipt codes cannot be guessed by trying


class LeadState(StrEnum):
    """Where a lead stands."""

    SUBMITTED = "submitted"
    SORTED = "sorted"
    HANDED_OVER = "handed-over"  # 转交责任单位
    UNDER_VERIFICATION = "under-verification"  # a lead-verification case is open


class Lead(Aggregate):
    """One lead from its submission to where the office sends it."""

    class LeadSubmitted(Aggregate.Created):
        """A lead arrives, by the platform, letter, phone or media; `informant` is protected (Art. 26)."""

        actor: dict[str, str]
        on: date
        level: str
        receipt_code: str
        channel: str
        content: str
        about_unit: str | None
        informant: dict[str, str] | None

        def apply(self, lead: Lead) -> None:
            lead.state = LeadState.SUBMITTED
            lead.level, lead.receipt_code, lead.submitted_on = self.level, self.receipt_code, self.on
            lead.informant = self.informant
            lead.category = None
            lead.last_on = self.on

    class LeadSorted(Aggregate.Event):
        """The office sorts the lead into a category (分类)."""

        actor: dict[str, str]
        on: date
        category: str

        def apply(self, lead: Lead) -> None:
            lead.state, lead.category, lead.last_on = LeadState.SORTED, self.category, self.on

    class LeadHandedOver(Aggregate.Event):
        """The office hands the lead to the unit responsible for it (转办)."""

        actor: dict[str, str]
        on: date
        unit: str
        instructions: str

        def apply(self, lead: Lead) -> None:
            lead.state, lead.last_on = LeadState.HANDED_OVER, self.on

    class LeadVerificationOpened(Aggregate.Event):
        """The office opens a lead-verification case (线索核查) on the lead."""

        actor: dict[str, str]
        on: date
        case_id: str
        grounds: str

        def apply(self, lead: Lead) -> None:
            lead.state, lead.last_on = LeadState.UNDER_VERIFICATION, self.on

    # ---- commands ---------------------------------------------------------------------

    @classmethod
    def submit(
        cls,
        *,
        lead_id: UUID,
        actor: Actor,
        on: date,
        now: datetime,
        level: str,
        receipt_code: str,
        channel: str,
        content: str,
        about_unit: str | None = None,
        informant: dict[str, str] | None = None,
    ) -> Lead:
        """Anyone submits a lead to the node of `level`; `receipt_code` is made by the caller, unguessable."""
        check_act_date(on, now)
        if len(receipt_code) < RECEIPT_CODE_MIN_LENGTH:
            raise InvalidCommand(f"a receipt code has at least {RECEIPT_CODE_MIN_LENGTH} characters")
        if not content.strip():
            raise InvalidCommand("a lead says what it is about")
        return cls._create(
            cls.LeadSubmitted, id=lead_id, timestamp=now, actor=actor.as_dict(), on=on, level=level,
            receipt_code=receipt_code, channel=channel, content=content, about_unit=about_unit,
            informant=dict(informant) if informant else None,
        )

    def sort(self, *, actor: Actor, on: date, now: datetime, registry: UnitRegistry, category: str) -> None:
        """The office sorts a submitted lead."""
        self.check_office(actor, registry)
        self.check_open()
        check_act_date(on, now, not_before=self.last_on)
        self._record(self.LeadSorted, actor, on, now, category=category)

    def hand_over(
        self, *, actor: Actor, on: date, now: datetime, registry: UnitRegistry, unit: str, instructions: str = ""
    ) -> None:
        """The office hands the lead to a unit within its jurisdiction."""
        self.check_office(actor, registry)
        self.check_open()
        if not registry.is_within(unit, self.level):
            raise ActNotAllowed(f"unit {unit!r} is not under the jurisdiction of {self.level!r}")
        check_act_date(on, now, not_before=self.last_on)
        self._record(self.LeadHandedOver, actor, on, now, unit=unit, instructions=instructions)

    def open_verification(
        self, *, actor: Actor, on: date, now: datetime, registry: UnitRegistry, case_id: UUID, grounds: str
    ) -> None:
        """The office opens a lead-verification case (its proposal is `Case.propose` with that id)."""
        self.check_office(actor, registry)
        self.check_open()
        check_grounds(grounds, "opening a lead-verification case")
        check_act_date(on, now, not_before=self.last_on)
        self._record(self.LeadVerificationOpened, actor, on, now, case_id=str(case_id), grounds=grounds)

    # ---- rules ------------------------------------------------------------------------

    def check_office(self, actor: Actor, registry: UnitRegistry) -> None:
        """Raised unless the lead's own level's supervision office (`agency`) acts."""
        if actor.role is not Role.AGENCY or registry.government_of(actor.unit) != self.level:
            raise ActNotAllowed("only the supervision office of the lead's level handles a lead")

    def check_open(self) -> None:
        """Raised when the lead has already been handed over or put under verification."""
        if self.state in (LeadState.HANDED_OVER, LeadState.UNDER_VERIFICATION):
            raise WrongState(f"the lead is already {self.state.value}")

    def informant_for(self, actor: Actor, registry: UnitRegistry) -> dict[str, str] | None:
        """Who gave the lead, for the office alone (Art. 26)."""
        self.check_office(actor, registry)
        return self.informant

    def _record(self, event_class: type, actor: Actor, on: date, now: datetime, **payload: Any) -> None:
        self.trigger_event(event_class, timestamp=now, actor=actor.as_dict(), on=on, **payload)
