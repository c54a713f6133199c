"""Relay and projection events/s on a backlog, and the bare nats-py ceilings beside them.

One nats-server (sync always) and one seeded store serve the whole section:
  1. ceiling: bare `js.publish_async` of the same envelopes (same bodies, headers, stream config);
  2. figure: the relay publishes the store's backlog, from zero to all acked;
  3. ceiling: a bare durable pull consumer fetches batches and acks every message;
  4. figure: the case board's projector applies the backlog, from zero to all applied.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nats

from bench.env import Sizes, Stopwatch, progress, say
from bench.workload import NODE, seed_store

PROJECTION_TIMEOUT = 120.0
CEILING_NODE = "990000"  # another node's stream with the same configuration; same code length, same sizes


@dataclass
class Backlog:
    """A seeded store and its envelopes serialized as the relay sends them."""

    app: Any
    reader: Any
    last_position: int
    messages: list[tuple[str, bytes, dict[str, str]]]  # for CEILING_NODE


def seed_backlog(registry, data_dir: Path, events: int) -> Backlog:
    from ducha.store import EventReader, open_store

    app = open_store(None, data_dir)
    say(f"seeding {events} events")
    seed_store(app, registry, events)
    reader = EventReader(app, NODE)
    messages = wires(e.model_copy(update={"node": CEILING_NODE}) for e in reader.iter_envelopes())
    return Backlog(app, reader, reader.last_position(), messages)


def wire(envelope, previous: str | None) -> tuple[str, bytes, dict[str, str]]:
    """Subject, body and headers as the relay publishes them: message id, position, expected last id."""
    headers = {"Nats-Msg-Id": envelope.message_id, "Ducha-Position": str(envelope.position)}
    if previous is not None:
        headers["Nats-Expected-Last-Msg-Id"] = previous
    return envelope.subject, envelope.model_dump_json().encode(), headers


def wires(envelopes) -> list[tuple[str, bytes, dict[str, str]]]:
    messages, previous = [], None
    for envelope in envelopes:
        messages.append(wire(envelope, previous))
        previous = envelope.message_id
    return messages


async def ensure_stream(js, node: str) -> None:
    from handlers.relay import ensure_stream as ducha_ensure_stream

    await ducha_ensure_stream(js, node)


async def bare_publish_rate(url: str, messages: list, window: int) -> float:
    """The relay's ceiling: pipelined publish_async with `window` in flight, then wait for every ack."""
    nc = await nats.connect(url)
    try:
        js = nc.jetstream(publish_async_max_pending=window)
        await ensure_stream(js, CEILING_NODE)
        with progress("publish ceiling", len(messages)) as bar, Stopwatch() as watch:
            futures = []
            for subject, body, headers in messages:
                futures.append(await js.publish_async(subject, body, headers=headers))
                bar.update(1)
            await asyncio.gather(*futures)
        await check_stream(js, CEILING_NODE, len(messages))
    finally:
        await nc.close()
    return len(messages) / watch.elapsed


async def check_stream(js, node: str, expected: int) -> None:
    from domain.envelope import stream_name

    info = await js.stream_info(stream_name(node))
    if info.state.messages != expected:
        raise RuntimeError(f"stream {stream_name(node)} holds {info.state.messages} messages, expected {expected}")


async def relay_rate(url: str, backlog: Backlog) -> tuple[float, int]:
    """The figure: a fresh Relay on the backlog, timed until `published_position` (acked) reaches the end."""
    from handlers.relay import Relay

    nc = await nats.connect(url)
    try:
        js = nc.jetstream()  # as bootstrap makes it
        await ensure_stream(js, NODE)
        relay = Relay(backlog.reader, js, NODE)
        with progress("relay", backlog.last_position) as bar, Stopwatch() as watch:
            task = asyncio.create_task(relay.run(), name="bench-relay")
            try:
                await until(lambda: relay.published_position >= backlog.last_position, bar, lambda: relay.published_position, task)
            finally:
                await cancel(task)
        await check_stream(js, NODE, backlog.last_position)
    finally:
        await nc.close()
    return backlog.last_position / watch.elapsed, relay.window


async def until(done, bar, progress_of, task: asyncio.Task, tick: float = 0.002) -> None:
    """Polls `done()` every `tick` s (a 2 ms resolution on runs of seconds); fails if `task` dies."""
    while not done():
        if task.done():
            task.result()
            raise RuntimeError(f"{task.get_name()} ended early")
        bar.n = progress_of()
        bar.refresh()
        await asyncio.sleep(tick)


async def cancel(task: asyncio.Task) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def bare_consume_rate(url: str, events: int, batch: int) -> float:
    """The projector's ceiling: a durable pull consumer on the node's stream; fetch, ack each, nothing else."""
    from domain.envelope import stream_name

    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        sub = await js.pull_subscribe(f"ducha.{NODE}.evt.>", durable="bench-ceiling", stream=stream_name(NODE))
        seen = 0
        with progress("consume ceiling", events) as bar, Stopwatch() as watch:
            while seen < events:
                for msg in await sub.fetch(batch, timeout=5):
                    await msg.ack()
                    seen += 1
                bar.update(seen - bar.n)
    finally:
        await nc.close()
    return events / watch.elapsed


async def projection_rate(url: str, views_dir: Path, last_position: int) -> float:
    """The figure: a fresh case-board projector, timed from start until wait_for(last position) returns."""
    from handlers.projector import Projector
    from projections.case_board import CaseBoard
    from projections.store import ViewStore

    nc = await nats.connect(url)
    views = ViewStore.open(None, views_dir)
    try:
        board = CaseBoard()
        views.install(board)
        projector = Projector(nc.jetstream(), views, board, NODE)
        with Stopwatch() as watch:
            task = asyncio.create_task(projector.run(), name="bench-projector")
            try:
                waiting = asyncio.create_task(projector.wait_for(last_position, timeout=PROJECTION_TIMEOUT))
                await asyncio.wait([waiting, task], return_when=asyncio.FIRST_COMPLETED)
                if not waiting.done():
                    task.result()
                    raise RuntimeError("the projector ended early")
                if not waiting.result():
                    raise RuntimeError(
                        f"the projector applied {projector.position} of {last_position} in {PROJECTION_TIMEOUT:g} s"
                    )
            finally:
                await cancel(task)
        applied = views.tracked_position(board.name, NODE)
        if applied < last_position:
            raise RuntimeError(f"wait_for returned at position {applied} < {last_position}")
    finally:
        await nc.close()
        views.close()
    return last_position / watch.elapsed


async def fill_if_short(url: str, backlog: Backlog) -> None:
    """Publishes the node's backlog straight onto its stream when the relay could not (duplicates are dropped)."""
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        await ensure_stream(js, NODE)
        with contextlib.suppress(RuntimeError):
            await check_stream(js, NODE, backlog.last_position)
            return
        say("the relay left the stream short: publishing the backlog directly for the projection figure")
        futures = [await js.publish_async(*_args(m)) for m in wires(backlog.reader.iter_envelopes())]
        await asyncio.gather(*futures)
    finally:
        await nc.close()


def _args(message: tuple[str, bytes, dict[str, str]]) -> tuple[str, bytes, None, None, dict[str, str]]:
    subject, body, headers = message
    return subject, body, None, None, headers
