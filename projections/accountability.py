"""Accountability records (督查结果运用台账) per unit and per person, each with its case.

One row per use of results (Art. 21): commendation (表扬、激励), criticism (批评、通报),
accountability (问责, proposed then referred to the authority that investigates), and
performance deductions (绩效考核减分). A proposal's state is `proposed` until the government
or its head approves it (`approved`); fault tolerance (容错纠错) makes it `excused`. A
deduction is a decision in itself (`approved`), keyed by its case and the case's version.
The cases' level and title are kept beside, so that a record answers with its case.
"""

from __future__ import annotations

from typing import Any

from domain.envelope import Envelope
from projections.store import Tx, ViewStore

DDL = (
    """CREATE TABLE IF NOT EXISTS accountability (
        case_id TEXT NOT NULL, record_id TEXT NOT NULL, kind TEXT NOT NULL, unit TEXT NOT NULL, person TEXT NOT NULL,
        state TEXT NOT NULL, grounds TEXT NOT NULL, proposed_on TEXT, approved_on TEXT, excused_on TEXT,
        excuse_grounds TEXT, authority TEXT, points DOUBLE PRECISION, period TEXT, notice TEXT,
        position BIGINT NOT NULL, PRIMARY KEY (case_id, record_id))""",
    "CREATE INDEX IF NOT EXISTS accountability_by_unit ON accountability (unit, case_id)",
    "CREATE INDEX IF NOT EXISTS accountability_by_person ON accountability (person, case_id)",
    """CREATE TABLE IF NOT EXISTS accountability_cases (
        case_id TEXT PRIMARY KEY, level TEXT NOT NULL, title TEXT NOT NULL)""",
)
COLUMNS = (
    "case_id", "record_id", "kind", "unit", "person", "state", "grounds", "proposed_on", "approved_on", "excused_on",
    "excuse_grounds", "authority", "points", "period", "notice", "position",
)
PROPOSED = {"CommendationProposed": "commendation", "CriticismProposed": "criticism", "AccountabilityProposed": "accountability"}
DECIDED = ("Commended", "Criticized", "AccountabilityReferred")


def _insert(tx: Tx, row: dict[str, Any]) -> None:
    columns = list(row)
    tx.execute(f"INSERT INTO accountability ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})", list(row.values()))


def _update(tx: Tx, envelope: Envelope, **columns: Any) -> None:
    assignments = ", ".join(f"{name} = ?" for name in columns)
    tx.execute(
        f"UPDATE accountability SET {assignments}, position = ? WHERE case_id = ? AND record_id = ?",
        (*columns.values(), envelope.position, str(envelope.aggregate_id), envelope.payload["proposal_id"]),
    )


def _day(envelope: Envelope) -> str | None:
    return envelope.occurred_on.isoformat() if envelope.occurred_on else None


def fold(tx: Tx, envelope: Envelope) -> None:
    """Applies one case event to the records (events that are no use of results change nothing)."""
    p, case_id = envelope.payload, str(envelope.aggregate_id)
    if envelope.type == "CaseProposed":
        tx.execute("INSERT INTO accountability_cases (case_id, level, title) VALUES (?, ?, ?)", (case_id, p["level"], p["title"]))
    elif envelope.type in PROPOSED:
        _insert(tx, {
            "case_id": case_id, "record_id": p["proposal_id"], "kind": PROPOSED[envelope.type], "unit": p["unit"],
            "person": p.get("person") or "", "state": "proposed", "grounds": p["grounds"], "proposed_on": _day(envelope),
            "position": envelope.position,
        })
    elif envelope.type in DECIDED:
        _update(tx, envelope, state="approved", approved_on=_day(envelope), authority=p.get("authority"))
    elif envelope.type == "FaultTolerated":
        _update(tx, envelope, state="excused", excused_on=_day(envelope), excuse_grounds=p["grounds"])
    elif envelope.type == "PerformanceDeducted":
        _insert(tx, {
            "case_id": case_id, "record_id": f"deduction-{envelope.aggregate_version}", "kind": "performance-deduction",
            "unit": p["unit"], "person": "", "state": "approved", "grounds": p["notice"], "approved_on": _day(envelope),
            "points": p["points"], "period": p["period"], "notice": p["notice"], "position": envelope.position,
        })


class Accountability:
    """The accountability projection: commendations, criticisms, accountability and deductions, with their case."""

    name = "accountability"
    ddl = DDL

    def apply(self, tx: Tx, envelope: Envelope) -> None:
        if envelope.aggregate_type == "case":
            fold(tx, envelope)

    def canonical_rows(self, tx: Tx) -> dict[str, list[dict[str, Any]]]:
        return {
            "accountability": tx.query(f"SELECT {', '.join(COLUMNS)} FROM accountability ORDER BY case_id, record_id"),
            "accountability_cases": tx.query("SELECT case_id, level, title FROM accountability_cases ORDER BY case_id"),
        }

    def reset(self, tx: Tx) -> None:
        tx.execute("DELETE FROM accountability")
        tx.execute("DELETE FROM accountability_cases")


def records(views: ViewStore, *, unit: str | None = None, person: str | None = None) -> list[dict[str, Any]]:
    """A unit's or a person's records, with their case's level and title, oldest first (by the day proposed or decided)."""
    column, value = ("a.unit", unit) if unit is not None else ("a.person", person)
    with views.read() as tx:
        return tx.query(
            f"SELECT {', '.join('a.' + c for c in COLUMNS)}, c.level, c.title AS case_title FROM accountability a "
            f"JOIN accountability_cases c ON c.case_id = a.case_id WHERE {column} = ? "
            "ORDER BY COALESCE(a.proposed_on, a.approved_on), a.case_id, a.record_id",
            (value,),
        )
