"""What falls due (到期事项): the clock's worklist, so that it finds work without loading cases.

One row per rectification requirement (整改意见, due on its deadline) and per review
application (复核, Art. 17: decided by its `decide_by` day): the case, the target, the
requirement, the kind, the due day, whether it is done, whether it waits on an open review,
when the clock marked it overdue and when the target was last urged (催办). Every value
comes from the envelopes (never the wall clock), so a rebuilt view equals the live one.
The view only points the clock at cases; the Case aggregate decides what is newly due, so a
view that lags behind costs a visit that records nothing, never a second event.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from domain.envelope import Envelope
from projections.store import Tx, ViewStore

RECTIFICATION = "rectification"
REVIEW_DECISION = "review-decision"

DDL = (
    """CREATE TABLE IF NOT EXISTS due_items (
        case_id TEXT NOT NULL, kind TEXT NOT NULL, item TEXT NOT NULL, target TEXT NOT NULL,
        requirement TEXT, due_on TEXT NOT NULL, done INTEGER NOT NULL DEFAULT 0, waiting INTEGER NOT NULL DEFAULT 0,
        overdue_on TEXT, urged_on TEXT, PRIMARY KEY (case_id, kind, item))""",
    "CREATE INDEX IF NOT EXISTS due_items_open ON due_items (done, due_on)",
)

COLUMNS = ("case_id", "kind", "item", "target", "requirement", "due_on", "done", "waiting", "overdue_on", "urged_on")

UPSERT_REQUIREMENT = (
    "INSERT INTO due_items (case_id, kind, item, target, requirement, due_on) VALUES (?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (case_id, kind, item) DO UPDATE SET due_on = excluded.due_on, done = 0, waiting = 0, overdue_on = NULL"
)


def _case(envelope: Envelope) -> str:
    return str(envelope.aggregate_id)


def _requirements(tx: Tx, case_id: str, target: str, requirements: list[dict[str, Any]]) -> None:
    """A requirement is (again) open and due on its deadline: a new conclusion's, or a review's amendment."""
    tx.executemany(
        UPSERT_REQUIREMENT, [(case_id, RECTIFICATION, r["id"], target, r["id"], r["deadline"]) for r in requirements]
    )


def on_concluded(tx: Tx, envelope: Envelope) -> None:
    p = envelope.payload
    _requirements(tx, _case(envelope), p["target"], p["requirements"])


def on_review_requested(tx: Tx, envelope: Envelope) -> None:
    p, case_id = envelope.payload, _case(envelope)
    tx.execute(
        "INSERT INTO due_items (case_id, kind, item, target, due_on) VALUES (?, ?, ?, ?, ?)",
        (case_id, REVIEW_DECISION, p["target"], p["target"], p["decide_by"]),
    )
    tx.execute(  # the requirements wait while the review is open
        "UPDATE due_items SET waiting = 1 WHERE case_id = ? AND kind = ? AND target = ?", (case_id, RECTIFICATION, p["target"])
    )


def on_review_decided(tx: Tx, envelope: Envelope) -> None:
    p, case_id = envelope.payload, _case(envelope)
    tx.execute("UPDATE due_items SET done = 1 WHERE case_id = ? AND kind = ? AND item = ?", (case_id, REVIEW_DECISION, p["target"]))
    tx.execute(
        "UPDATE due_items SET waiting = 0 WHERE case_id = ? AND kind = ? AND target = ?", (case_id, RECTIFICATION, p["target"])
    )
    if p["outcome"] != "amended":
        return
    kept = [r["id"] for r in p["requirements"]]
    dropped = tx.query(
        "SELECT item FROM due_items WHERE case_id = ? AND kind = ? AND target = ?", (case_id, RECTIFICATION, p["target"])
    )
    tx.executemany(  # requirements the amendment dropped are waived
        "UPDATE due_items SET done = 1 WHERE case_id = ? AND kind = ? AND item = ?",
        [(case_id, RECTIFICATION, row["item"]) for row in dropped if row["item"] not in kept],
    )
    _requirements(tx, case_id, p["target"], p["requirements"])


def _set(column: str, value: Callable[[Envelope], Any], kind: str, item: str) -> Callable[[Tx, Envelope], None]:
    """A handler that sets one column of the row that `item` (a payload field) names."""

    def handler(tx: Tx, envelope: Envelope) -> None:
        tx.execute(
            f"UPDATE due_items SET {column} = ? WHERE case_id = ? AND kind = ? AND item = ?",
            (value(envelope), _case(envelope), kind, envelope.payload[item]),
        )

    return handler


def _day(envelope: Envelope) -> str:
    assert envelope.occurred_on is not None, f"{envelope.type} carries no date of the act"
    return envelope.occurred_on.isoformat()


def on_urged(tx: Tx, envelope: Envelope) -> None:
    tx.execute(
        "UPDATE due_items SET urged_on = ? WHERE case_id = ? AND kind = ? AND target = ?",
        (_day(envelope), _case(envelope), RECTIFICATION, envelope.payload["target"]),
    )


def on_closed(tx: Tx, envelope: Envelope) -> None:
    tx.execute("UPDATE due_items SET done = 1 WHERE case_id = ?", (_case(envelope),))


HANDLERS: dict[str, Callable[[Tx, Envelope], None]] = {
    "ConclusionIssued": on_concluded,
    "ReviewRequested": on_review_requested,
    "ReviewDecided": on_review_decided,
    "ReviewDecisionOverdue": _set("overdue_on", _day, REVIEW_DECISION, "target"),
    "RectificationVerified": _set("done", lambda _: 1, RECTIFICATION, "requirement_id"),
    "RectificationOverdue": _set("overdue_on", _day, RECTIFICATION, "requirement_id"),
    "TargetUrged": on_urged,
    "CaseClosed": on_closed,
}


class DueItems:
    """The due-items projection: a pure fold of case events into `due_items` rows."""

    name = "due_items"
    ddl = DDL

    def apply(self, tx: Tx, envelope: Envelope) -> None:
        handler = HANDLERS.get(envelope.type) if envelope.aggregate_type == "case" else None
        if handler is not None:  # other events are ignored; the caller still advances tracking
            handler(tx, envelope)

    def canonical_rows(self, tx: Tx) -> dict[str, list[dict[str, Any]]]:
        return {"due_items": tx.query(f"SELECT {', '.join(COLUMNS)} FROM due_items ORDER BY case_id, kind, item")}

    def reset(self, tx: Tx) -> None:
        tx.execute("DELETE FROM due_items")


# ---- queries ----------------------------------------------------------------------------

DUE_CASES = f"""SELECT DISTINCT case_id FROM due_items WHERE done = 0 AND (
    (kind = '{RECTIFICATION}' AND waiting = 0 AND (
        (overdue_on IS NULL AND due_on < ?) OR (overdue_on IS NOT NULL AND (urged_on IS NULL OR urged_on <= ?))))
    OR (kind = '{REVIEW_DECISION}' AND overdue_on IS NULL AND due_on < ?))
    ORDER BY case_id"""


def due_cases(views: ViewStore, today: date, urging_interval_days: int) -> list[str]:
    """The cases where something may be newly due today: a deadline passed and not yet marked
    overdue, an overdue requirement whose target may be urged again, or a review past its decision day."""
    urge_before = (today - timedelta(days=urging_interval_days)).isoformat()
    with views.read() as tx:
        rows = tx.query(DUE_CASES, (today.isoformat(), urge_before, today.isoformat()))
    return [row["case_id"] for row in rows]


def items_of(views: ViewStore, case_id: str) -> list[dict[str, Any]]:
    """A case's due items, in the order of their due day."""
    with views.read() as tx:
        return tx.query(f"SELECT {', '.join(COLUMNS)} FROM due_items WHERE case_id = ? ORDER BY due_on, kind, item", (case_id,))
