"""`verify` of the bus: the node's JetStream stream must hold the store's history, position by position.

The stream's envelopes carry decoded events, not the stored bytes, so the stream is checked
against the store (which `verify_store` ties to the signed checkpoints): a position missing
from the stream, one the store never recorded, one out of order, or one that differs.
Read with an ephemeral pull consumer, one batch in memory at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from nats.errors import TimeoutError as NatsTimeout
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from domain.envelope import Envelope, stream_name
from ducha.audit.report import FaultKind, VerifyReport

if TYPE_CHECKING:
    from ducha.audit.chain import Auditor

BATCH = 500


async def stream_envelopes(js: JetStreamContext, stream: str, subject: str) -> AsyncIterator[Envelope]:
    """Every envelope on the stream, in stream order."""
    info = await js.stream_info(stream)
    remaining = info.state.messages
    config = ConsumerConfig(ack_policy=AckPolicy.NONE, deliver_policy=DeliverPolicy.ALL, inactive_threshold=30.0)
    subscription = await js.pull_subscribe(subject, stream=stream, config=config)
    try:
        while remaining > 0:
            try:
                messages = await subscription.fetch(min(BATCH, remaining), timeout=5)
            except NatsTimeout:
                return
            for message in messages:
                yield Envelope.model_validate_json(message.data)
            remaining -= len(messages)
    finally:
        with contextlib.suppress(Exception):
            await subscription.unsubscribe()


async def verify_stream(auditor: Auditor, js: JetStreamContext, stream: str | None = None) -> VerifyReport:
    """Names the first position where the stream departs from the store."""
    name = stream or stream_name(auditor.node)
    report = VerifyReport(source=f"stream {name} of node {auditor.node}")
    stored = _StoreCursor(auditor)
    previous = 0
    async for envelope in stream_envelopes(js, name, f"ducha.{auditor.node}.evt.>"):
        report.events += 1
        if envelope.position <= previous:
            report.fault(envelope.position, FaultKind.REORDERED, f"comes after position {previous} on the stream")
            continue
        previous = envelope.position
        while (expected := await stored.peek()) is not None and expected.position < envelope.position:
            report.fault(expected.position, FaultKind.REMOVED, "recorded in the store, missing from the stream")
            await stored.next()
        if expected is None or expected.position != envelope.position:
            report.fault(envelope.position, FaultKind.INSERTED, "on the stream, never recorded in the store")
        else:
            await stored.next()
            if expected != envelope:
                report.fault(envelope.position, FaultKind.ALTERED, "the stream's envelope differs from the store's")
    while await stored.next() is not None:
        report.unsealed += 1  # recorded, not yet published
    return report


class _StoreCursor:
    """The store's envelopes in position order, a page at a time, read off the event loop."""

    def __init__(self, auditor: Auditor) -> None:
        self.reader = auditor.reader
        self.page: list[Envelope] = []
        self.after = 0

    async def peek(self) -> Envelope | None:
        if not self.page:
            self.page = await asyncio.to_thread(self.reader.envelopes, self.after, BATCH)
            if self.page:
                self.after = self.page[-1].position
        return self.page[0] if self.page else None

    async def next(self) -> Envelope | None:
        head = await self.peek()
        if head is not None:
            self.page.pop(0)
        return head
