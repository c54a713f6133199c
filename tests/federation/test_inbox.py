"""The inbox under FastStream's in-memory broker: signature, direction, idempotence, order."""

from __future__ import annotations

import pytest
from faststream.nats import TestNatsBroker

from ducha.federation import state
from ducha.federation.inbox import Verdict
from ducha.federation.runner import federation_broker
from tests.federation.builders import CITY, COUNTY, COUNTY_UNIT, PROVINCE, assignment, message


async def deliver(level, signed) -> None:
    """Publishes the message's bytes on its subject through the inbox's real subscriber (in memory)."""
    async with TestNatsBroker(federation_broker(level.inbox)) as broker:
        await broker.publish(signed.model_dump_json().encode(), signed.subject)


async def test_signed_assignment_from_the_superior_registers_the_task(city, keys):
    contract = assignment()

    await deliver(city, message(contract, sender=PROVINCE, receiver=CITY, key=keys[PROVINCE]))

    task = city.node.tasks.load(contract.task_id, object)
    assert (task.responsible_unit, task.level, task.state.value) == (CITY, PROVINCE, "registered")


async def test_a_redelivered_assignment_has_no_second_effect(city, keys):
    signed = message(assignment(), sender=PROVINCE, receiver=CITY, key=keys[PROVINCE])

    await deliver(city, signed)
    await deliver(city, signed)

    assert city.task_events() == ["TaskRegistered"]


async def test_an_old_message_replayed_after_later_ones_changes_nothing(city, keys):
    first = message(assignment(), sender=PROVINCE, receiver=CITY, seq=1, key=keys[PROVINCE])
    second = message(assignment(), sender=PROVINCE, receiver=CITY, seq=2, key=keys[PROVINCE])
    await city.inbox.handle(first.model_dump_json().encode(), first.subject)
    await city.inbox.handle(second.model_dump_json().encode(), second.subject)

    verdict = await city.inbox.handle(first.model_dump_json().encode(), first.subject)

    assert verdict is Verdict.REPLAY and city.task_events() == ["TaskRegistered", "TaskRegistered"]


async def test_an_unsigned_message_is_dead_lettered_and_changes_nothing(city):
    await deliver(city, message(assignment(), sender=PROVINCE, receiver=CITY, key=None))

    assert city.task_events() == []
    assert [d["reason"] for d in state.dead_letters(city.node.views)] == ["unsigned"]


async def test_a_message_signed_with_another_nodes_key_is_dead_lettered(city, keys):
    forged = message(assignment(), sender=PROVINCE, receiver=CITY, key=keys[COUNTY])

    await deliver(city, forged)

    assert city.task_events() == []
    assert [d["reason"] for d in state.dead_letters(city.node.views)] == ["bad signature"]


async def test_a_message_altered_after_signing_is_dead_lettered(city, keys):
    signed = message(assignment(), sender=PROVINCE, receiver=CITY, key=keys[PROVINCE])
    altered = signed.model_copy(update={"body": {**signed.body, "standard": "新增就业1人"}})

    await deliver(city, altered)

    assert city.task_events() == []
    assert [d["reason"] for d in state.dead_letters(city.node.views)] == ["bad signature"]


async def test_an_assignment_from_a_subordinate_is_dead_lettered_as_wrong_direction(city, keys):
    upward = message(assignment(by=COUNTY_UNIT), sender=COUNTY, receiver=CITY, key=keys[COUNTY])

    await deliver(city, upward)

    assert city.task_events() == []
    (dead,) = state.dead_letters(city.node.views)
    assert dead["reason"].startswith("wrong direction")


async def test_a_message_after_a_gap_waits_for_the_one_before_it(city, keys):
    second = message(assignment(), sender=PROVINCE, receiver=CITY, seq=2, key=keys[PROVINCE])

    verdict = await city.inbox.handle(second.model_dump_json().encode(), second.subject)

    assert verdict is Verdict.WAIT and city.task_events() == []


async def test_the_waiting_message_is_applied_once_the_gap_is_filled(city, keys):
    first = message(assignment(), sender=PROVINCE, receiver=CITY, seq=1, key=keys[PROVINCE])
    second = message(assignment(), sender=PROVINCE, receiver=CITY, seq=2, key=keys[PROVINCE])
    await city.inbox.handle(second.model_dump_json().encode(), second.subject)
    await city.inbox.handle(first.model_dump_json().encode(), first.subject)

    verdict = await city.inbox.handle(second.model_dump_json().encode(), second.subject)

    assert verdict is Verdict.APPLIED and city.task_events() == ["TaskRegistered", "TaskRegistered"]


@pytest.mark.parametrize("garbage", [b"not json", b'{"message_id": 1}'])
async def test_a_malformed_message_is_dead_lettered(city, garbage):
    await city.inbox.handle(garbage, f"ducha.{PROVINCE}.msg.{CITY}.TaskAssigned")

    assert city.task_events() == []
    assert state.dead_letters(city.node.views)[0]["reason"].startswith("malformed")
