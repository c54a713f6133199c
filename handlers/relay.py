"""The relay (转发): publishes the node's history, in position order, to the node's JetStream stream.

The event store is the source of truth; the stream is its copy on the bus. The relay takes
its resume point from the stream itself (the last message's position), never from a local
file, so a tail the server lost (a power cut with `sync_interval: default`) is published
again.

Many events waiting together (`batch_from` or more) go out as one atomic batch (ADR-50,
nats-server 2.12+): the server stores the whole batch or none of it, behind one commit and
one fsync under `sync_interval: always`. The batch's first message carries
`Nats-Expected-Last-Sequence`, the stream's last sequence as the relay knows it
(`Nats-Expected-Last-Msg-Id` is refused inside a batch). A few events go out one by one,
each carrying `Nats-Expected-Last-Msg-Id` = the id of the message before it: on a file
stream the server stages every atomic batch in a file store of its own, a fixed cost of a
few milliseconds that single publishes of a few events do not pay. Either way every send
lands only directly after the one before, so the stream stays gap-free and in order. This
holds because the relay is the only publisher on the stream's subjects (`ducha.<node>.evt.>`).

Every message carries `Nats-Msg-Id = <node>:<position>`. A message published again gets a
`duplicate` ack, which counts as published; a batch holding a message the stream already
has is refused whole (`atomic publish batch contains duplicate message id`), never stored
twice. A refused batch, or a message after the wrong last one, means the stream is not
where the relay thought (an ack lost on the way, a tail lost by the server): the relay reads
the stream's last message again and goes on from there, and what the stream already holds
counts as published.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from dataclasses import dataclass
from uuid import uuid4

import structlog
from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, PubAck, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import APIError, NotFoundError

from domain.envelope import Envelope, stream_name
from ducha.metrics import EVENTS_PUBLISHED, RELAY_POSITION
from ducha.store import EventReader

log = structlog.get_logger(__name__)

POSITION_HEADER = "Ducha-Position"
MSG_ID_HEADER = "Nats-Msg-Id"
BATCH_ID_HEADER = "Nats-Batch-Id"
BATCH_SEQUENCE_HEADER = "Nats-Batch-Sequence"
BATCH_COMMIT_HEADER = "Nats-Batch-Commit"
EXPECTED_LAST_SEQUENCE_HEADER = "Nats-Expected-Last-Sequence"
EXPECTED_LAST_MSG_ID_HEADER = "Nats-Expected-Last-Msg-Id"
MAX_BATCH = 1000  # the server's limit on messages in one atomic batch
MAX_IN_FLIGHT = 50  # the server's limit on a stream's batches not yet committed
IN_FLIGHT = 4  # sends awaiting their acks at once
BATCH_FROM = 8  # fewer events go out one by one: a batch costs the server a staging store of its own
WRONG_LAST_MSG_ID = 10070  # JSStreamWrongLastMsgIDErrF
WRONG_LAST_SEQUENCE = 10071  # JSStreamWrongLastSequenceErrF
DUPLICATE_IN_BATCH = 10201  # JSAtomicPublishContainsDuplicateMessageErr
DUPLICATE_WINDOW_SECONDS = 120.0
POLL_SECONDS = 1.0  # writers in other processes cannot wake us: look anyway this often
ACK_TIMEOUT_SECONDS = 10.0


class RelayError(RuntimeError):
    """Raised when a send is not acknowledged, or the stream's last message is not ours."""


class StreamMoved(RelayError):
    """The stream refused a send because it is not where the relay thought: read its tail again."""


def stream_config(node: str) -> StreamConfig:
    """The node's stream: its whole history on file, nothing dropped, de-duplicated by message id,
    written in atomic batches."""
    return StreamConfig(
        name=stream_name(node),
        subjects=[f"ducha.{node}.evt.>"],
        storage=StorageType.FILE,
        retention=RetentionPolicy.LIMITS,
        discard=DiscardPolicy.OLD,
        max_msgs=-1,
        max_bytes=-1,
        max_age=0,
        max_msgs_per_subject=-1,
        duplicate_window=DUPLICATE_WINDOW_SECONDS,
        allow_direct=True,
        allow_atomic=True,
    )


async def ensure_stream(js: JetStreamContext, node: str) -> None:
    """Creates the node's stream, or brings an existing one to the present configuration."""
    config = stream_config(node)
    try:
        await js.stream_info(config.name)
    except NotFoundError:
        await js.add_stream(config)
        log.info("stream created", stream=config.name)
    else:
        await js.update_stream(config)


