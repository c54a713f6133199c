"""The clock handler on a real event store, its due-items view fed straight from the store (no bus)."""

from __future__ import annotations

from datetime import timedelta

from ducha.bootstrap import Node
from ducha.clock import SetClock
from handlers.clock import ClockHandler
from tests.handlers.clock_given import CLOCK_ACTOR, built, event_counts, feed, overdue_case, tick

__all__ = ["built"]  # the fixture


async def test_a_requirement_past_its_deadline_is_marked_overdue_once(built: Node):
    await overdue_case(built)
    await tick(built, times=3)
    assert event_counts(built)["RectificationOverdue"] == 1


async def test_an_undecided_review_past_its_decision_day_is_marked_overdue_once(built: Node):
    await overdue_case(built)
    await tick(built, times=3)
    assert event_counts(built)["ReviewDecisionOverdue"] == 1


async def test_the_target_of_an_overdue_requirement_is_urged_once_within_the_interval(built: Node):
    await overdue_case(built)
    await tick(built, times=3)
    assert event_counts(built)["TargetUrged"] == 1


async def test_the_target_is_urged_again_after_the_urging_interval(built: Node, clock: SetClock):
    await overdue_case(built)
    await tick(built)
    clock.set(clock.now() + timedelta(days=built.policy.urging_interval_days))
    await tick(built, times=2)
    assert event_counts(built)["TargetUrged"] == 2


async def test_a_second_clock_on_the_same_node_records_nothing_more(built: Node, clock: SetClock):
    await overdue_case(built)
    feed(built)
    other = ClockHandler(built.cases, built.views, clock, built.policy, "220000")
    assert built.clock_handler is not None
    await built.clock_handler.tick()
    second = await other.tick()
    assert second.visited and not second.recorded


async def test_nothing_is_due_before_the_deadline(built: Node, clock: SetClock):
    await overdue_case(built)
    clock.set(clock.now().replace(month=9, day=30))
    await tick(built)
    counts = event_counts(built)
    assert (counts["RectificationOverdue"], counts["ReviewDecisionOverdue"], counts["TargetUrged"]) == (0, 0, 0)


async def test_a_case_with_nothing_due_is_not_visited(built: Node, clock: SetClock):
    await overdue_case(built)
    clock.set(clock.now().replace(month=9, day=30))
    feed(built)
    assert built.clock_handler is not None
    assert (await built.clock_handler.tick()).visited == []


async def test_the_clock_acts_as_the_node_s_supervision_office(built: Node):
    await overdue_case(built)
    await tick(built)
    actors = [e.actor for e in built.reader.iter_envelopes() if e.type in ("RectificationOverdue", "TargetUrged", "ReviewDecisionOverdue")]
    assert actors == [CLOCK_ACTOR] * 3


async def test_the_clock_s_events_are_dated_by_the_node_s_clock(built: Node, clock: SetClock):
    await overdue_case(built)
    await tick(built)
    days = {e.occurred_on for e in built.reader.iter_envelopes() if e.type in ("RectificationOverdue", "TargetUrged")}
    assert days == {clock.now().date()}
