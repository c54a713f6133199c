"""A ledger warning (TaskWarningRaised) reaches its recipients through the notification adapter, from the stream."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

from domain.envelope import Envelope
from domain.actor import Actor, Role
from domain.ledger import TaskSource
from handlers.ledger_warnings import WarningDelivery


class Inbox:
    """A notifier that keeps what it was given."""

    def __init__(self) -> None:
        self.got: list[Envelope] = []

    def notify(self, envelope: Envelope) -> None:
        self.got.append(envelope)


async def test_a_red_light_warning_is_delivered_to_the_leader_and_the_handler(node, clock):
    office = Actor("220000-DCS", Role.AGENCY, "督查员")
    outcome = await node.tasks.register(
        office, title="新增城镇就业", source=TaskSource.WORK_REPORT, responsible_unit="220100", responsible_person="长春市刘",
        responsible_leader="副市长马", deadline=date(2026, 11, 30), standard="新增就业2万人",
    )
    clock.set(datetime(2026, 12, 2, 2, 0, tzinfo=UTC))
    await node.tasks.run_clock(lambda level: Actor(f"{level}-DCS", Role.AGENCY, "clock"), outcome.aggregate.id)
    inbox = Inbox()
    delivery = WarningDelivery(node.js, node.settings.node, inbox)
    delivery.durable = "ledger-warnings-test"
    running = asyncio.create_task(delivery.run())
    try:
        for _ in range(500):
            if inbox.got:
                break
            await asyncio.sleep(0.02)
    finally:
        running.cancel()
        await asyncio.wait({running}, timeout=2)
    assert [(e.payload["light"], e.payload["recipients"]) for e in inbox.got] == [("red", ["副市长马", "长春市刘"])]
