"""Recent cases: what the writer saved that the board may not show yet, and when that is not known."""

from __future__ import annotations

import pytest

from ducha.recent_cases import RecentCases


@pytest.fixture
def recent(history) -> RecentCases:
    remembered = RecentCases(complete_after=history.writer.last_position)
    history.writer.on_recorded(remembered.record)
    return remembered


def test_each_case_saved_after_the_applied_position_is_given_as_it_last_stood(history, recent):
    first = history.propose()
    history.approve(first)
    second = history.propose()

    since = recent.since(applied=0, up_to=history.writer.last_position)

    assert {case_id: summary.state for case_id, summary in since.items()} == {
        str(first): "approved", str(second): "proposed",
    }


def test_what_was_saved_after_the_commands_own_position_is_left_out(history, recent):
    first = history.propose()
    position = history.writer.last_position
    history.approve(first)

    assert recent.since(applied=0, up_to=position)[str(first)].state == "proposed"


def test_what_the_board_has_applied_is_left_out(history, recent):
    history.propose()
    applied = history.writer.last_position
    later = history.propose()

    assert list(recent.since(applied=applied, up_to=history.writer.last_position)) == [str(later)]


def test_a_board_behind_what_was_saved_before_the_node_started_is_not_covered(history):
    history.propose()
    remembered = RecentCases(complete_after=history.writer.last_position)
    history.writer.on_recorded(remembered.record)
    history.propose()

    assert remembered.since(applied=0, up_to=history.writer.last_position) is None


def test_a_board_behind_the_summaries_dropped_past_the_bound_is_not_covered(history):
    remembered = RecentCases(complete_after=0, keep=2)
    history.writer.on_recorded(remembered.record)
    for _ in range(3):
        history.propose()

    assert remembered.since(applied=0, up_to=history.writer.last_position) is None
    assert len(remembered.since(applied=1, up_to=history.writer.last_position)) == 2
