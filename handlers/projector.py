"""The projector (投影器): feeds one projection from one node's stream through a durable consumer.

Built on nats-py's pull subscription rather than a FastStream subscriber: the node hands us
its JetStream context (not a broker), FastStream's batch subscriber waits for a full batch
or its timeout (latency for read-your-writes), and its in-memory broker has no delivery
count. The heart, `project_batch` (decode + apply one fetched batch), takes plain
`Delivery` values, so it runs as well under a FastStream handler on TestNatsBroker.

Per fetched batch: decode, apply with the tracking in ONE transaction, commit, and only
then ack (a crash in between causes a redelivery that the tracking absorbs). A poison
message is retried with a growing delay (nak), in order: it and what followed it are sent
back; at the delivery bound it is dead-lettered in the transaction that moves the tracking
past it, acked, counted, and the projector goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog
from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeout
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError
from pydantic import ValidationError

from domain.envelope import Envelope, stream_name
from handlers.relay import RelayError, position_of
from ducha.metrics import DEAD_LETTERS, PROJECTION_APPLIED, PROJECTION_LAG, PROJECTION_POSITION
from projections.base import Poisoned, Tracking, apply_one, dead_letter_envelope, describe, record_dead_letter
from projections.store import Projection, ViewStore

log = structlog.get_logger(__name__)

MAX_DELIVER = 5  # deliveries of a poison message before it is dead-lettered
RETRY_DELAYS = (1.0, 2.0, 5.0, 10.0)  # nak delay after the 1st, 2nd, ... failed delivery
# The server's own bound is looser: messages sent back behind a poison one also count deliveries.
SERVER_MAX_DELIVER_FACTOR = 4
# Redelivery of a batch never acked (a crashed projector). No server-side `backoff` list: the
# server then times a nak's delay against the back-off step instead (a 2nd nak waited ~30 s).
ACK_WAIT = 30.0
FETCH_TIMEOUT = 5.0


@dataclass(frozen=True)
class Delivery:
    """One delivered message: its bytes and how many times the server has delivered it."""

    data: bytes
    subject: str = ""
    delivered: int = 1
    sequence: int = 0  # its stream sequence (0 when not from JetStream)
    msg_id: str | None = None

    @classmethod
    def of(cls, msg: Msg) -> Delivery:
        """A JetStream message's delivery; a message from outside JetStream counts as a first delivery."""
        headers = msg.headers or {}
        if not msg.reply or not msg.reply.startswith("$JS.ACK"):
            return cls(msg.data, msg.subject, msg_id=headers.get("Nats-Msg-Id"))
        meta = msg.metadata
        return cls(msg.data, msg.subject, meta.num_delivered, meta.sequence.stream, headers.get("Nats-Msg-Id"))


@dataclass
class BatchOutcome:
    """What `project_batch` committed: the first `settled` deliveries are to be acked, the rest nak'd."""

    settled: int = 0
    retry_delay: float = 0.0
    applied: int = 0
    dead: int = 0
    positions: dict[str, int] = field(default_factory=dict)
    error: str | None = None


def retry_delay(delivered: int, delays: Sequence[float] = RETRY_DELAYS) -> float:
    """The back-off before the next delivery: grows with the delivery count, then stays at the last step."""
    return delays[min(max(delivered, 1), len(delays)) - 1]


def project_batch(
    views: ViewStore, projection: Projection, deliveries: Sequence[Delivery], *,
    max_deliver: int = MAX_DELIVER, delays: Sequence[float] = RETRY_DELAYS,
) -> BatchOutcome:
    """Decodes and applies one fetched batch with its tracking in ONE transaction (the projector's heart).

    The batch is first applied without savepoints (they cost two statements per envelope);
    if any envelope fails, that transaction is rolled back and the batch applied again with
    a savepoint per envelope, so the failure undoes only its own envelope.
    """
    try:
        return _project(views, projection, deliveries, max_deliver, delays, guarded=False)
    except Poisoned:
        return _project(views, projection, deliveries, max_deliver, delays, guarded=True)


def _project(
    views: ViewStore, projection: Projection, deliveries: Sequence[Delivery],
    max_deliver: int, delays: Sequence[float], *, guarded: bool,
) -> BatchOutcome:
    outcome = BatchOutcome()
    with views.transaction() as tx:
        tracking = Tracking(tx, projection.name)
        for delivery in deliveries:
            envelope = _decode(tx, projection.name, delivery)
            if envelope is not None and not tracking.seen(envelope):
                error = apply_one(tx, projection, envelope, guarded=guarded)
                if error is not None and delivery.delivered < max_deliver:
                    outcome.retry_delay, outcome.error = retry_delay(delivery.delivered, delays), describe(error)
                    break  # commit what came before; send this one and the rest back, in order
                if error is not None:
                    dead_letter_envelope(tx, projection.name, envelope, error)
                    outcome.dead += 1
                else:
                    outcome.applied += 1
                tracking.advance(envelope)
            elif envelope is None:
                outcome.dead += 1
            outcome.settled += 1
        tracking.save()
        outcome.positions = dict(tracking.positions)
    return outcome


def _decode(tx: Any, projection: str, delivery: Delivery) -> Envelope | None:
    """The delivery's envelope; one that does not decode is dead-lettered at once (no retry can mend it)."""
    try:
        return Envelope.model_validate_json(delivery.data)
    except ValidationError as error:
        node, _, position = (delivery.msg_id or "").rpartition(":")
        record_dead_letter(
            tx, projection, delivery.data.decode("utf-8", "replace"), describe(error),
            node=node or None, position=int(position) if position.isdigit() else None, subject=delivery.subject,
        )
        return None


