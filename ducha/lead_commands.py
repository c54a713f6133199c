"""The application layer for leads (线索, 互联网+督查): submit, sort (分类), hand over (转办), and open a
lead-verification case (线索核查).

A lead's id is derived from its receipt code (回执码), so whoever holds the code can find the
lead, and no one can get from a lead's id back to its code. Opening a verification proposes
the lead-verification case and records it on the lead in one transaction.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any
from uuid import UUID, uuid4, uuid5

from domain.actor import Actor
from domain.case import Case, CaseType, Method, Topic
from domain.lead import Lead
from domain.units import UnitRegistry
from ducha.clock import Clock
from ducha.commands import check_is, counted
from ducha.writer import Outcome, Writer

# The namespace of lead ids (uuid5 of the receipt code); fixed forever, or codes stop finding their leads.
LEAD_NAMESPACE = UUID("6f1c2a0e-3b7d-5c4e-9a11-0d2c8e4b7f55")
RECEIPT_BYTES = 8  # 64 random bits, written as 16 hex digits: not guessable by trying

# The office's commands on a lead: name on the wire → the domain method.
LEAD_COMMANDS = {"sort": "sort", "hand-over": "hand_over"}


def lead_id_of(receipt_code: str) -> UUID:
    """The id of the lead a receipt code was given for."""
    return uuid5(LEAD_NAMESPACE, receipt_code.strip().upper())


def new_receipt_code() -> str:
    return secrets.token_hex(RECEIPT_BYTES).upper()


class LeadCommands:
    """Commands on leads (线索)."""

    def __init__(self, writer: Writer, registry: UnitRegistry, clock: Clock, level: str) -> None:
        self.writer = writer
        self.registry = registry
        self.clock = clock
        self.level = level  # the node's own level: every lead submitted here is this level's

    async def submit(
        self, actor: Actor, *, channel: str, content: str, about_unit: str | None = None,
        informant: dict[str, str] | None = None, on: date | None = None,
    ) -> tuple[Outcome, str]:
        """A lead arrives; answers the outcome and the receipt code its giver follows it by."""
        code = new_receipt_code()

        def act(_: None) -> Lead:
            now = self.clock.now()
            return Lead.submit(
                lead_id=lead_id_of(code), actor=actor, on=on or now.date(), now=now, level=self.level,
                receipt_code=code, channel=channel, content=content, about_unit=about_unit, informant=informant,
            )

        return await self._run("submit-lead", None, act), code

    async def run(
        self, command: str, actor: Actor, lead_id: UUID, *, on: date | None = None,
        expected_version: int | None = None, **fields: Any,
    ) -> Outcome:
        """Runs one of LEAD_COMMANDS on a lead; `on` defaults to today."""
        method_name = LEAD_COMMANDS[command]

        def act(lead: Lead) -> Lead:
            check_is(lead, Lead, lead_id)
            now = self.clock.now()
            getattr(lead, method_name)(actor=actor, on=on or now.date(), now=now, registry=self.registry, **fields)
            return lead

        return await self._run(f"lead-{command}", lead_id, act, expected_version)

    async def open_verification(
        self, actor: Actor, lead_id: UUID, *, grounds: str, title: str, targets: Sequence[str],
        methods: Sequence[Method], window_start: date, window_end: date, on: date | None = None,
        expected_version: int | None = None,
    ) -> tuple[Outcome, UUID]:
        """Proposes a lead-verification case (线索核查) on the lead, and records it on the lead, atomically."""
        case_id = uuid4()

        def act(lead: Lead) -> Sequence[Lead | Case]:
            check_is(lead, Lead, lead_id)
            now = self.clock.now()
            day = on or now.date()
            case = Case.propose(
                case_id=case_id, actor=actor, on=day, now=now, registry=self.registry,
                case_type=CaseType.LEAD_VERIFICATION, topic=Topic.PUBLIC_LEAD, title=title, targets=targets,
                methods=methods, window_start=window_start, window_end=window_end, rationale=grounds,
            )
            # The case first: if its proposal is refused, the lead is left untouched.
            lead.open_verification(
                actor=actor, on=day, now=now, registry=self.registry, case_id=case_id, grounds=grounds
            )
            return [lead, case]

        return await self._run("lead-open-verification", lead_id, act, expected_version), case_id

    async def _run(
        self, command: str, lead_id: UUID | None, act: Callable[..., Any], expected: int | None = None
    ) -> Outcome:
        return await counted(command, self.writer.execute(lead_id, act, expected))
