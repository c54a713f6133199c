"""Rebuild and digest: a view rebuilt from the history is identical to the live one."""

from __future__ import annotations

from projections.base import apply_batch, digest, rebuild
from projections.case_board import get_case


def _live_history(history):
    for n in range(5):
        case_id = history.propose(title=f"事项{n}", targets=("220100", "220200")[: 1 + n % 2])
        if n % 2:
            history.approve(case_id)
        elif n == 4:
            history.reject(case_id)
    return history.envelopes()


def test_rebuilt_view_has_the_digest_of_the_live_view(history, views, board):
    envelopes = _live_history(history)
    for envelope in envelopes:  # live: one event at a time, some redelivered
        apply_batch(views, board, [envelope])
    apply_batch(views, board, envelopes[:3])
    live = digest(views, board)

    rebuild(views, board, iter(envelopes), batch=2)

    assert digest(views, board) == live


def test_rebuild_reports_progress_per_batch(history, views, board):
    envelopes = _live_history(history)
    seen: list[int] = []

    rebuild(views, board, envelopes, progress=seen.append, batch=3)

    assert sum(seen) == len(envelopes) and len(seen) == -(-len(envelopes) // 3)


def test_rebuild_starts_from_an_empty_view(history, views, board):
    envelopes = _live_history(history)
    apply_batch(views, board, envelopes)

    rebuild(views, board, envelopes[:1])

    assert get_case(views, envelopes[1].aggregate_id) is None


def test_digest_changes_when_the_view_changes(history, views, board):
    case_id = history.propose()
    apply_batch(views, board, history.envelopes())
    before = digest(views, board)

    history.approve(case_id)
    apply_batch(views, board, history.envelopes())

    assert digest(views, board) != before
