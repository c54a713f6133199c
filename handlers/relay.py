"""The relay (转发): publishes the node's history, in position order, to the node's JetStream stream.

The event store is the source of truth; the stream is its copy on the bus. The relay takes
its resume point from the stream itself (the last message's position), never from a local
file, so a tail the server lost (a power cut with `sync_interval: default`) is published
again. Every message carries `Nats-Msg-Id = <node>:<position>`, so publishing twice is
harmless: the stream's de-duplication answers a second publish with a `duplicate` ack.
"""

from __future__ import annotations

import asyncio
import contextlib

import structlog
from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, PubAck, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError

from domain.envelope import Envelope, stream_name
from ducha.metrics import EVENTS_PUBLISHED, RELAY_POSITION
from ducha.store import EventReader

log = structlog.get_logger(__name__)

POSITION_HEADER = "Ducha-Position"
MSG_ID_HEADER = "Nats-Msg-Id"
EXPECTED_LAST_HEADER = "Nats-Expected-Last-Msg-Id"
DUPLICATE_WINDOW_SECONDS = 120.0
POLL_SECONDS = 1.0  # writers in other processes cannot wake us: look anyway this often
ACK_TIMEOUT_SECONDS = 10.0


class RelayError(RuntimeError):
    """Raised when a window of publishes is not acknowledged, or the stream's last message is not ours."""


def stream_config(node: str) -> StreamConfig:
    """The node's stream: its whole history on file, nothing dropped, de-duplicated by message id."""
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


async def stream_position(js: JetStreamContext, node: str) -> int:
    """The position of the last message on the node's stream; 0 for an empty stream."""
    name = stream_name(node)
    info = await js.stream_info(name)
    if not info.state.messages or not info.state.last_seq:
        return 0
    message = await js.get_msg(name, seq=info.state.last_seq)
    return position_of(message.headers or {})


def position_of(headers: dict[str, str]) -> int:
    """A message's position: its `Ducha-Position` header, else the position in its message id."""
    if POSITION_HEADER in headers:
        return int(headers[POSITION_HEADER])
    node_and_position = headers.get(MSG_ID_HEADER, "")
    _, sep, position = node_and_position.rpartition(":")
    if not sep or not position.isdigit():
        raise RelayError(f"the stream's last message carries no position: {headers!r}")
    return int(position)


def headers_of(envelope: Envelope, previous: str | None) -> dict[str, str]:
    """The message's id and position, and the id the stream's last message must have.

    `Nats-Expected-Last-Msg-Id` keeps the stream gap-free and in order: if one message of a
    pipelined window is lost (a reconnect drops it), the server refuses every later one
    instead of storing them after a hole, and the relay resumes from the stream's last
    message. A re-published message still gets its `duplicate` ack.
    """
    headers = {MSG_ID_HEADER: envelope.message_id, POSITION_HEADER: str(envelope.position)}
    if previous is not None:
        headers[EXPECTED_LAST_HEADER] = previous
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


class Relay:
    """Follows the node's event store and publishes every envelope to the stream, in position order.

    Publishes are pipelined: a window of messages is in flight at once, and the relay
    advances `published_position` only over the acknowledged prefix of a window. After any
    failure it asks the stream where it stands and goes on from there.
    """

    def __init__(
        self,
        reader: EventReader,
        js: JetStreamContext,
        node: str,
        *,
        batch: int = 1000,
        window: int = 1000,
        ack_timeout: float = ACK_TIMEOUT_SECONDS,
        poll: float = POLL_SECONDS,
    ) -> None:
        self.reader = reader
        self.js = js
        self.node = node
        self.batch = batch
        self.window = window
        self.ack_timeout = ack_timeout
        self.poll = poll
        self.published_position = 0
        self._resumed = False
        self._woken = asyncio.Event()
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
                self._woken.clear()
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

        After a failure the relay never goes past what it saw acknowledged: a message of a
        failed window may be missing from the stream even when later ones arrived.
        """
        on_stream = await stream_position(self.js, self.node)
        if self._resumed and on_stream < self.published_position:
            log.warning("the stream lost a tail; publishing it again", stream=on_stream, acked=self.published_position)
        position = min(on_stream, self.published_position) if self._resumed else on_stream
        self._set_position(position)
        self._resumed = True
        log.info("relay resumed", node=self.node, position=position)

    async def publish_pending(self) -> None:
        """Publishes everything the store holds after `published_position`, window by window."""
        while envelopes := await asyncio.to_thread(self.reader.envelopes, self.published_position, self.batch):
            for start in range(0, len(envelopes), self.window):
                await self.publish_window(envelopes[start : start + self.window])

    async def publish_window(self, envelopes: list[Envelope]) -> None:
        """Publishes a window pipelined, then advances over its acknowledged prefix.

        A `duplicate` ack is a success: the stream already holds that position.
        """
        if not envelopes:
            return
        futures: list[asyncio.Future[PubAck]] = []
        previous = f"{self.node}:{self.published_position}" if self.published_position else None
        # Tasks start in creation order and each writes its message before its first
        # await, so the window goes out in position order. (js.publish_async is not used:
        # nats-py 2.16 never resolves its future when the server answers with an error.)
        for envelope in envelopes:
            body = envelope.model_dump_json().encode()
            publish = self.js.publish(envelope.subject, body, timeout=self.ack_timeout, headers=headers_of(envelope, previous))
            futures.append(asyncio.ensure_future(publish))
            previous = envelope.message_id
        try:
            await asyncio.wait(futures)
        except asyncio.CancelledError:
            for future in futures:
                future.cancel()
            raise
        self._advance(envelopes, futures)

    def _advance(self, envelopes: list[Envelope], futures: list[asyncio.Future[PubAck]]) -> None:
        new = 0
        try:
            for envelope, future in zip(envelopes, futures, strict=True):
                if (error := future.exception()) is not None:
                    raise RelayError(f"publishing position {envelope.position} failed: {error!r}") from error
                new += future.result().duplicate is not True  # None (not False) on a first publish
                self._set_position(envelope.position)
        finally:
            EVENTS_PUBLISHED.inc(new)
        log.debug("window published", position=self.published_position, new=new, size=len(envelopes))

    def _set_position(self, position: int) -> None:
        self.published_position = position
        RELAY_POSITION.set(position)

    async def _wait_for_news(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._woken.wait(), self.poll)
