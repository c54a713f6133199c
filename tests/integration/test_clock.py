"""The clock on a real node (embedded nats-server, SQLite files or PostgreSQL): exactly once across restarts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

from ducha.bootstrap import Node, bootstrap
from ducha.clock import SetClock
from ducha.settings import Settings
from tests.handlers.clock_given import event_counts, overdue_case

CLOCK_EVENTS = ("RectificationOverdue", "ReviewDecisionOverdue", "TargetUrged")


@pytest.fixture
async def start(settings: Settings, clock: SetClock, registry) -> AsyncIterator[Callable]:
    """Starts nodes on the same settings (a restart is a second start); stops those still running at the end."""
    running: list[Node] = []

    async def started(**changes) -> Node:
        node = bootstrap(settings.model_copy(update=changes), clock=clock, registry=registry)
        await node.start()
        running.append(node)
        return node

    yield started
    for node in running:
        if node.nc is not None:
            await node.stop()


async def caught_up(node: Node) -> None:
    assert await node.projectors["due_items"].wait_for(node.reader.last_position(), timeout=30)


async def test_a_restarted_node_neither_marks_nor_urges_again(start, clock: SetClock):
    first = await start()
    await overdue_case(first)
    await caught_up(first)
    assert first.clock_handler is not None
    await first.clock_handler.tick()
    await first.stop()
    second = await start()
    await caught_up(second)
    assert second.clock_handler is not None
    await second.clock_handler.tick()
    counts = event_counts(second)
    assert [counts[name] for name in CLOCK_EVENTS] == [1, 1, 1]


async def test_two_ticks_of_a_running_node_record_each_item_once(start):
    node = await start()
    await overdue_case(node)
    assert node.clock_handler is not None
    for _ in range(2):
        await caught_up(node)
        await node.clock_handler.tick()
    counts = event_counts(node)
    assert [counts[name] for name in CLOCK_EVENTS] == [1, 1, 1]


async def test_a_running_node_s_clock_ticks_on_its_own(start):
    node = await start(clock_interval=0.2)
    await overdue_case(node)
    async with asyncio.timeout(30):  # a bound on the wait, not a timing assertion
        while event_counts(node)["RectificationOverdue"] == 0:
            await asyncio.sleep(0.1)
    assert event_counts(node)["TargetUrged"] == 1
