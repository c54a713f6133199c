"""Read-your-writes waits by position, and what a delivery reads from its ack subject (no server needed)."""

from __future__ import annotations

import asyncio

from nats.aio.msg import Msg

from handlers.projector import Delivery, Waits

V1_REPLY = "$JS.ACK.DUCHA_220000.case_board.3.12345.12000.1764150000000000000.100"
V2_REPLY = "$JS.ACK.hub.ACCOUNTHASH.DUCHA_220000.case_board.3.12345.12000.1764150000000000000.100.token"


async def test_wait_is_answered_once_its_position_is_reached():
    waits = Waits()
    waiting = asyncio.create_task(waits.wait(5, timeout=5))
    await asyncio.sleep(0)

    waits.reached(5)

    assert await waiting is True


async def test_wait_is_not_answered_by_an_earlier_position():
    waits = Waits()
    waiting = asyncio.create_task(waits.wait(5, timeout=5))
    await asyncio.sleep(0)

    waits.reached(4)
    await asyncio.sleep(0)

    assert not waiting.done()
    waits.reached(5)
    await waiting


async def test_one_reached_position_answers_every_wait_at_or_below_it_and_none_above():
    waits = Waits()
    waiting = {position: asyncio.create_task(waits.wait(position, timeout=5)) for position in (3, 1, 7, 2)}
    await asyncio.sleep(0)

    waits.reached(3)
    await asyncio.sleep(0)

    assert sorted(p for p, task in waiting.items() if task.done()) == [1, 2, 3]
    waits.reached(7)
    await asyncio.gather(*waiting.values())


async def test_wait_answers_false_when_its_timeout_runs_out_and_is_forgotten():
    waits = Waits()

    assert await waits.wait(5, timeout=0.01) is False
    assert waits._heap == []


async def test_wait_cancelled_by_its_caller_is_forgotten():
    waits = Waits()
    waiting = asyncio.create_task(waits.wait(5, timeout=5))
    await asyncio.sleep(0)

    waiting.cancel()
    await asyncio.gather(waiting, return_exceptions=True)

    assert waits._heap == []


def message(reply: str) -> Msg:
    return Msg(None, subject="ducha.220000.evt.case.CaseProposed", reply=reply, data=b"{}",  # type: ignore[arg-type]
               headers={"Nats-Msg-Id": "220000:9"})


def test_delivery_reads_count_and_sequence_from_an_ack_subject_without_domain():
    delivery = Delivery.of(message(V1_REPLY))

    assert (delivery.delivered, delivery.sequence, delivery.msg_id) == (3, 12345, "220000:9")


def test_delivery_reads_count_and_sequence_from_an_ack_subject_with_domain_and_account():
    delivery = Delivery.of(message(V2_REPLY))

    assert (delivery.delivered, delivery.sequence) == (3, 12345)


def test_delivery_reads_what_nats_py_reads_from_the_same_subject():
    for reply in (V1_REPLY, V2_REPLY):
        msg = message(reply)
        delivery = Delivery.of(msg)
        assert (delivery.delivered, delivery.sequence) == (msg.metadata.num_delivered, msg.metadata.sequence.stream)


def test_message_from_outside_jetstream_is_a_first_delivery():
    delivery = Delivery.of(message("_INBOX.abc"))

    assert (delivery.delivered, delivery.sequence) == (1, 0)
