"""The instruction board (领导批示办理台): one row per leader's instruction (领导批示), with its lead unit
(主办), supporting units (协办), deadline by urgency, where it stands, and the covert checks
(暗访核查) ordered on its answer. Every value comes from the envelopes; overdue-ness at query time
is judged from the stored deadline (`overdue_today`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any

from domain.envelope import Envelope
from projections.store import Tx, ViewStore

DDL = (
    """CREATE TABLE IF NOT EXISTS instructions (
        instruction_id TEXT PRIMARY KEY, level TEXT NOT NULL, text TEXT NOT NULL, leader TEXT NOT NULL,
        lead_unit TEXT NOT NULL, supporting_units TEXT NOT NULL, urgency TEXT NOT NULL, deadline TEXT NOT NULL,
        deadline_provisional INTEGER NOT NULL, state TEXT NOT NULL, issued_on TEXT NOT NULL, assigned_on TEXT,
        answered_on TEXT, answer TEXT, returns INTEGER NOT NULL DEFAULT 0, overdue_on TEXT, closed_on TEXT,
        covert_checks TEXT NOT NULL DEFAULT '[]')""",
)
COLUMNS = (
    "instruction_id", "level", "text", "leader", "lead_unit", "supporting_units", "urgency", "deadline",
    "deadline_provisional", "state", "issued_on", "assigned_on", "answered_on", "answer", "returns", "overdue_on",
    "closed_on", "covert_checks",
)
WAITING = ("issued", "assigned", "returned")


def _day(envelope: Envelope) -> str | None:
    return envelope.occurred_on.isoformat() if envelope.occurred_on else None


def on_issued(tx: Tx, envelope: Envelope) -> None:
    p = envelope.payload
    tx.execute(
        "INSERT INTO instructions (instruction_id, level, text, leader, lead_unit, supporting_units, urgency, deadline, "
        "deadline_provisional, state, issued_on) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'issued', ?)",
        (
            str(envelope.aggregate_id), p["level"], p["text"], p["instructing_leader"], p["lead_unit"],
            json.dumps(p["supporting_units"], ensure_ascii=False), p["urgency"], p["deadline"],
            int(p["deadline_provisional"]), _day(envelope),
        ),
    )


def _update(sql: str, values: Callable[[Envelope], tuple[Any, ...]]) -> Callable[[Tx, Envelope], None]:
    def handler(tx: Tx, envelope: Envelope) -> None:
        tx.execute(f"UPDATE instructions SET {sql} WHERE instruction_id = ?", (*values(envelope), str(envelope.aggregate_id)))

    return handler


def on_covert_check(tx: Tx, envelope: Envelope) -> None:
    instruction_id = str(envelope.aggregate_id)
    row = tx.query_one("SELECT covert_checks FROM instructions WHERE instruction_id = ?", (instruction_id,))
    checks = [*json.loads(row["covert_checks"] if row else "[]"), envelope.payload["case_id"]]
    tx.execute("UPDATE instructions SET covert_checks = ? WHERE instruction_id = ?", (json.dumps(checks), instruction_id))


HANDLERS: dict[str, Callable[[Tx, Envelope], None]] = {
    "InstructionIssued": on_issued,
    "InstructionAssigned": _update("state = 'assigned', assigned_on = ?", lambda e: (_day(e),)),
    "InstructionAnswered": _update("state = 'answered', answered_on = ?, answer = ?", lambda e: (_day(e), e.payload["text"])),
    "InstructionAnswerReturned": _update("state = 'returned', returns = returns + 1", lambda e: ()),
    "InstructionOverdue": _update("overdue_on = ?", lambda e: (_day(e),)),
    "CovertCheckOrdered": on_covert_check,
    "InstructionClosed": _update("state = 'closed', closed_on = ?", lambda e: (_day(e),)),
}


class Instructions:
    """The instruction-board projection: a pure fold of instruction events into `instructions` rows."""

    name = "instructions"
    ddl = DDL

    def apply(self, tx: Tx, envelope: Envelope) -> None:
        handler = HANDLERS.get(envelope.type) if envelope.aggregate_type == "instruction" else None
        if handler is not None:
            handler(tx, envelope)

    def canonical_rows(self, tx: Tx) -> dict[str, list[dict[str, Any]]]:
        return {"instructions": tx.query(f"SELECT {', '.join(COLUMNS)} FROM instructions ORDER BY instruction_id")}

    def reset(self, tx: Tx) -> None:
        tx.execute("DELETE FROM instructions")


def decoded(row: dict[str, Any], today: date) -> dict[str, Any]:
    """A row as readers see it: lists decoded, and whether it is overdue today (waiting past its deadline)."""
    return {
        **row, "supporting_units": json.loads(row["supporting_units"]), "covert_checks": json.loads(row["covert_checks"]),
        "deadline_provisional": bool(row["deadline_provisional"]), "overdue_today": overdue_today(row, today),
    }


def overdue_today(row: dict[str, Any], today: date) -> bool:
    return row["state"] in WAITING and today > date.fromisoformat(row["deadline"])


def board(views: ViewStore, state: str | None = None) -> list[dict[str, Any]]:
    """Every instruction (optionally in one state), nearest deadline first."""
    where, params = ("WHERE state = ?", (state,)) if state else ("", ())
    with views.read() as tx:
        return tx.query(f"SELECT {', '.join(COLUMNS)} FROM instructions {where} ORDER BY deadline, instruction_id", params)


def waiting_past(views: ViewStore, today: date) -> list[str]:
    """Instructions waiting for an answer past their deadline and not yet marked overdue: the clock's worklist."""
    marks = ", ".join("?" for _ in WAITING)
    with views.read() as tx:
        rows = tx.query(
            f"SELECT instruction_id FROM instructions WHERE state IN ({marks}) AND overdue_on IS NULL AND deadline < ? "
            "ORDER BY instruction_id", (*WAITING, today.isoformat()),
        )
    return [r["instruction_id"] for r in rows]
