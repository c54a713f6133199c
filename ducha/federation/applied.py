"""Exactly once (恰好一次): a message from another level is recorded as applied in the same event-store
transaction as the events its local command writes.

The inbox's per-sender sequence lives in the views DB, a different database from the event store, so
no transaction can hold both the command's events and that mark. Instead, while the inbox applies a
message, every writer act the command makes also returns an `AppliedMessage` (one aggregate per message
id): the writer saves it with the command's events, all or nothing. The sequence in the views DB is
advanced after; a crash between the two leaves the message's `AppliedMessage` in the store, and the
re-delivered message is recognised by it and only advances the sequence.

Every command family the applier holds (`tasks`, `cases`, …: any attribute with the node's `Writer`) is
given a `MarkingWriter` by the inbox, so a new contract's handler is covered by going through it. A
handler should make one writer act per message: only the first act that commits carries the mark.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from ducha.federation.contracts import Contract, SignedMessage
from ducha.writer import Act, Outcome, Writer


def applied_id(message_id: str) -> UUID:
    """The one record of a message's application on this node."""
    return uuid5(NAMESPACE_URL, f"urn:ducha:applied-message:{message_id}")


class AppliedMessage(Aggregate):
    """A message from another level whose local command was committed on this node."""

    class MessageApplied(Aggregate.Created):
        """The message's command committed, in this same transaction."""

        actor: dict[str, str]
        on: date
        message_id: str
        sender: str
        seq: int
        contract: str

        def apply(self, record: AppliedMessage) -> None:
            record.message_id, record.sender, record.seq = self.message_id, self.sender, self.seq

    @classmethod
    def record(cls, message: SignedMessage, contract: Contract, now: datetime) -> AppliedMessage:
        return cls._create(
            cls.MessageApplied, id=applied_id(message.message_id), timestamp=now,
            actor=contract.actor.model_dump(), on=contract.on, message_id=message.message_id, sender=message.sender,
            seq=message.seq, contract=contract.name,
        )


@dataclass
class Applying:
    """The message being applied, and whether a committed act has already recorded it."""

    message: SignedMessage
    contract: Contract
    recorded: bool = False


APPLYING: ContextVar[Applying | None] = ContextVar("ducha_federation_applying", default=None)


class MarkingWriter:
    """The node's writer, whose acts, while a message is applied (`APPLYING`), also record that message:
    the first act that commits carries the `AppliedMessage`, any later one for the same message does not."""

    def __init__(self, writer: Writer, now: Any) -> None:
        self._writer = writer
        self._now = now

    def __getattr__(self, name: str) -> Any:
        return getattr(self._writer, name)

    async def execute(
        self, aggregate_id: UUID | None, act: Act, expected_version: int | None = None, others: Sequence[UUID] = ()
    ) -> Outcome:
        applying = APPLYING.get()
        if applying is None or applying.recorded:
            return await self._writer.execute(aggregate_id, act, expected_version, others)

        def marked(*aggregates: Any) -> list[Aggregate]:
            result = act(*aggregates)
            changed = [result] if isinstance(result, Aggregate) else list(result)
            return [*changed, AppliedMessage.record(applying.message, applying.contract, self._now())]

        outcome = await self._writer.execute(aggregate_id, marked, expected_version, others)
        applying.recorded = True
        return outcome


def marking(commands: Any) -> Any:
    """A copy of a command family (`TaskCommands`, …) whose writer records the message being applied."""
    marked = copy.copy(commands)
    marked.writer = MarkingWriter(commands.writer, commands.clock.now)
    return marked


def was_applied(writer: Writer, message_id: str) -> bool:
    """Whether the store holds the message's `AppliedMessage`: its command committed here."""
    return len(writer.app.recorder.select_events(applied_id(message_id), limit=1)) > 0
