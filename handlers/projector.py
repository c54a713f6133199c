"""The projector (投影器): feeds a group of projections from one node's stream through ONE durable consumer.

Built on a pull consumer read through nats-py (`Puller`), not a FastStream subscriber: the
node hands us its JetStream context (not a broker), FastStream's batch subscriber waits for a
full batch or its timeout (latency for read-your-writes), and its in-memory broker has no
delivery count. The heart, `project_batch` (decode + apply one fetched batch), takes plain
`Delivery` values, so it runs as well under a FastStream handler on TestNatsBroker.

Per fetched batch: decode each message once, apply it to every projection of the group,
with every projection's tracking, in ONE transaction, commit, and only then ack (a crash in
between causes a redelivery that the tracking absorbs). On SQLite a batch is applied on the
event loop's thread (`ViewStore.call_writing`: no GIL convoy with a worker thread; a worker
thread only while another writer holds the views), in chunks of at most `CHUNK` messages,
one transaction each, so the loop serves requests between two chunks. One pull request
stays open on the consumer (`Puller`), so the next messages arrive while a batch is
applied (the consumer lets two batches be unacknowledged); batches are still applied one
after another, in stream order. Acks stay explicit, one per message (nats-py sends each
without waiting for an answer; the issue rules out `AckPolicy.ALL`, which would ack a batch
with its last message).
The tracking stays per projection (`projection_tracking`), so each view is rebuilt, digested
and replayed on its own.

A poison message is poison for one projection: it is retried with a growing delay (nak) for
that projection alone, which holds (applies nothing past it, in order) until the retry
comes, while the other projections apply it and go on; a message is acked once every
projection is done with it, and sent back otherwise (a projection that has it already skips
it by its tracking). At the delivery bound it is dead-lettered for that projection in the
transaction that moves its tracking past it, and that projection goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import json
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError
from pydantic import ValidationError

from domain.envelope import Envelope, stream_name
from handlers.relay import Backoff, RelayError, position_of
from ducha.metrics import DEAD_LETTERS, PROJECTION_APPLIED, PROJECTION_LAG, PROJECTION_POSITION
from projections.base import (
    Poisoned, Tracking, apply_one, dead_letter_envelope, describe, load_tracking, record_dead_letter,
)
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
# Messages per transaction when a batch is applied on the loop (SQLite): what bounds how long
# one chunk holds the loop (milliseconds for the case board or the other views' group).
CHUNK = 64


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
        delivered, sequence = _delivery_counts(msg)
        return cls(msg.data, msg.subject, delivered, sequence, headers.get("Nats-Msg-Id"))


def _delivery_counts(msg: Msg) -> tuple[int, int]:
    """(delivery count, stream sequence) from the message's ack subject, read where nats-py reads them.

    `msg.metadata` builds four objects and a datetime per message for these two numbers.
    `$JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>...` (9 tokens), or with a domain and
    an account hash after `ACK` (11 tokens or more); anything else goes to nats-py.
    """
    tokens = msg.reply.split(".")
    if len(tokens) == 9:
        return int(tokens[4]), int(tokens[5])
    if len(tokens) >= 11:
        return int(tokens[Msg.Ack.NumDelivered]), int(tokens[Msg.Ack.StreamSeq])
    meta = msg.metadata
    return meta.num_delivered, meta.sequence.stream


@dataclass
class BatchOutcome:
    """What `project_batch` committed: which deliveries to ack (the others are sent back), per projection."""

    settled: list[bool] = field(default_factory=list)  # per delivery: True to ack, False to send back
    retry_delay: float = 0.0
    applied: dict[str, int] = field(default_factory=dict)
    dead: dict[str, int] = field(default_factory=dict)
    tracked: dict[str, dict[str, int]] = field(default_factory=dict)  # per projection, per node, as committed
    holds: dict[str, int] = field(default_factory=dict)  # projection -> stream sequence it waits to retry
    errors: dict[str, str] = field(default_factory=dict)


def retry_delay(delivered: int, delays: Sequence[float] = RETRY_DELAYS) -> float:
    """The back-off before the next delivery: grows with the delivery count, then stays at the last step."""
    return delays[min(max(delivered, 1), len(delays)) - 1]


def project_batch(
    views: ViewStore, projections: Projection | Sequence[Projection], deliveries: Sequence[Delivery], *,
    tracked: Mapping[str, Mapping[str, int]] | None = None, holds: Mapping[str, int] | None = None,
    max_deliver: int = MAX_DELIVER, delays: Sequence[float] = RETRY_DELAYS,
) -> BatchOutcome:
    """Decodes and applies one fetched batch to every projection, with their tracking, in ONE transaction.

    `tracked` is the projections' tracking as last committed (read from the table when
    None); `holds` the stream sequence each held projection waits to retry. The batch is
    first applied without savepoints (they cost two statements per envelope); if any
    envelope fails, that transaction is rolled back and the batch applied again with a
    savepoint per projection per envelope, so a failure undoes only its own envelope in its
    own projection.
    """
    group = (projections,) if not isinstance(projections, Sequence) else tuple(projections)
    envelopes = [_decode(delivery) for delivery in deliveries]  # once per message, shared by the group
    try:
        return _project(views, group, deliveries, envelopes, tracked, holds or {}, max_deliver, delays, guarded=False)
    except Poisoned:
        return _project(views, group, deliveries, envelopes, tracked, holds or {}, max_deliver, delays, guarded=True)


def _project(
    views: ViewStore, projections: Sequence[Projection], deliveries: Sequence[Delivery],
    envelopes: Sequence[Envelope | ValidationError], tracked: Mapping[str, Mapping[str, int]] | None,
    holds: Mapping[str, int], max_deliver: int, delays: Sequence[float], *, guarded: bool,
) -> BatchOutcome:
    outcome = BatchOutcome(settled=[True] * len(deliveries), holds=dict(holds))
    with views.transaction() as tx:
        for projection in projections:
            tracking = Tracking(tx, projection.name, None if tracked is None else tracked.get(projection.name, {}))
            _feed(tx, projection, tracking, deliveries, envelopes, outcome, max_deliver, delays, guarded=guarded)
            tracking.save()
            outcome.tracked[projection.name] = tracking.positions
    return outcome


def _feed(
    tx: Any, projection: Projection, tracking: Tracking, deliveries: Sequence[Delivery],
    envelopes: Sequence[Envelope | ValidationError], outcome: BatchOutcome,
    max_deliver: int, delays: Sequence[float], *, guarded: bool,
) -> None:
    """Applies the batch to one projection; marks unsettled what it must see again (held or to retry)."""
    name = projection.name
    applied = dead = 0
    failed = False  # once a message is sent back for retry, nothing after it is applied in this batch
    for index, (delivery, envelope) in enumerate(zip(deliveries, envelopes, strict=True)):
        if failed or _held(outcome.holds, name, delivery):
            outcome.settled[index] = False
            continue
        if isinstance(envelope, ValidationError):
            _dead_letter_undecodable(tx, name, delivery, envelope)
            dead += 1
            continue
        if tracking.seen(envelope):
            continue
        error = apply_one(tx, projection, envelope, guarded=guarded)
        if error is not None and delivery.delivered < max_deliver:
            failed, outcome.settled[index] = True, False
            outcome.holds[name] = delivery.sequence
            outcome.retry_delay = max(outcome.retry_delay, retry_delay(delivery.delivered, delays))
            outcome.errors[name] = describe(error)
            continue
        if error is not None:
            dead_letter_envelope(tx, name, envelope, error)
            dead += 1
        else:
            applied += 1
        tracking.advance(envelope)
    outcome.applied[name], outcome.dead[name] = applied, dead


def _held(holds: dict[str, int], name: str, delivery: Delivery) -> bool:
    """True when the projection waits for an earlier message's retry: this one overtook it."""
    hold = holds.get(name)
    if hold is None:
        return False
    if delivery.sequence == hold:  # the retry itself: the hold ends here
        del holds[name]
        return False
    return delivery.sequence > hold


