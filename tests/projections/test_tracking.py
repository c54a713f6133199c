"""Tracking: exactly-once effect on at-least-once delivery, in one transaction with the view."""

from __future__ import annotations

from uuid import uuid4

from projections.base import Tracking, apply_batch, digest
from projections.case_board import get_case, list_cases
from tests.projections.history import NODE, ignored_event, poison_event


def test_redelivered_envelope_has_no_second_effect(history, views, board):
    case_id = history.propose()
    history.approve(case_id)
    proposed, approved = history.envelopes()
    apply_batch(views, board, [proposed, approved])
    before = digest(views, board)

    result = apply_batch(views, board, [proposed])

    assert (result.applied, result.skipped) == (0, 1)
    assert digest(views, board) == before
    assert get_case(views, case_id)["state"] == "approved"


def test_batch_advances_tracking_to_its_last_position(history, views, board):
    history.propose()
    history.propose()
    apply_batch(views, board, history.envelopes())

    assert views.tracked_position(board.name, NODE) == 2


def test_ignored_event_still_advances_tracking(history, views, board):
    history.propose()
    (proposed,) = history.envelopes()
    apply_batch(views, board, [proposed])

    apply_batch(views, board, [ignored_event(proposed)])

    assert views.tracked_position(board.name, NODE) == proposed.position + 1


def test_poison_envelope_is_dead_lettered_and_the_rest_of_the_batch_applies(history, views, board):
    history.propose()
    (proposed,) = history.envelopes()
    poison = poison_event(proposed)
    history.propose()
    after = history.envelopes(proposed.position)[0].model_copy(update={"position": poison.position + 1})

    result = apply_batch(views, board, [proposed, poison, after])

    assert ([e.position for e in result.dead], result.applied) == ([poison.position], 2)
    assert list_cases(views)[1] == 2
    with views.transaction() as tx:
        letters = tx.query("SELECT position, error FROM dead_letters")
    assert letters[0]["position"] == poison.position and "KeyError" in letters[0]["error"]


def test_poison_envelope_leaves_no_partial_rows(history, views, board):
    history.propose()
    (proposed,) = history.envelopes()
    # Fails after its case row is written (no targets to list), so only the savepoint can undo that row.
    poison = proposed.model_copy(
        update={
            "aggregate_id": uuid4(), "position": proposed.position + 1, "payload": proposed.payload | {"targets": None}
        }
    )

    apply_batch(views, board, [proposed, poison])

    assert get_case(views, poison.aggregate_id) is None
    assert get_case(views, proposed.aggregate_id) is not None


def test_positions_handed_to_a_tracking_are_left_as_they_were_when_its_transaction_rolls_back(history, views, board):
    history.propose()
    (proposed,) = history.envelopes()
    kept = {NODE: 0}

    try:
        with views.transaction() as tx:
            tracking = Tracking(tx, board.name, kept)
            tracking.advance(proposed)
            tracking.save()
            raise RuntimeError("the batch failed")
    except RuntimeError:
        pass

    assert kept == {NODE: 0}
    assert views.tracked_position(board.name, NODE) == 0


def test_tracking_handed_positions_writes_only_the_rows_that_changed(history, views, board):
    history.propose()
    (proposed,) = history.envelopes()
    with views.transaction() as tx:
        tracking = Tracking(tx, board.name, {"210000": 7})
        tracking.advance(proposed)
        tracking.save()

    with views.transaction() as tx:
        rows = tx.query("SELECT node, position FROM projection_tracking WHERE projection = ?", (board.name,))
    assert rows == [{"node": NODE, "position": proposed.position}]
