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
from handlers.relay import Relay, StreamMoved, ensure_stream, headers_of

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
        await js.publish(envelope.subject, envelope.model_dump_json().encode(), headers=headers_of(envelope))
    async with watching(nc) as published, running(Relay(reader, js, NODE)) as relay:
        await until_published(relay, 6)
    assert published == [3, 4, 5, 6]
    messages = await stream_messages(js)
    assert [m.headers["Nats-Msg-Id"] for m in messages] == [f"{NODE}:{p}" for p in range(1, 7)]


async def publish_by_hand(js: JetStreamContext, envelopes) -> None:
    """Publishes envelopes one by one, as another (old) relay would: message id and position only."""
    for envelope in envelopes:
        await js.publish(envelope.subject, envelope.model_dump_json().encode(), headers=headers_of(envelope))


def message_ids(messages) -> list[str]:
    return [m.headers["Nats-Msg-Id"] for m in messages]


async def test_events_waiting_together_go_out_as_one_atomic_batch(js, reader, writer, registry, clock) -> None:
    await record_cases(writer, registry, clock, 5)
    relay = Relay(reader, js, NODE, batch_from=1)
    await relay.publish_pending()
    messages = await stream_messages(js)
    assert len({m.headers["Nats-Batch-Id"] for m in messages}) == 1
    assert [m.headers.get("Nats-Batch-Commit") for m in messages] == [None, None, None, None, "1"]


async def test_batches_hold_at_most_a_window_of_events(js, reader, writer, registry, clock) -> None:
    await record_cases(writer, registry, clock, 5)
    relay = Relay(reader, js, NODE, window=2, batch_from=1)
    await relay.publish_pending()
    messages = await stream_messages(js)
    assert [m.headers["Nats-Batch-Sequence"] for m in messages] == ["1", "2", "1", "2", "1"]


async def test_fewer_events_than_batch_from_go_out_one_by_one(js, reader, writer, registry, clock) -> None:
    await record_cases(writer, registry, clock, 3)
    relay = Relay(reader, js, NODE, batch_from=4)
    await relay.publish_pending()
    messages = await stream_messages(js)
    assert message_ids(messages) == [f"{NODE}:{p}" for p in range(1, 4)]
    assert not any("Nats-Batch-Id" in m.headers for m in messages)


async def test_batches_and_single_messages_chain_on_one_stream(js, reader, writer, registry, clock) -> None:
    relay = Relay(reader, js, NODE, batch_from=3)
    for count in (2, 4, 1, 3):  # one by one, a batch, one, a batch
        await record_cases(writer, registry, clock, count)
        await relay.publish_pending()
    messages = await stream_messages(js)
    assert message_ids(messages) == [f"{NODE}:{p}" for p in range(1, 11)]
    assert (relay.published_position, relay.stream_sequence) == (10, 10)


async def test_message_after_a_hole_sends_the_relay_to_the_streams_tail(js, reader, writer, registry, clock) -> None:
    await record_cases(writer, registry, clock, 3)
    relay = Relay(reader, js, NODE)
    await relay.publish_batch(reader.envelopes(0, 1))
    relay.published_position = relay.stream_sequence = 2  # as if position 2 had been sent and acked, but lost
    await relay.publish_pending()  # position 3 expects position 2 last: refused, then 2 and 3 again
    assert message_ids(await stream_messages(js)) == [f"{NODE}:{p}" for p in range(1, 4)]


async def test_batch_is_stored_whole_or_not_at_all(js, reader, writer, registry, clock) -> None:
    await record_cases(writer, registry, clock, 3)
    envelopes = reader.envelopes(0, 3)
    await publish_by_hand(js, envelopes[1:2])  # the stream holds position 2 only
    relay = Relay(reader, js, NODE)
    relay.stream_sequence = 1  # the batch's expected last sequence holds: only the duplicate refuses it
    with pytest.raises(StreamMoved):
        await relay.publish_batch(envelopes)
    assert message_ids(await stream_messages(js)) == [f"{NODE}:2"]  # neither 1 nor 3 was stored