def _decode(delivery: Delivery) -> Envelope | ValidationError:
    """The delivery's envelope, or why it is none (then it is dead-lettered at once: no retry can mend it)."""
    try:
        return Envelope.model_validate_json(delivery.data)
    except ValidationError as error:
        return error


def _dead_letter_undecodable(tx: Any, projection: str, delivery: Delivery, error: ValidationError) -> None:
    node, _, position = (delivery.msg_id or "").rpartition(":")
    record_dead_letter(
        tx, projection, delivery.data.decode("utf-8", "replace"), describe(error),
        node=node or None, position=int(position) if position.isdigit() else None, subject=delivery.subject,
    )


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

    It starts at stream sequence `start`: the first message the view has not applied. Two
    batches may be unacknowledged: the one being applied and the next, fetched meanwhile.
    """
    return ConsumerConfig(
        durable_name=name,
        deliver_policy=DeliverPolicy.BY_START_SEQUENCE,
        opt_start_seq=max(start, 1),
        ack_policy=AckPolicy.EXPLICIT,
        ack_wait=ACK_WAIT,
        max_deliver=max_deliver * SERVER_MAX_DELIVER_FACTOR,
        max_ack_pending=2 * batch,
        filter_subject=f"ducha.{node}.evt.>",
    )


class Projector:
    """Keeps a group of projections up to date with one node's stream; answers read-your-writes waits.

    One durable consumer, one fetch and one transaction per batch for the whole group. Its
    `position` is the least any projection of the group has applied, so `wait_for` means
    "every projection of the group applied it"; `view(name)` answers for one projection.
    The tracking is read once at start and kept in memory: while it runs, the projector is
    the only writer of its projections' tracking rows.
    """

    def __init__(
        self, js: JetStreamContext, views: ViewStore, projections: Projection | Sequence[Projection], node: str, *,
        name: str | None = None, store_position: Callable[[], int] | None = None, batch: int = 500,
        max_deliver: int = MAX_DELIVER, delays: Sequence[float] = RETRY_DELAYS, fetch_timeout: float = FETCH_TIMEOUT,
    ) -> None:
        self.js = js
        self.views = views
        self.projections = (projections,) if not isinstance(projections, Sequence) else tuple(projections)
        self.name = name or (self.projections[0].name if len(self.projections) == 1 else "projections")
        self.node = node
        self.store_position = store_position
        self.batch = batch
        self.max_deliver = max_deliver
        self.delays = tuple(delays)
        self.fetch_timeout = fetch_timeout
        self.tracked = self._load_tracking()
        self._metrics = {  # labelled once: `labels()` costs more than the update itself
            p.name: (PROJECTION_APPLIED.labels(p.name), DEAD_LETTERS.labels(p.name), PROJECTION_POSITION.labels(p.name),
                     PROJECTION_LAG.labels(p.name))
            for p in self.projections
        }
        # Read-your-writes waits, per projection and (None) for the whole group.
        self._waits: dict[str | None, Waits] = {None: Waits(), **{p.name: Waits() for p in self.projections}}
        self.started = asyncio.Event()  # set once its consumer is in place
        # Per projection, the stream sequence of a message sent back for its retry: nothing
        # after it is applied to that projection before it.
        self._holds: dict[str, int] = {}
        self._hold_delay = 0.0
        self._puller: Puller | None = None

    @property
    def projection(self) -> Projection:
        """The projection of a group of one."""
        if len(self.projections) != 1:
            raise AttributeError(f"projector {self.name} feeds {len(self.projections)} projections")
        return self.projections[0]

    def position_of(self, name: str) -> int:
        """The last position of this node that the named projection has applied."""
        return self.tracked.get(name, {}).get(self.node, 0)

    @property
    def position(self) -> int:
        """The last position every projection of the group has applied."""
        return min(self.position_of(projection.name) for projection in self.projections)

    @property
    def lag(self) -> int:
        return max((self.store_position() if self.store_position else self.position) - self.position, 0)

    def view(self, name: str) -> ProjectionView:
        """One projection of the group, with its own position and waits."""
        if name not in {projection.name for projection in self.projections}:
            raise KeyError(name)
        return ProjectionView(self, name)

    async def wait_for(self, position: int, timeout: float, name: str | None = None) -> bool:
        """True as soon as every projection (or the named one) has applied `position`; False when `timeout` runs out."""
        if (self.position if name is None else self.position_of(name)) >= position:
            return True
        return await self._waits[name].wait(position, timeout)

    def _load_tracking(self) -> dict[str, dict[str, int]]:
        with self.views.transaction() as tx:
            return {projection.name: load_tracking(tx, projection.name) for projection in self.projections}

    async def run(self) -> None:
        """Fetches and projects batches until cancelled.

        A failure (the views' store full or gone, the bus unreachable) starts the projector
        over from its views' tracking, after a back-off: a failed batch was not committed, so
        it is fetched again; nothing is skipped and a task that ended would freeze the views.
        """
        backoff = Backoff()
        while True:
            try:
                await self._follow(backoff)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                delay = backoff.next()
                log.error("projector interrupted; starting over from its tracking", projector=self.name,
                          error=repr(error), position=self.position, retry_in=delay)
                await asyncio.sleep(delay)

    async def _follow(self, backoff: Backoff) -> None:
        self.tracked = await asyncio.to_thread(self._load_tracking)
        start = await first_sequence_after(self.js, self.node, self.position)
        # The views' own tracking is the truth, the consumer only a cursor: it is made anew at
        # every start from that tracking. A consumer kept from before a crash would first
        # redeliver, after ack_wait, the batch that was in flight, behind newer messages that
        # the tracking would then have moved past. Consumers of one projection each (before
        # projectors fed groups) are removed too: nothing reads them any more.
        for stale in {self.name, *(projection.name for projection in self.projections)}:
            with contextlib.suppress(NotFoundError):
                await self.js.delete_consumer(stream_name(self.node), stale)
        config = consumer_config(self.name, self.node, self.batch, self.max_deliver, start)
        await self.js.add_consumer(stream_name(self.node), config=config)
        puller = self._puller = Puller(self.js, stream_name(self.node), self.name, self.batch, self.fetch_timeout)
        await puller.start()
        self.started.set()
        log.info("projector started", projector=self.name, projections=len(self.projections),
                 node=self.node, position=self.position)
        try:
            while True:
                if messages := await puller.next_batch(self.fetch_timeout):
                    await self.handle(messages)
                    backoff.reset()
        finally:
            await puller.stop()

    def reconnected(self) -> None:
        """Tells the projector its NATS connection was made again (nats-py's `reconnected_cb`)."""
        if self._puller is not None:
            self._puller.reconnected()

    async def handle(self, messages: Sequence[Msg]) -> None:
        """Projects one fetched batch (in chunks on SQLite), acking after each commit what every projection
        is done with and sending the rest back."""
        step = max(len(messages), 1) if self.views.postgres else CHUNK
        for start in range(0, len(messages), step):
            if start:
                await asyncio.sleep(0)  # what waits on the loop runs between two chunks
            await self._handle_chunk(messages[start:start + step])

    async def _handle_chunk(self, messages: Sequence[Msg]) -> None:
        deliveries = [Delivery.of(m) for m in messages]
        outcome = await self.views.call_writing(
            project_batch, self.views, self.projections, deliveries, tracked=self.tracked, holds=self._holds,
            max_deliver=self.max_deliver, delays=self.delays,
        )
        self._holds = outcome.holds
        if outcome.errors:
            self._hold_delay = outcome.retry_delay
            log.warning("projection retries a message", projector=self.name, errors=outcome.errors)
        await self._applied_up_to(outcome)  # committed: waiters need not wait for the acks
        for msg, settled in zip(messages, outcome.settled, strict=True):
            if settled:
                await msg.ack()
        for msg, settled in zip(messages, outcome.settled, strict=True):
            if not settled:
                await msg.nak(delay=self._hold_delay)

    async def _applied_up_to(self, outcome: BatchOutcome) -> None:
        for name, count in outcome.applied.items():
            if count:
                self._metrics[name][0].inc(count)
        for name, count in outcome.dead.items():
            if count:
                self._metrics[name][1].inc(count)
                log.error("messages dead-lettered", projection=name, count=count)
        self.tracked = {**self.tracked, **outcome.tracked}
        for projection in self.projections:
            self._waits[projection.name].reached(self.position_of(projection.name))
        self._waits[None].reached(self.position)
        last = self.store_position() if self.store_position is not None else None
        for projection in self.projections:
            position = self.position_of(projection.name)
            _, _, position_gauge, lag_gauge = self._metrics[projection.name]
            position_gauge.set(position)
            if last is not None:
                lag_gauge.set(max(last - position, 0))


class Puller:
    """Keeps one pull request open on a consumer and hands over what it delivers, as it comes.

    nats-py's `fetch` suits a backlog, not a live stream: each call sends a request or two and
    runs a task per message, and one that returns early leaves its request open on the server,
    whose expiry later comes back as a status that makes another call return nothing; a
    projector following the live stream calls it for every few messages. Here one request of
    `batch` messages is open at a time, each with a reply subject of its own (a status comes on
    it, so one that ends a request given up on is told apart), and the next is made as soon as
    it is used up or expires. A request lost with the connection is made again after `expires`
    plus one wait of `next_batch` without news; one the server ends otherwise (409: consumer
    deleted, ...) after one such wait, so a lasting refusal is no hot loop.
    """

    def __init__(self, js: JetStreamContext, stream: str, consumer: str, batch: int, expires: float) -> None:
        self._nc = js._nc  # nats-py's JetStreamContext keeps its client and API prefix (with any domain) there
        self._next_subject = f"{js._prefix}.CONSUMER.MSG.NEXT.{stream}.{consumer}"
        self.batch = batch
        self.expires = expires
        self._inbox = ""
        self._sub: Any = None
        self._serial = itertools.count(1)
        self._open = ""  # the reply subject of the open request ("" when none)
        self._left = 0  # messages the open request may still deliver
        self._asked_at = 0.0
        self._messages: deque[Msg] = deque()
        self._arrived = asyncio.Event()
        self._lost = False  # the connection was made again: the open request may be gone with the old server

    async def start(self) -> None:
        self._inbox = self._nc.new_inbox()
        self._sub = await self._nc.subscribe(f"{self._inbox}.*", cb=self._received)
        await self._ask()

    async def stop(self) -> None:
        with contextlib.suppress(Exception):
            await self._sub.unsubscribe()

    def reconnected(self) -> None:
        """The connection was made again: a request open on a server that died went with it, so the
        next `next_batch` asks again at once instead of after the request's expiry."""
        self._lost = True
        self._arrived.set()

    async def next_batch(self, timeout: float) -> list[Msg]:
        """Up to `batch` delivered messages, in order; waits up to `timeout` for the first (none when it runs out)."""
        if self._lost:
            self._lost = False
            await self._ask()
        if not self._messages:
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), timeout)
        if not self._messages and (not self._open or time.monotonic() - self._asked_at > self.expires + timeout):
            await self._ask()  # no open request, or it was lost: its end never came
        return [self._messages.popleft() for _ in range(min(len(self._messages), self.batch))]

    async def _ask(self) -> None:
        self._open, self._left, self._asked_at = f"{self._inbox}.{next(self._serial)}", self.batch, time.monotonic()
        request = {"batch": self.batch, "expires": int(self.expires * 1_000_000_000)}
        await self._nc.publish(self._next_subject, json.dumps(request).encode(), reply=self._open)

    async def _received(self, msg: Msg) -> None:
        status = JetStreamContext.is_status_msg(msg)
        if not status:  # a message comes on its own subject: counted against the open request
            self._messages.append(msg)
            self._arrived.set()
            self._left -= 1
            if self._left == 0:  # used up: ask for the next ones at once
                await self._ask()
            return
        if msg.subject != self._open or status == "100":
            return  # the end of a request given up on, or a heartbeat
        if status in ("404", "408"):  # it expired: ask again
            await self._ask()
            return
        log.warning("pull request ended by the server", status=status, description=msg.headers.get("Description"))
        self._open = ""  # asked again by `next_batch` after its wait: no hot loop on a lasting refusal


