"""Warnings of the ledger (预警): each `TaskWarningRaised` on the node's stream is delivered to its
recipients (the responsible leader and the handler) through a notification adapter.

The adapter here writes one structured log line naming the recipients (`LogNotifier`); a
message gateway would take its place behind the same `Notifier` call. A durable pull
consumer on the one subject reads the stream; a message is acked once delivered, so a crash
before the ack delivers it again (at least once: a notice may be repeated, never lost).
"""

from __future__ import annotations

import contextlib
from typing import Protocol

import structlog
from nats.errors import TimeoutError as NatsTimeout
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from domain.envelope import Envelope, event_subject, stream_name

log = structlog.get_logger(__name__)

MAX_DELIVER = 5
ACK_WAIT = 30.0


class Notifier(Protocol):
    """Delivers a warning to its recipients."""

    def notify(self, envelope: Envelope) -> None: ...


class LogNotifier:
    """The log adapter: one line per warning, naming the recipients, the unit, the light and why."""

    def notify(self, envelope: Envelope) -> None:
        p = envelope.payload
        log.warning(
            "ledger warning", task=str(envelope.aggregate_id), recipients=p["recipients"], unit=p["responsible_unit"],
            light=p["light"], reason=p["reason"], on=str(envelope.occurred_on),
        )


class WarningDelivery:
    """Reads `TaskWarningRaised` from the node's stream with a durable consumer and hands each to the notifier."""

    def __init__(self, js: JetStreamContext, node: str, notifier: Notifier, *, batch: int = 50) -> None:
        self.js = js
        self.node = node
        self.notifier = notifier
        self.batch = batch
        self.subject = event_subject(node, "task", "TaskWarningRaised")
        self.durable = f"ledger-warnings-{node}"

    async def run(self) -> None:
        subscription = await self.js.pull_subscribe(
            self.subject, durable=self.durable, stream=stream_name(self.node),
            config=ConsumerConfig(
                ack_policy=AckPolicy.EXPLICIT, deliver_policy=DeliverPolicy.ALL, max_deliver=MAX_DELIVER, ack_wait=ACK_WAIT
            ),
        )
        while True:
            try:
                messages = await subscription.fetch(self.batch, timeout=5.0)
            except NatsTimeout:
                continue
            for msg in messages:
                await self._deliver(msg)

    async def _deliver(self, msg) -> None:  # type: ignore[no-untyped-def]
        try:
            self.notifier.notify(Envelope.model_validate_json(msg.data))
        except Exception:
            log.exception("a warning could not be delivered; it is delivered again later")
            with contextlib.suppress(Exception):
                await msg.nak(delay=5.0)
            return
        await msg.ack()


__all__ = ["LogNotifier", "Notifier", "WarningDelivery"]
