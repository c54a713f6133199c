"""What is due next on a case (督查事项), from the dates the case board keeps (`projections/case_board.py`).

Computed inside the fold, from the board's own rows, so it is as deterministic as the fold.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from projections.store import Tx

SETTLED = ("verified", "waived")  # requirement statuses with nothing left due
FINISHED = ("rejected", "merged", "closed")  # case states with nothing left due


def next_due(tx: Tx, case_id: str, row: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """(what is due next, on which day) from the stored dates; (None, None) when nothing is due.

    `row` is the case's row (its `state`, `window_start` and `window_end`) as the event being
    applied leaves it; the per-target and per-requirement dates are read from their tables.

    Before the plan, the planned window's start; planned, the earliest on-site start of a
    notified target not yet visited, else the window's end (the report is due); reported, the
    earliest of an open review's decision day (Art. 17) and an open requirement's deadline
    (a requirement waits while its conclusion's review is open).
    """
    state = row["state"]
    if state in FINISHED:
        return None, None
    if state in ("proposed", "approved"):
        return "window-start", row["window_start"]
    if state == "planned":
        starts = tx.query_one(
            "SELECT MIN(site_work_starts) AS d FROM case_board_targets WHERE case_id = ? "
            "AND site_work_starts IS NOT NULL AND visited_on IS NULL", (case_id,),
        )
        return ("site-work-start", starts["d"]) if starts and starts["d"] else ("window-end", row["window_end"])
    return _after_report(tx, case_id)


def _after_report(tx: Tx, case_id: str) -> tuple[str | None, str | None]:
    review = tx.query_one(
        "SELECT MIN(review_decide_by) AS d FROM case_board_targets WHERE case_id = ? AND review_open = 1", (case_id,)
    )
    rectification = tx.query_one(
        "SELECT MIN(r.deadline) AS d FROM case_board_requirements r JOIN case_board_targets t "
        "ON t.case_id = r.case_id AND t.target = r.target WHERE r.case_id = ? AND t.review_open = 0 "
        "AND r.status NOT IN (?, ?)", (case_id, *SETTLED),
    )
    found = ((review, "review-decision"), (rectification, "rectification"))
    candidates = [(d["d"], kind) for d, kind in found if d and d["d"]]
    if not candidates:
        return None, None
    day, kind = min(candidates)
    return kind, day
