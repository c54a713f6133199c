"""The case board folds case events into one row per case, filtered by state and unit."""

from __future__ import annotations

from uuid import uuid4

from projections.base import apply_batch
from projections.case_board import CaseBoard, get_case, list_cases
from projections.case_board_queries import repeat_candidates, repeat_candidates_query
from projections.store import ViewStore
from tests.projections.history import NOW


def test_proposed_case_appears_on_the_board_with_its_fields(history, views, board):
    case_id = history.propose(title="黑土地保护", targets=("220100", "220200"))
    apply_batch(views, board, history.envelopes())

    row = get_case(views, case_id)

    assert row is not None
    assert (row["title"], row["state"], row["sponsor_unit"]) == ("黑土地保护", "proposed", "220000-DCS")
    assert row["level"] == "220000"
    assert row["targets"] == ["220100", "220200"]
    assert row["covert"] is True
    assert (row["proposed_on"], row["window_start"], row["window_end"]) == ("2026-11-25", "2026-12-01", "2027-03-31")


def test_approval_moves_the_case_to_approved_with_its_decision_date(history, views, board):
    case_id = history.propose()
    history.approve(case_id)
    apply_batch(views, board, history.envelopes())

    row = get_case(views, case_id)

    assert (row["state"], row["decided_on"], row["version"], row["position"]) == ("approved", "2026-11-25", 2, 2)


def test_rejection_moves_the_case_to_rejected(history, views, board):
    case_id = history.propose()
    history.reject(case_id)
    apply_batch(views, board, history.envelopes())

    assert get_case(views, case_id)["state"] == "rejected"


def test_updated_at_is_the_recorded_time_not_the_wall_clock(history, views, board):
    case_id = history.propose()
    apply_batch(views, board, history.envelopes())

    assert get_case(views, case_id)["updated_at"] == NOW.isoformat()


def test_unknown_case_is_not_on_the_board(views):
    assert get_case(views, uuid4()) is None


def test_board_filters_by_state(history, views, board):
    approved, proposed = history.propose(), history.propose()
    history.approve(approved)
    apply_batch(views, board, history.envelopes())

    rows, total = list_cases(views, state="proposed")

    assert ([r["id"] for r in rows], total) == ([str(proposed)], 1)


def test_case_matches_a_unit_that_is_one_of_its_targets(history, views, board):
    history.propose(targets=("220100",))
    wanted = history.propose(targets=("220200", "220300"))
    apply_batch(views, board, history.envelopes())

    rows, total = list_cases(views, unit="220300")

    assert ([r["id"] for r in rows], total) == ([str(wanted)], 1)


def test_case_matches_its_sponsor_unit(history, views, board):
    history.propose()
    apply_batch(views, board, history.envelopes())

    _, total = list_cases(views, unit="220000-DCS")

    assert total == 1


def test_board_lists_newest_proposal_first_and_pages_with_the_total(history, views, board):
    older = history.propose(on=NOW.date().replace(day=20))
    newer = history.propose(on=NOW.date())
    apply_batch(views, board, history.envelopes())

    first_page, total = list_cases(views, limit=1)
    second_page, _ = list_cases(views, limit=1, offset=1)

    assert ([r["id"] for r in first_page + second_page], total) == ([str(newer), str(older)], 2)


def _candidates(views, targets):
    return repeat_candidates(
        views, targets=list(targets), topic="work-report", window_start="2026-12-01", window_end="2027-03-31",
        states=["approved"],
    )


def test_a_case_visiting_two_of_the_targets_is_one_repeat_candidate(history, views, board):
    case_id = history.propose(targets=("220100", "220200"))
    history.approve(case_id)
    apply_batch(views, board, history.envelopes())

    assert [row["id"] for row in _candidates(views, ("220100", "220200"))] == [str(case_id)]


def test_repeat_candidates_are_looked_up_from_the_targets_index(tmp_path):
    """SQLite's plan (PostgreSQL plans by its own statistics, whatever the join order written)."""
    views = ViewStore.open(None, tmp_path / "sqlite-views")
    views.install(CaseBoard())
    with views.read() as tx:
        sql, params = repeat_candidates_query(["220100"], "work-report", "2026-12-01", "2027-03-31", ["approved"], 20)
        plan = [row["detail"] for row in tx.query("EXPLAIN QUERY PLAN " + sql, params)]
    views.close()
    assert plan[0].startswith("SEARCH t USING COVERING INDEX case_board_targets_by_target")
