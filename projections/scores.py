"""Performance deductions (绩效考核减分项) per unit and period, from the cases that recorded them
(`PerformanceDeducted`), for the scores (`domain/performance.py`).

A fault-tolerance decision (`FaultTolerated`, 容错纠错) excuses a criticism or an accountability
proposal; the domain does not link it to a deduction, so a deduction stands until the case
itself records otherwise.
"""

from __future__ import annotations

from typing import Any

from domain.envelope import Envelope
from domain.performance import Deduction
from projections.store import Tx, ViewStore

DDL = (
    """CREATE TABLE IF NOT EXISTS deductions (
        case_id TEXT NOT NULL, version INTEGER NOT NULL, unit TEXT NOT NULL, period TEXT NOT NULL,
        points DOUBLE PRECISION NOT NULL, on_day TEXT NOT NULL, notice TEXT NOT NULL, PRIMARY KEY (case_id, version))""",
    "CREATE INDEX IF NOT EXISTS deductions_unit ON deductions (unit, period)",
)


class Scores:
    """The deductions projection: one row per `PerformanceDeducted`."""

    name = "scores"
    ddl = DDL

    def apply(self, tx: Tx, envelope: Envelope) -> None:
        if envelope.aggregate_type != "case" or envelope.type != "PerformanceDeducted":
            return
        p = envelope.payload
        tx.execute(
            "INSERT INTO deductions (case_id, version, unit, period, points, on_day, notice) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (str(envelope.aggregate_id), envelope.aggregate_version, p["unit"], p["period"], p["points"],
             envelope.occurred_on.isoformat() if envelope.occurred_on else "", p["notice"]),
        )

    def canonical_rows(self, tx: Tx) -> dict[str, list[dict[str, Any]]]:
        return {"deductions": tx.query("SELECT * FROM deductions ORDER BY case_id, version")}

    def reset(self, tx: Tx) -> None:
        tx.execute("DELETE FROM deductions")


def deductions(views: ViewStore, unit: str, period: str) -> list[Deduction]:
    """The deductions from `unit` for `period`, in the order they were made."""
    with views.read() as tx:
        rows = tx.query(
            "SELECT case_id, unit, period, points FROM deductions WHERE unit = ? AND period = ? ORDER BY on_day, case_id, version",
            (unit, period),
        )
    return [Deduction(r["unit"], float(r["points"]), r["period"], r["case_id"]) for r in rows]