async def first_sequence_after(js: JetStreamContext, node: str, position: int) -> int:
    """The stream sequence of the first message past `position` (the last sequence + 1 when none).

    The relay keeps the stream in position order, so a binary search over a few direct
    gets finds it, however long the history. A message without a position (not put there
    by the relay) makes the search unsound: then everything is delivered again and the
    tracking skips what was applied.
    """
    info = await js.stream_info(stream_name(node))
    low, high = info.state.first_seq, info.state.last_seq + 1
    if not info.state.messages:
        return high
    while low < high:
        middle = (low + high) // 2
        message = await js.get_msg(stream_name(node), seq=middle)
        try:
            found = position_of(message.headers or {})
        except RelayError:
            return info.state.first_seq
        if found > position:
            high = middle
        else:
            low = middle + 1
    return low


def consumer_config(name: str, node: str, batch: int, max_deliver: int, start: int = 1) -> ConsumerConfig:
    """The projection's durable pull consumer: explicit acks, bounded redelivery with back-off.

    It starts at stream sequence `start`: the first message the view has not applied.
    """
    return ConsumerConfig(
        durable_name=name,
        deliver_policy=DeliverPolicy.BY_START_SEQUENCE,
        opt_start_seq=max(start, 1),
        ack_policy=AckPolicy.EXPLICIT,
        ack_wait=ACK_WAIT,
        max_deliver=max_deliver * SERVER_MAX_DELIVER_FACTOR,
        max_ack_pending=batch,
        filter_subject=f"ducha.{node}.evt.>",
    )


class Projector:
    """Keeps one projection up to date with one node's stream; answers read-your-writes waits."""

    def __init__(
        self, js: JetStreamContext, views: ViewStore, projection: Projection, node: str, *,
        store_position: Callable[[], int] | None = None, batch: int = 500,
        max_deliver: int = MAX_DELIVER, delays: Sequence[float] = RETRY_DELAYS,
    ) -> None:
        self.js = js
        self.views = views
        self.projection = projection
        self.node = node
        self.store_position = store_position
        self.batch = batch
        self.max_deliver = max_deliver
        self.delays = tuple(delays)
        self.position = views.tracked_position(projection.name, node)
        self._applied = asyncio.Condition()
        self.started = asyncio.Event()  # set once its consumer is in place
        # Stream sequence of a message sent back for retry: nothing after it is applied before it.
        self._hold: int | None = None
        self._hold_delay = 0.0

    @property
    def lag(self) -> int:
        return max((self.store_position() if self.store_position else self.position) - self.position, 0)

    async def wait_for(self, position: int, timeout: float) -> bool:
        """True as soon as the projection has applied `position`; False when `timeout` runs out first."""
        async with self._applied:
            try:
                await asyncio.wait_for(self._applied.wait_for(lambda: self.position >= position), timeout)
            except TimeoutError:
                return False
        return True

    async def run(self) -> None:
        """Fetches and projects batches until cancelled."""
        name = self.projection.name
        start = await first_sequence_after(self.js, self.node, self.position)
        # The view's own tracking is the truth, the consumer only a cursor: it is made anew at
        # every start from that tracking. A consumer kept from before a crash would first
        # redeliver, after ack_wait, the batch that was in flight, behind newer messages that
        # the tracking would then have moved past.
        with contextlib.suppress(NotFoundError):
            await self.js.delete_consumer(stream_name(self.node), name)
        config = consumer_config(name, self.node, self.batch, self.max_deliver, start)
        sub = await self.js.pull_subscribe(
            config.filter_subject, durable=name, stream=stream_name(self.node), config=config
        )
        self.started.set()
        log.info("projector started", projection=name, node=self.node, position=self.position)
        try:
            while True:
                try:
                    messages = await sub.fetch(self.batch, timeout=FETCH_TIMEOUT)
                except NatsTimeout:
                    continue
                await self.handle(messages)
        finally:
            with contextlib.suppress(Exception):
                await sub.unsubscribe()

    async def handle(self, messages: Sequence[Msg]) -> None:
        """Projects one fetched batch, then acks what was committed and sends the rest back."""
        deliveries = [Delivery.of(m) for m in messages]
        ready = self._in_order(deliveries)
        outcome = await asyncio.to_thread(
            project_batch, self.views, self.projection, deliveries[:ready],
            max_deliver=self.max_deliver, delays=self.delays,
        )
        for msg in messages[: outcome.settled]:
            await msg.ack()
        if outcome.settled < ready:
            self._hold, self._hold_delay = deliveries[outcome.settled].sequence, outcome.retry_delay
            log.warning("projection retries a message", projection=self.projection.name,
                        error=outcome.error, delivered=deliveries[outcome.settled].delivered)
        for msg in messages[outcome.settled:]:
            await msg.nak(delay=self._hold_delay)
        await self._applied_up_to(outcome)

    def _in_order(self, deliveries: Sequence[Delivery]) -> int:
        """How many deliveries may be applied now: none that overtook a message sent back for retry."""
        for index, delivery in enumerate(deliveries):
            if self._hold is None:
                return len(deliveries)
            if delivery.sequence == self._hold:
                self._hold = None
            elif delivery.sequence > self._hold:
                return index
        return len(deliveries)

    async def _applied_up_to(self, outcome: BatchOutcome) -> None:
        name = self.projection.name
        PROJECTION_APPLIED.labels(name).inc(outcome.applied)
        if outcome.dead:
            DEAD_LETTERS.labels(name).inc(outcome.dead)
            log.error("messages dead-lettered", projection=name, count=outcome.dead)
        position = outcome.positions.get(self.node, self.position)
        async with self._applied:
            self.position = max(self.position, position)
            self._applied.notify_all()
        PROJECTION_POSITION.labels(name).set(self.position)
        if self.store_position is not None:
            PROJECTION_LAG.labels(name).set(self.lag)
