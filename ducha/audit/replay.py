"""The auditor's own replay (审计复算): the node's stream, from its first message, into the auditor's own views.

An auditor trusts neither the node's views nor its store: it reads the node's JetStream
stream (`DUCHA_<node>`) from the first message with an ephemeral pull consumer (no
acknowledgements, deleted at the end, and dropped by the server after a short idle time if
the auditor dies: nothing durable is left on the node's server), folds every envelope with
every projection of `ducha.bootstrap.PROJECTIONS` into a view store of its own (its own data
directory), and prints each view's digest. Equal digests mean the node's views are exactly
what its history says. Replaying again into the same directory is harmless: each view's
tracking skips what it has applied already.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

import nats
from nats.errors import TimeoutError as NatsTimeout
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from domain.envelope import Envelope, stream_name
from projections.base import apply_batch, digest
from projections.store import Projection, ViewStore

BATCH = 500
IDLE_SECONDS = 30.0  # the server drops the consumer after this long without a fetch


@dataclass
class ReplayResult:
    """What the replay read: the node, how many envelopes, the last position, and every view's digest."""

    node: str
    events: int = 0
    position: int = 0
    digests: dict[str, str] = field(default_factory=dict)


async def stream_batches(js: JetStreamContext, node: str, batch: int = BATCH) -> AsyncIterator[list[Envelope]]:
    """The node's stream as it stood when called, in order, `batch` envelopes at a time."""
    stream = stream_name(node)
    remaining = (await js.stream_info(stream)).state.messages
    config = ConsumerConfig(
        ack_policy=AckPolicy.NONE, deliver_policy=DeliverPolicy.ALL, inactive_threshold=IDLE_SECONDS,
        filter_subject=f"ducha.{node}.evt.>",
    )
    consumer = (await js.add_consumer(stream, config)).name
    subscription = await js.pull_subscribe_bind(consumer=consumer, stream=stream)
    try:
        while remaining > 0:
            try:
                messages = await subscription.fetch(min(batch, remaining), timeout=5)
            except NatsTimeout:
                return  # the stream holds fewer messages than it said (purged meanwhile)
            remaining -= len(messages)
            yield [Envelope.model_validate_json(message.data) for message in messages]
    finally:
        with contextlib.suppress(Exception):
            await subscription.unsubscribe()
        with contextlib.suppress(Exception):
            await js.delete_consumer(stream, consumer)


def _projections() -> dict[str, Projection]:
    from ducha.bootstrap import PROJECTIONS  # the composition root imports the audit package: import late

    return {name: factory() for name, factory in PROJECTIONS.items()}


async def replay_into(
    js: JetStreamContext, node: str, views: ViewStore, *, batch: int = BATCH,
    progress: Callable[[int], None] | None = None,
) -> ReplayResult:
    """Folds the node's stream into `views` with every projection; answers the digests reached."""
    projections = _projections()
    for projection in projections.values():
        views.install(projection)
    result = ReplayResult(node)
    async for envelopes in stream_batches(js, node, batch):
        await asyncio.to_thread(_apply, views, projections, envelopes)
        result.events += len(envelopes)
        result.position = envelopes[-1].position
        if progress is not None:
            progress(len(envelopes))
    result.digests = await asyncio.to_thread(
        lambda: {name: digest(views, projection) for name, projection in sorted(projections.items())}
    )
    return result


def _apply(views: ViewStore, projections: dict[str, Projection], envelopes: list[Envelope]) -> None:
    for projection in projections.values():
        apply_batch(views, projection, envelopes)


async def replay(nats_url: str, node: str, data_dir: Path, *, batch: int = BATCH) -> ReplayResult:
    """Connects to the NATS holding the node's stream and replays it into the auditor's views in `data_dir`."""
    views = ViewStore.open(None, data_dir)
    try:
        nc = await nats.connect(nats_url, name=f"ducha-auditor-{node}")
        try:
            return await replay_into(nc.jetstream(), node, views, batch=batch)
        finally:
            await nc.drain()
    finally:
        views.close()