class Waits:
    """Waits for positions, kept in position order: each waiter is woken once, when its position is
    reached, rather than every waiter at every batch to look again."""

    def __init__(self) -> None:
        self._heap: list[tuple[int, int, asyncio.Future[None]]] = []
        self._order = itertools.count()  # ties broken by arrival; futures are never compared

    async def wait(self, position: int, timeout: float) -> bool:
        """True once `reached` passes `position`; False when `timeout` runs out first."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (position, next(self._order), future)
        heapq.heappush(self._heap, entry)
        try:
            async with asyncio.timeout(timeout):
                await future
        except TimeoutError:
            return False
        finally:
            if future.cancelled():  # timed out, or its caller cancelled: it waits no more
                with contextlib.suppress(ValueError):
                    self._heap.remove(entry)
                    heapq.heapify(self._heap)
        return True

    def reached(self, position: int) -> None:
        """Wakes every wait for `position` or an earlier one."""
        heap = self._heap
        while heap and heap[0][0] <= position:
            future = heapq.heappop(heap)[2]
            if not future.done():
                future.set_result(None)


@dataclass(frozen=True)
class ProjectionView:
    """One projection of a projector's group: its position, lag and read-your-writes wait."""

    projector: Projector
    name: str

    @property
    def projection(self) -> Projection:
        return next(p for p in self.projector.projections if p.name == self.name)

    @property
    def position(self) -> int:
        return self.projector.position_of(self.name)

    @property
    def lag(self) -> int:
        store = self.projector.store_position
        return max((store() if store else self.position) - self.position, 0)

    @property
    def started(self) -> asyncio.Event:
        return self.projector.started

    async def wait_for(self, position: int, timeout: float) -> bool:
        """True as soon as this projection has applied `position`; False when `timeout` runs out first."""
        return await self.projector.wait_for(position, timeout, name=self.name)
