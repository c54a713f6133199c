"""The relay: the node's history reaches its JetStream stream once, in order, even after losses.

Real parts only: the embedded nats-server and a SQLite event store in a temporary directory.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from datetime import date
from pathlib import Path
from uuid import uuid4

import nats
import pytest
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext

from domain.actor import Actor, Role
from domain.case import Case, CaseType, Method, Topic
from domain.envelope import stream_name
from ducha.clock import SetClock
from ducha.embedded_nats import EmbeddedNats
from ducha.store import DuchaApplication, EventReader, open_store
from ducha.writer import Writer
from handlers.relay import Relay, RelayError, ensure_stream, headers_of

NODE = "220000"
STREAM = stream_name(NODE)
OFFICE = Actor(unit=NODE, role=Role.AGENCY, person="督查专员")


@pytest.fixture
def app(tmp_path: Path) -> Iterator[DuchaApplication]:
    application = open_store(None, tmp_path / "data")
    yield application
    application.close()


@pytest.fixture
def writer(app: DuchaApplication) -> Iterator[Writer]:
    started = Writer(app)
    started.start()
    yield started
    started.stop()


@pytest.fixture
def reader(app: DuchaApplication) -> EventReader:
    return EventReader(app, NODE)


@pytest.fixture
async def nc(nats_server: EmbeddedNats) -> AsyncIterator[NatsClient]:
    client = await nats.connect(nats_server.url)
    yield client
    await client.close()


@pytest.fixture
async def js(nc: NatsClient) -> JetStreamContext:
    context = nc.jetstream()
    await ensure_stream(context, NODE)
    return context


async def record_cases(writer: Writer, registry, clock: SetClock, count: int) -> None:
    """Records `count` proposed cases (one event each) through the real writer."""

    def propose(_: object) -> Case:
        now = clock.now()
        return Case.propose(
            case_id=uuid4(),
            actor=OFFICE,
            on=now.date(),
            now=now,
            registry=registry,
            case_type=CaseType.SPECIAL,
            topic=Topic.WORK_REPORT,
            title="政府工作报告重点任务落实情况",
            targets=["220100"],
            methods=[Method.INSPECTION],
            window_start=date(2026, 12, 1),
            window_end=date(2026, 12, 31),
            rationale="年度督查计划",
        )

    for _ in range(count):
        await writer.execute(None, propose)


@contextlib.asynccontextmanager
async def running(relay: Relay) -> AsyncIterator[Relay]:
    task = asyncio.create_task(relay.run())
    try:
        yield relay
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def until_published(relay: Relay, position: int, within: float = 5.0) -> None:
    async with asyncio.timeout(within):
        while relay.published_position < position:
            await asyncio.sleep(0.01)


@contextlib.asynccontextmanager
async def watching(nc: NatsClient) -> AsyncIterator[list[int]]:
    """The positions published while inside, as any core subscriber sees them (duplicates included)."""
    seen: list[int] = []

    async def note(msg) -> None:
        seen.append(int(msg.headers["Ducha-Position"]))

    sub = await nc.subscribe(f"ducha.{NODE}.evt.>", cb=note)
    await nc.flush()
    try:
        yield seen
    finally:
        await nc.flush()
        await sub.unsubscribe()


async def stream_messages(js: JetStreamContext) -> list:
    info = await js.stream_info(STREAM)
    return [await js.get_msg(STREAM, seq=seq) for seq in range(info.state.first_seq, info.state.last_seq + 1)]


async def test_publishes_every_event_once_in_position_order(js, reader, writer, registry, clock) -> None:
    await record_cases(writer, registry, clock, 5)
    async with running(Relay(reader, js, NODE, window=2)) as relay:
        await until_published(relay, 5)
    messages = await stream_messages(js)
    assert [m.headers["Nats-Msg-Id"] for m in messages] == [f"{NODE}:{p}" for p in range(1, 6)]
    assert {m.subject for m in messages} == {f"ducha.{NODE}.evt.case.CaseProposed"}


async def test_message_body_is_the_envelope(js, reader, writer, registry, clock) -> None:
    await record_cases(writer, registry, clock, 1)
    async with running(Relay(reader, js, NODE)) as relay:
        await until_published(relay, 1)
    [message] = await stream_messages(js)
    assert message.data == reader.envelopes(0, 1)[0].model_dump_json().encode()


async def test_events_recorded_while_running_are_published_on_wake(js, reader, writer, registry, clock) -> None:
    relay = Relay(reader, js, NODE, poll=60)  # only a wake can bring the news in time
    writer.on_commit(lambda _position: relay.wake())  # called on the writer thread
    await record_cases(writer, registry, clock, 1)
    async with running(relay):
        await until_published(relay, 1)  # caught up: from now on it waits
        await record_cases(writer, registry, clock, 2)
        await until_published(relay, 3)


async def test_restarted_relay_publishes_nothing_twice(nc, js, reader, writer, registry, clock) -> None:
    await record_cases(writer, registry, clock, 4)
    async with running(Relay(reader, js, NODE)) as relay:
        await until_published(relay, 4)
    await record_cases(writer, registry, clock, 2)
    async with watching(nc) as published, running(Relay(reader, js, NODE)) as relay:
        await until_published(relay, 6)
    assert published == [5, 6]
    info = await js.stream_info(STREAM)
    assert info.state.messages == reader.last_position() == 6


async def test_tail_lost_by_the_server_is_published_again(nc, js, reader, writer, registry, clock) -> None:
    await record_cases(writer, registry, clock, 6)
    async with running(Relay(reader, js, NODE)) as relay:
        await until_published(relay, 6)
    # the server loses the last four messages: only the first two survive
    await js.delete_stream(STREAM)
    await ensure_stream(js, NODE)
    for envelope in reader.envelopes(0, 2):
        await js.publish(envelope.subject, envelope.model_dump_json().encode(), headers=headers_of(envelope, None))
    async with watching(nc) as published, running(Relay(reader, js, NODE)) as relay:
        await until_published(relay, 6)
    assert published == [3, 4, 5, 6]
    messages = await stream_messages(js)
    assert [m.headers["Nats-Msg-Id"] for m in messages] == [f"{NODE}:{p}" for p in range(1, 7)]


async def test_duplicate_ack_counts_as_published(js, reader, writer, registry, clock) -> None:
    await record_cases(writer, registry, clock, 3)
    envelopes = reader.envelopes(0, 3)
    first = envelopes[0]
    await js.publish(first.subject, first.model_dump_json().encode(), headers={"Nats-Msg-Id": first.message_id})
    relay = Relay(reader, js, NODE)
    await relay.publish_window(envelopes)
    assert relay.published_position == 3
    assert (await js.stream_info(STREAM)).state.messages == 3


async def test_message_after_a_hole_is_refused_by_the_stream(js, reader, writer, registry, clock) -> None:
    await record_cases(writer, registry, clock, 3)
    envelopes = reader.envelopes(0, 3)
    relay = Relay(reader, js, NODE)
    await relay.publish_window(envelopes[:1])
    relay.published_position = 2  # as if position 2 had been sent but lost on the way
    with pytest.raises(RelayError):
        await relay.publish_window(envelopes[2:])
    assert (await js.stream_info(STREAM)).state.messages == 1


async def test_relay_survives_a_missing_stream_and_catches_up(js, reader, writer, registry, clock) -> None:
    await record_cases(writer, registry, clock, 2)
    await js.delete_stream(STREAM)
    async with running(Relay(reader, js, NODE)) as relay:
        await asyncio.sleep(0.3)  # let it fail a few times; failing must not end it
        await ensure_stream(js, NODE)
        await until_published(relay, 2)
    assert (await js.stream_info(STREAM)).state.messages == 2