async def test_batch_republished_after_a_lost_ack_is_refused_whole(js, reader, writer, registry, clock) -> None:
    await record_cases(writer, registry, clock, 3)
    envelopes = reader.envelopes(0, 3)
    relay = Relay(reader, js, NODE)
    await relay.publish_batch(envelopes)
    relay.published_position = relay.stream_sequence = 0  # as if the commit's ack had been lost
    with pytest.raises(StreamMoved):
        await relay.publish_batch(envelopes)
    assert message_ids(await stream_messages(js)) == [f"{NODE}:{p}" for p in range(1, 4)]


async def test_batch_the_stream_already_holds_counts_as_published(js, reader, writer, registry, clock) -> None:
    await record_cases(writer, registry, clock, 3)
    relay = Relay(reader, js, NODE, batch_from=1)
    await relay.publish_batch(reader.envelopes(0, 3))
    relay.published_position = relay.stream_sequence = 0  # as if the commit's ack had been lost
    await relay.publish_pending()
    assert (relay.published_position, relay.stream_sequence) == (3, 3)
    assert (await js.stream_info(STREAM)).state.messages == 3


async def test_messages_the_stream_already_holds_are_not_published_again(js, reader, writer, registry, clock) -> None:
    await record_cases(writer, registry, clock, 3)
    await publish_by_hand(js, reader.envelopes(0, 1))
    relay = Relay(reader, js, NODE)  # not resumed: it believes the stream empty
    await relay.publish_pending()
    assert relay.published_position == 3
    assert message_ids(await stream_messages(js)) == [f"{NODE}:{p}" for p in range(1, 4)]


async def test_batch_after_the_wrong_last_sequence_is_refused(js, reader, writer, registry, clock) -> None:
    await record_cases(writer, registry, clock, 3)
    envelopes = reader.envelopes(0, 3)
    relay = Relay(reader, js, NODE)
    await relay.publish_batch(envelopes[:1])
    relay.published_position = relay.stream_sequence = 2  # as if a batch ending at 2 had been acked but lost
    with pytest.raises(StreamMoved):
        await relay.publish_batch(envelopes[2:])
    assert message_ids(await stream_messages(js)) == [f"{NODE}:1"]


async def test_wrong_last_sequence_sends_the_relay_to_the_streams_tail(js, reader, writer, registry, clock) -> None:
    await record_cases(writer, registry, clock, 4)
    relay = Relay(reader, js, NODE, batch_from=1)
    await relay.publish_pending()
    # the server loses the last two messages while the relay runs: it believes the stream at 4
    await js.delete_stream(STREAM)
    await ensure_stream(js, NODE)
    await publish_by_hand(js, reader.envelopes(0, 2))
    await record_cases(writer, registry, clock, 2)
    await relay.publish_pending()
    assert relay.published_position == 6
    assert message_ids(await stream_messages(js)) == [f"{NODE}:{p}" for p in range(1, 7)]


async def test_refused_again_after_reading_the_tail_is_an_error(js, reader, writer, registry, clock) -> None:
    await record_cases(writer, registry, clock, 2)
    relay = Relay(reader, js, NODE, batch_from=1)
    await relay.publish_pending()
    await js.purge_stream(STREAM)  # the stream is empty, but still remembers both message ids
    await record_cases(writer, registry, clock, 1)
    relay.published_position = 0  # the store's history is published from the start again: all refused
    with pytest.raises(StreamMoved):
        await relay.publish_pending()


async def test_relay_survives_a_missing_stream_and_catches_up(js, reader, writer, registry, clock) -> None:
    await record_cases(writer, registry, clock, 2)
    await js.delete_stream(STREAM)
    async with running(Relay(reader, js, NODE)) as relay:
        await asyncio.sleep(0.3)  # let it fail a few times; failing must not end it
        await ensure_stream(js, NODE)
        await until_published(relay, 2)
    assert (await js.stream_info(STREAM)).state.messages == 2