@dataclass(frozen=True)
class Tail:
    """Where the stream ends: the last message's position and its stream sequence (0, 0 when empty)."""

    position: int
    sequence: int


async def stream_tail(js: JetStreamContext, node: str) -> Tail:
    """The node's stream's last message: its position and sequence."""
    name = stream_name(node)
    info = await js.stream_info(name)
    if not info.state.messages or not info.state.last_seq:
        return Tail(0, info.state.last_seq or 0)
    message = await js.get_msg(name, seq=info.state.last_seq)
    return Tail(position_of(message.headers or {}), info.state.last_seq)


def position_of(headers: dict[str, str]) -> int:
    """A message's position: its `Ducha-Position` header, else the position in its message id."""
    if POSITION_HEADER in headers:
        return int(headers[POSITION_HEADER])
    node_and_position = headers.get(MSG_ID_HEADER, "")
    _, sep, position = node_and_position.rpartition(":")
    if not sep or not position.isdigit():
        raise RelayError(f"the stream's last message carries no position: {headers!r}")
    return int(position)


def headers_of(envelope: Envelope, previous: str | None = None) -> dict[str, str]:
    """The message's id (the stream de-duplicates on it) and its position; published alone, also
    the id the stream's last message must have (`previous`), which keeps it gap-free and in order."""
    headers = {MSG_ID_HEADER: envelope.message_id, POSITION_HEADER: str(envelope.position)}
    if previous is not None:
        headers[EXPECTED_LAST_MSG_ID_HEADER] = previous
    return headers


def batch_headers(envelopes: list[Envelope], batch_id: str, expected_last_sequence: int) -> list[dict[str, str]]:
    """Each message's headers in an atomic batch: its id and position, the batch's id and the
    message's place in it; the first expects the stream's last sequence, the last commits."""
    headers = []
    for number, envelope in enumerate(envelopes, start=1):
        message = headers_of(envelope) | {BATCH_ID_HEADER: batch_id, BATCH_SEQUENCE_HEADER: str(number)}
        if number == 1:
            message[EXPECTED_LAST_SEQUENCE_HEADER] = str(expected_last_sequence)
        if number == len(envelopes):
            message[BATCH_COMMIT_HEADER] = "1"
        headers.append(message)
    return headers


class Backoff:
    """Waits longer after each failure in a row (doubling up to a ceiling): never a hot loop."""

    def __init__(self, first: float = 0.1, most: float = 5.0) -> None:
        self.first = first
        self.most = most
        self._next = first

    def next(self) -> float:
        delay, self._next = self._next, min(self._next * 2, self.most)
        return delay

    def reset(self) -> None:
        self._next = self.first


@dataclass
class Sent:
    """Envelopes on their way: one atomic batch (one ack, its commit's) or messages one by one (an ack each)."""

    envelopes: list[Envelope]
    acks: list[asyncio.Future[PubAck]]
    atomic: bool

    def settled(self) -> asyncio.Future[object]:
        """Done when every ack is in (or failed)."""
        return asyncio.ensure_future(asyncio.wait(self.acks))

    def cancel(self) -> None:
        for ack in self.acks:
            ack.cancel()


