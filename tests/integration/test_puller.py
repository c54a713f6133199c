"""The projector's pull loop (`Puller`) on a real embedded nats-server: one request open at a time."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import nats
import pytest
from nats.js.api import AckPolicy, ConsumerConfig

from handlers.projector import Puller

STREAM, CONSUMER = "PULLER", "reader"


@pytest.fixture
async def js(nats_server) -> AsyncIterator:
    nc = await nats.connect(nats_server.url)
    context = nc.jetstream()
    await context.add_stream(name=STREAM, subjects=["puller.>"])
    await context.add_consumer(STREAM, ConsumerConfig(durable_name=CONSUMER, ack_policy=AckPolicy.EXPLICIT))
    yield context
    await nc.close()


async def started(js, batch: int = 10, expires: float = 5.0) -> Puller:
    puller = Puller(js, STREAM, CONSUMER, batch, expires)
    await puller.start()
    return puller


async def publish(js, *bodies: str) -> None:
    for body in bodies:
        await js.publish("puller.x", body.encode())


async def receive(puller: Puller, count: int, timeout: float = 5.0) -> list[str]:
    received: list[str] = []
    deadline = time.monotonic() + timeout
    while len(received) < count and time.monotonic() < deadline:
        for msg in await puller.next_batch(timeout=0.5):
            received.append(msg.data.decode())
            await msg.ack()
    return received


async def test_messages_arrive_in_stream_order_in_batches_of_at_most_the_batch_size(js):
    bodies = [str(n) for n in range(25)]
    await publish(js, *bodies)
    puller = await started(js, batch=10)

    sizes = []
    received: list[str] = []
    while len(received) < 25:
        batch = await puller.next_batch(timeout=5)
        sizes.append(len(batch))
        received += [m.data.decode() for m in batch]
        for m in batch:
            await m.ack()

    assert received == bodies and max(sizes) <= 10
    await puller.stop()


async def test_a_used_up_request_is_followed_at_once_by_the_next(js):
    puller = await started(js, batch=5, expires=30.0)  # an expiry would come far too late
    await publish(js, *(str(n) for n in range(23)))

    assert await receive(puller, 23, timeout=3.0) == [str(n) for n in range(23)]
    await puller.stop()


async def test_a_message_after_the_open_request_expired_arrives_without_a_wait_of_its_own(js):
    puller = await started(js, batch=10, expires=0.2)
    await asyncio.sleep(0.7)  # several requests expire, each followed by the next
    await publish(js, "late")

    assert [m.data for m in await puller.next_batch(timeout=0.3)] == [b"late"]
    await puller.stop()


async def test_a_request_the_server_ends_is_asked_again_after_one_wait(js):
    puller = await started(js, batch=10, expires=5.0)
    while (await js.consumer_info(STREAM, CONSUMER)).num_waiting != 1:
        await asyncio.sleep(0.01)  # the request is open on the consumer
    await js.delete_consumer(STREAM, CONSUMER)  # the server ends the open request (409)
    await js.add_consumer(STREAM, ConsumerConfig(durable_name=CONSUMER, ack_policy=AckPolicy.EXPLICIT))
    await publish(js, "after")

    assert await receive(puller, 1, timeout=3.0) == ["after"]
    await puller.stop()


async def test_stopped_puller_asks_for_nothing_more(js):
    puller = await started(js, batch=10, expires=0.2)
    await puller.stop()
    await publish(js, "unread")
    await asyncio.sleep(0.5)

    info = await js.consumer_info(STREAM, CONSUMER)
    assert info.num_ack_pending == 0 and info.num_pending == 1
