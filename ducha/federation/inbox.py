"""The inbox (收件): messages from other levels, verified, ordered, de-duplicated, then run as local commands.

Every message addressed to this node lands on the node's inbox stream (`DUCHA_IN_<node>`, in the
node's own JetStream domain). One durable consumer reads it. For each message, in this order:

1. parse and signature against the trust store, receiver, and the authorization policy's row for the
   contract (`api/authorization.py`, `BUS_POLICY`: the sender's relation to this node and the actor's role;
   no row, refused): any failure is a dead letter with its reason, and changes nothing;
2. order: `seq` at or below the last applied from that sender is a replay (acked, nothing done);
   above the next one is a gap: the message waits (nak with delay) for the one before it;
3. the contract runs as a local command; a domain refusal is a dead letter; then the sender's sequence
   advances in the views DB. A domain refusal of a target's act or a lead unit's answer is also recorded in the
   store (`Applier.refuse`), and the outbox sends it back to the sender as `ActRefused` (退件), so the unit's record
   shows the act refused. A message that fails step 1 (malformed, unsigned, forged, misaddressed, the wrong way,
   no policy row) is never answered: a node cannot be probed through its refusals.

Exactly once (`applied.py`): the command's events and the message's `AppliedMessage` are saved in one
event-store transaction. A crash after the command and before the sequence mark leaves the message
unacknowledged and the sequence behind; re-delivered, the message is found applied in the store, so
the command is not run again and only the sequence advances: one effect, no gap. A refusal is recorded the same
way (its `RemoteActRefused` beside the message's mark), so a refused message re-delivered after a crash is
dead-lettered from that record, and answered once.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import structlog
from faststream import Context
from faststream.middlewares import AckPolicy
from faststream.nats import ConsumerConfig, JStream, NatsRouter, PullSub
from nats.js.api import StorageType
from pydantic import ValidationError

from domain.errors import DomainError
from domain.units import UnitRegistry
from ducha.federation import state
from ducha.federation.applied import APPLYING, Applying, marking, was_applied
from ducha.federation.apply import Applier, answerable
from ducha.federation.contracts import CONTRACTS, SignedMessage, documented, inbox_subjects
from ducha.federation.trust import Rejected, TrustStore, check_policy
from ducha.nats_auth import reply_inbox
from ducha.writer import Writer
from projections.store import ViewStore

log = structlog.get_logger(__name__)

GAP_DELAY_SECONDS = 1.0  # a gap waits this long before the message is offered again
MAX_DELIVER = 1000  # a gap may wait out a long outage of the sender's link (≈ 17 minutes at 1 s)
BACKOFF_SECONDS = [0.5, 1.0, 2.0, 5.0]  # redelivery of a message whose handling failed (the node is busy or down)
DURABLE = "federation-inbox"


def inbox_stream(node: str) -> JStream:
    """Every message addressed to the node, kept on file in its own domain until applied."""
    return JStream(f"DUCHA_IN_{node}", subjects=[inbox_subjects(node)], storage=StorageType.FILE, duplicate_window=120.0)


class Verdict(StrEnum):
    """What became of one message."""

    APPLIED = "applied"
    REPLAY = "replay"  # seen before: acked, nothing done
    WAIT = "wait"  # a gap before it: offered again later
    DEAD = "dead"  # dead-lettered with a reason


@dataclass
class Inbox:
    """Judges and applies messages addressed to `node`. The applier's command families are given writers
    that record the message being applied (`applied.marking`)."""

    node: str
    registry: UnitRegistry
    trust: TrustStore
    views: ViewStore
    applier: Applier

    def __post_init__(self) -> None:
        writers: list[Writer] = []
        for name, commands in vars(self.applier).items():
            if isinstance(getattr(commands, "writer", None), Writer):
                writers.append(commands.writer)
                setattr(self.applier, name, marking(commands))
        self.writer: Writer | None = writers[0] if writers else None  # None: an inbox only documented, never run

    async def handle(self, data: bytes, subject: str) -> Verdict:
        try:
            message = self.check(data, subject)
        except Rejected as rejected:
            return self._dead(data, subject, rejected.reason, claimed(data))
        with self.views.transaction() as tx:
            last_seq, last_id = state.last_applied(tx, message.sender)
        if message.seq <= last_seq:
            return Verdict.REPLAY
        if message.seq > last_seq + 1:
            log.info("gap: waiting for an earlier message", sender=message.sender, seq=message.seq, last=last_seq)
            return Verdict.WAIT
        if message.previous != last_id:
            return self._dead(data, subject, f"previous {message.previous} is not {last_id}", message)
        contract = message.contract()
        assert self.writer is not None, "the applier runs its commands through the node's writer"
        if await asyncio.to_thread(was_applied, self.writer, message.message_id):
            log.info("applied before a crash: the sequence catches up", id=message.message_id)
            refusal = await asyncio.to_thread(self.applier.refusal_of, contract, message.sender)
            if refusal is not None and refusal.message_id == message.message_id:  # refused before the crash
                return self._dead(data, subject, f"refused: {refusal.detail}", message, advance=True)
        else:
            token = APPLYING.set(Applying(message, contract))
            try:
                await self.applier.apply(contract, message.sender)
            except DomainError as refused:
                if answerable(contract):
                    await self.applier.refuse(contract, message.sender, message.message_id, refused)
                return self._dead(data, subject, f"refused: {refused}", message, advance=True)
            finally:
                APPLYING.reset(token)
        with self.views.transaction() as tx:
            state.mark_applied(tx, message.sender, message.seq, message.message_id)
        log.info("message applied", id=message.message_id, name=message.body.get("name"))
        return Verdict.APPLIED

    def check(self, data: bytes, subject: str) -> SignedMessage:
        """The message, if it is well formed, signed by a trusted sender, addressed here and sent the right way."""
        try:
            message = SignedMessage.model_validate_json(data)
        except ValidationError as error:
            raise Rejected(f"malformed: {error.error_count()} errors") from None
        self.trust.check_signed(message)
        if message.receiver != self.node or subject != message.subject:
            raise Rejected(f"addressed to {message.receiver} on {subject}, not to {self.node}")
        try:
            contract = message.contract()
        except KeyError:
            raise Rejected(f"unknown contract {message.body.get('name')} v{message.body.get('version')}") from None
        except ValidationError as error:
            raise Rejected(f"malformed body: {error.error_count()} errors") from None
        check_policy(self.registry, message, contract)
        return message

    def _dead(self, data: bytes, subject: str, reason: str, message: SignedMessage | None, *, advance: bool = False) -> Verdict:
        log.warning("message dead-lettered", subject=subject, reason=reason)
        with self.views.transaction() as tx:
            state.dead_letter(
                tx, message_id=message.message_id if message else None, sender=message.sender if message else None,
                subject=subject, reason=reason, data=data.decode(errors="replace"),
            )
            if advance and message is not None:  # refused in order: the sender's next message may follow it
                state.mark_applied(tx, message.sender, message.seq, message.message_id)
        return Verdict.DEAD


def claimed(data: bytes) -> SignedMessage | None:
    """A refused message as it says it is (its id and sender, for the dead letter), if it parses at all."""
    try:
        return SignedMessage.model_validate_json(data)
    except ValidationError:
        return None


async def raw_body(message: Any) -> bytes:
    """The message's bytes, undecoded: the inbox parses them itself, so a malformed one is dead-lettered
    with its reason rather than refused by the framework and redelivered."""
    return message.body


def inbox_router(inbox: Inbox) -> NatsRouter:
    """The FastStream subscriber: one durable pull consumer on the inbox stream, acks explicit, redelivery bounded
    and backed off; and, for the AsyncAPI document, the contracts this node may send."""
    router = NatsRouter()

    @router.subscriber(
        inbox_subjects(inbox.node), stream=inbox_stream(inbox.node), durable=DURABLE,
        pull_sub=PullSub(batch_size=1, timeout=1.0), ack_policy=AckPolicy.MANUAL,
        config=ConsumerConfig(max_deliver=MAX_DELIVER, backoff=BACKOFF_SECONDS, ack_wait=30.0),
        decoder=raw_body, title=f"ducha.*.msg.{inbox.node}", inbox_prefix=f"{reply_inbox(inbox.node)}.".encode(),
        description="Integration messages (SignedMessage) from other levels to this node.",
    )
    async def on_message(body: bytes, message=Context("message")) -> None:
        raw = message.raw_message
        verdict = await inbox.handle(raw.data, raw.subject)
        if verdict is Verdict.WAIT:
            await message.nack(delay=GAP_DELAY_SECONDS)
        else:
            await message.ack()

    for kind in CONTRACTS.values():
        router.publisher(
            f"ducha.{inbox.node}.msg.{{receiver}}.{kind.model_fields['name'].default}", schema=documented(kind),
            title=f"{kind.model_fields['name'].default} v{kind.model_fields['version'].default}",
            description=kind.__doc__,
        )
    return router
