"""Overdue lists (逾期清单) of the task ledger, read from the ledger tree's rows (`projections/ledger_tree.py`):
open tasks whose deadline has passed today, judged at query time from the stored deadline, with
whether the clock has marked them overdue (TaskOverdue) and when they were last urged (催办).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from projections.ledger_tree import COLUMNS, decoded
from projections.store import ViewStore


def overdue_tasks(views: ViewStore, today: date) -> list[dict[str, Any]]:
    """Open tasks past their deadline on `today`, the longest overdue first."""
    with views.read() as tx:
        rows = tx.query(
            f"SELECT {', '.join(COLUMNS)} FROM ledger_tasks WHERE state IN ('registered', 'accepted') AND deadline < ? "
            "ORDER BY deadline, task_id", (today.isoformat(),),
        )
    return [{**decoded(r), "days_overdue": (today - date.fromisoformat(r["deadline"])).days} for r in rows]