class Relay:
    """Follows the node's event store and publishes every envelope to the stream, in position order.

    What the store holds beyond what was sent goes out as one atomic batch (at most `window`
    messages, its first expecting the stream's last sequence) when there are `batch_from`
    envelopes or more, else message by message, each expecting the id of the one before it.
    Up to `in_flight` such sends await their acks at once, each chained to the end of the one
    before it; events recorded meanwhile go out without waiting for those acks.
    `published_position` and `stream_sequence` advance only on acks, in order (or on reading
    the stream's tail), so they always name the same message. After any failure the relay
    asks the stream where it stands and goes on from there.
    """

    def __init__(
        self,
        reader: EventReader,
        js: JetStreamContext,
        node: str,
        *,
        window: int = MAX_BATCH,
        batch_from: int = BATCH_FROM,
        in_flight: int = IN_FLIGHT,
        ack_timeout: float = ACK_TIMEOUT_SECONDS,
        poll: float = POLL_SECONDS,
    ) -> None:
        if not 1 <= window <= MAX_BATCH:
            raise ValueError(f"an atomic batch holds 1 to {MAX_BATCH} messages, not {window}")
        if not 1 <= in_flight <= MAX_IN_FLIGHT:
            raise ValueError(f"a stream takes 1 to {MAX_IN_FLIGHT} batches at once, not {in_flight}")
        self.reader = reader
        self.js = js
        self.node = node
        self.window = window
        self.batch_from = batch_from
        self.in_flight = in_flight
        self.ack_timeout = ack_timeout
        self.poll = poll
        self.published_position = 0
        self.stream_sequence = 0
        self._woken = asyncio.Event()
        self._reconnected = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None

    def wake(self) -> None:
        """Tells the relay there is news. Thread-safe: the writer thread calls it after each commit."""
        loop = self._loop
        if loop is None:
            return  # not running yet: run() starts by catching up anyway
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody to wake
            loop.call_soon_threadsafe(self._woken.set)

    async def run(self) -> None:
        """Publishes until cancelled. Failures (a reconnect, a timeout) are retried with back-off."""
        self._loop = asyncio.get_running_loop()
        backoff = Backoff()
        must_resume = True
        while True:
            try:
                if must_resume:
                    await self.resume()
                    must_resume = False
                await self.publish_pending()
                backoff.reset()
                await self._wait_for_news()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # the bus is down or slow: wait, then ask the stream again
                delay = backoff.next()
                log.warning("relay interrupted", error=repr(error), position=self.published_position, retry_in=delay)
                await asyncio.sleep(delay)
                must_resume = True

    async def resume(self) -> None:
        """Takes the resume point from the stream itself, so a tail the server lost is published again.

        The stream is gap-free by construction (every send expects the end of the one before),
        so its last message is the resume point, also when it is past what the relay saw
        acknowledged (an ack lost on the way).
        """
        tail = await stream_tail(self.js, self.node)
        if tail.position < self.published_position:
            log.warning("the stream lost a tail; publishing it again", stream=tail.position, acked=self.published_position)
        self._set_tail(tail)
        log.info("relay resumed", node=self.node, position=tail.position, sequence=tail.sequence)

    async def publish_pending(self) -> None:
        """Publishes everything the store holds after `published_position`, then returns.

        A send the stream refuses because it is elsewhere than the relay thought sends the
        relay to the stream's tail; refused again before anything is acked, it is an error.
        """
        acked_since_resume = True
        while True:
            before = self.published_position, self.stream_sequence
            try:
                await self._publish_until_caught_up()
                return
            except StreamMoved as moved:
                acked_since_resume = acked_since_resume or (self.published_position, self.stream_sequence) != before
                if not acked_since_resume:
                    raise
                log.info("the stream is not where the relay thought; reading its tail", reason=str(moved))
                await self.resume()
                acked_since_resume = False

    async def _publish_until_caught_up(self) -> None:
        self._reconnected.clear()  # acks lost with an earlier connection are no longer awaited
        sending: deque[Sent] = deque()
        sent = Tail(self.published_position, self.stream_sequence)
        try:
            while True:
                if len(sending) < self.in_flight:
                    self._woken.clear()  # news from now on is seen by the next read, or wakes run()
                    envelopes = await asyncio.to_thread(self.reader.envelopes, sent.position, self.window)
                    if envelopes:
                        sending.append(await self.send(envelopes, sent))
                        sent = Tail(envelopes[-1].position, sent.sequence + len(envelopes))
                        continue
                if not sending:
                    return
                # With room for more, news need not wait for these acks.
                await self._acks_or_news(sending[0], news=len(sending) < self.in_flight)
                if not all(ack.done() for ack in sending[0].acks):
                    continue
                self._advance(sending.popleft())
        finally:
            for unacked in sending:
                unacked.cancel()

    async def _acks_or_news(self, sent: Sent, *, news: bool) -> None:
        """Waits until the send's acks are in (or, with `news`, the store has news).

        Raises when the connection was made again meanwhile: the server that was to ack is
        gone (a restarted nats-server), so the relay asks the new one where the stream ends
        rather than wait out `ack_timeout`.
        """
        waits = [sent.settled(), asyncio.ensure_future(self._reconnected.wait())]
        if news:
            waits.append(asyncio.ensure_future(self._woken.wait()))
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for wait in waits:
                wait.cancel()
        if self._reconnected.is_set() and not all(ack.done() for ack in sent.acks):
            raise RelayError("the connection to NATS was made again: the acks awaited went with the old one")

    def reconnected(self) -> None:
        """Tells the relay its NATS connection was made again (nats-py's `reconnected_cb`)."""
        self._reconnected.set()

    async def send(self, envelopes: list[Envelope], after: Tail) -> Sent:
        """Sends the envelopes to follow the stream's message `after`; returns their acks to come.

        The acks' tasks write their messages on their first step, before this coroutine sends
        anything more, so the stream receives them in the order sent. (Were two ever swapped,
        the second would expect the wrong last message and be refused, not stored.)
        """
        if len(envelopes) >= self.batch_from:
            sent = Sent(envelopes, [await self._send_atomic(envelopes, after.sequence)], atomic=True)
        else:
            previous = f"{self.node}:{after.position}" if after.position else None
            acks = []
            for envelope in envelopes:
                body = envelope.model_dump_json().encode()
                publish = self.js.publish(envelope.subject, body, timeout=self.ack_timeout, headers=headers_of(envelope, previous))
                acks.append(asyncio.ensure_future(publish))
                previous = envelope.message_id
            sent = Sent(envelopes, acks, atomic=False)
        await asyncio.sleep(0)  # let the acks' tasks write their messages
        return sent

    async def publish_batch(self, envelopes: list[Envelope]) -> None:
        """Publishes the envelopes as one atomic batch after `stream_sequence` and advances over it.

        Raises `StreamMoved` when the stream refuses the batch for holding one of its messages
        already or for not ending at `stream_sequence`; nothing of the batch is stored then.
        """
        if envelopes:
            sent = Sent(envelopes, [await self._send_atomic(envelopes, self.stream_sequence)], atomic=True)
            await sent.settled()
            self._advance(sent)

    async def _send_atomic(self, envelopes: list[Envelope], after_sequence: int) -> asyncio.Future[PubAck]:
        if not 1 <= len(envelopes) <= MAX_BATCH:
            raise ValueError(f"an atomic batch holds 1 to {MAX_BATCH} messages, not {len(envelopes)}")
        headers = batch_headers(envelopes, uuid4().hex, after_sequence)
        # nats-py 2.16 has no atomic batch publishing: the members go out as core publishes on
        # the context's own connection, in order, the commit as a request whose reply is the
        # batch's pub ack.
        nc = self.js._nc
        for envelope, message_headers in zip(envelopes[:-1], headers, strict=False):
            await nc.publish(envelope.subject, envelope.model_dump_json().encode(), headers=message_headers)
        last = envelopes[-1]
        commit = self.js.publish(last.subject, last.model_dump_json().encode(), timeout=self.ack_timeout, headers=headers[-1])
        return asyncio.ensure_future(commit)

    def _advance(self, sent: Sent) -> None:
        if sent.atomic:
            self._advance_batch(sent.envelopes, sent.acks[0])
        else:
            self._advance_one_by_one(sent.envelopes, sent.acks)

    def _advance_batch(self, envelopes: list[Envelope], ack: asyncio.Future[PubAck]) -> None:
        first, last = envelopes[0].position, envelopes[-1].position
        if (error := ack.exception()) is not None:
            if isinstance(error, APIError) and error.err_code in (WRONG_LAST_SEQUENCE, DUPLICATE_IN_BATCH):
                raise StreamMoved(f"batch {first}..{last} refused: {error.description}") from error
            raise RelayError(f"batch {first}..{last} failed: {error!r}") from error
        acked = ack.result()
        expected = self.stream_sequence + len(envelopes)
        if acked.seq != expected or acked.batch_size != len(envelopes):
            raise RelayError(
                f"the commit of {len(envelopes)} messages after sequence {self.stream_sequence} was acked as "
                f"{acked.batch_size} ending at {acked.seq}: another publisher writes to the stream"
            )
        self._set_tail(Tail(last, acked.seq))
        EVENTS_PUBLISHED.inc(len(envelopes))
        log.debug("batch published", position=last, sequence=acked.seq, size=len(envelopes))

    def _advance_one_by_one(self, envelopes: list[Envelope], acks: list[asyncio.Future[PubAck]]) -> None:
        """Advances over the acknowledged prefix. A `duplicate` ack is a success: the stream holds that position."""
        new = 0
        try:
            for envelope, ack in zip(envelopes, acks, strict=True):
                if (error := ack.exception()) is not None:
                    if isinstance(error, APIError) and error.err_code in (WRONG_LAST_MSG_ID, WRONG_LAST_SEQUENCE):
                        raise StreamMoved(f"position {envelope.position} refused: {error.description}") from error
                    raise RelayError(f"publishing position {envelope.position} failed: {error!r}") from error
                acked = ack.result()
                new += acked.duplicate is not True  # None (not False) on a first publish
                self._set_tail(Tail(envelope.position, max(acked.seq, self.stream_sequence)))
        finally:
            EVENTS_PUBLISHED.inc(new)

    def _set_tail(self, tail: Tail) -> None:
        self.published_position = tail.position
        self.stream_sequence = tail.sequence
        RELAY_POSITION.set(tail.position)

    async def _wait_for_news(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._woken.wait(), self.poll)
