"""The province-wide board (全省督查事项台账): this node's own cases (the case board) beside the cases the
levels below reported up (督查事项报告, `ReportedCase`): by level, state and, where this node knows the
next due date, light.

This projection keeps the reported cases, one row per (case's level, case id), replaced by each newer
report; the own cases are read from `case_board` at query time, so nothing is kept twice.
"""

from __future__ import annotations

import json
from typing import Any

from domain.envelope import Envelope
from projections.case_board_queries import Audience, audience_clause
from projections.store import Tx, ViewStore

DDL = (
    """CREATE TABLE IF NOT EXISTS province_board (
        level TEXT NOT NULL, case_id TEXT NOT NULL, sender TEXT NOT NULL, title TEXT NOT NULL, case_type TEXT NOT NULL,
        topic TEXT NOT NULL, covert INTEGER NOT NULL, targets TEXT NOT NULL, state TEXT NOT NULL, proposed_on TEXT NOT NULL,
        reported_on TEXT, concluded_on TEXT, closed_on TEXT, findings INTEGER NOT NULL, requirements INTEGER NOT NULL,
        requirements_done INTEGER NOT NULL, results TEXT NOT NULL, summary TEXT NOT NULL, report_on TEXT NOT NULL,
        PRIMARY KEY (level, case_id))""",
    "CREATE INDEX IF NOT EXISTS province_board_by_state ON province_board (state, level)",
)
COLUMNS = (
    "level", "case_id", "sender", "title", "case_type", "topic", "covert", "targets", "state", "proposed_on",
    "reported_on", "concluded_on", "closed_on", "findings", "requirements", "requirements_done", "results", "summary",
    "report_on",
)


class ProvinceBoard:
    """The cases the levels below reported up, as last reported."""

    name = "province_board"
    ddl = DDL

    def apply(self, tx: Tx, envelope: Envelope) -> None:
        if (envelope.aggregate_type, envelope.type) != ("reportedcase", "CaseReportReceived"):
            return
        r = envelope.payload["report"]
        row = {
            **{c: r.get(c) for c in COLUMNS if c in r}, "case_id": str(r["case_id"]), "sender": envelope.payload["sender"],
            "covert": int(bool(r["covert"])), "targets": json.dumps(r["targets"]), "results": json.dumps(r["results"]),
            "report_on": envelope.occurred_on.isoformat() if envelope.occurred_on else "",
        }
        marks = ", ".join("?" for _ in COLUMNS)
        updates = ", ".join(f"{c} = excluded.{c}" for c in COLUMNS if c not in ("level", "case_id"))
        tx.execute(
            f"INSERT INTO province_board ({', '.join(COLUMNS)}) VALUES ({marks}) ON CONFLICT (level, case_id) DO UPDATE SET {updates}",
            [row[c] for c in COLUMNS],
        )

    def canonical_rows(self, tx: Tx) -> dict[str, list[dict[str, Any]]]:
        return {"province_board": tx.query("SELECT * FROM province_board ORDER BY level, case_id")}

    def reset(self, tx: Tx) -> None:
        tx.execute("DELETE FROM province_board")


# ---- reading ----------------------------------------------------------------------------

OWN = """SELECT id AS case_id, level, title, case_type, topic, covert, targets, state, proposed_on, reported_on,
    closed_on, next_due_on FROM case_board"""

# Both sources in one ordering: the keys of a page are chosen in SQL, then each row is read from its own table.
OWN_KEYS = "SELECT 'own' AS source, level, id AS case_id, state, proposed_on FROM case_board WHERE state <> 'merged'"
REPORTED_KEYS = "SELECT 'reported' AS source, level, case_id, state, proposed_on FROM province_board"


def _keys(audience: Audience | None) -> tuple[str, list[Any]]:
    """The keys of both sources; the own cases only those `audience` may see (the board's rule: a covert case
    on the reader itself stays hidden until its visit), the reported ones as they were reported."""
    clause, params = audience_clause(audience)
    own = f"{OWN_KEYS} AND {clause}" if clause else OWN_KEYS
    return f"{own} UNION ALL {REPORTED_KEYS}", params


def _filters(level: str | None, state: str | None) -> tuple[str, list[str]]:
    conditions, params = [], []
    if level is not None:
        conditions.append("level = ?")
        params.append(level)
    if state is not None:
        conditions.append("state = ?")
        params.append(state)
    return (f" WHERE {' AND '.join(conditions)}" if conditions else ""), params


def board_page(
    views: ViewStore, *, level: str | None = None, state: str | None = None, limit: int = 50, offset: int = 0,
    audience: Audience | None = None,
) -> tuple[list[dict[str, Any]], dict[str, dict[str, int]]]:
    """A page of this node's own cases and the cases reported from below, by level then newest proposal first,
    and, per level, how many of every matching case are in each state: read together. `source` says which
    (`own` or `reported`); `next_due_on` is known only for own cases."""
    keys = _keys(audience)
    with views.read() as tx:
        return _rows(tx, keys, level, state, limit, offset), _counts(tx, keys, level, state)


def _rows(
    tx: Tx, keys_sql: tuple[str, list[Any]], level: str | None, state: str | None, limit: int, offset: int,
) -> list[dict[str, Any]]:
    """The keys of the page are chosen in SQL over both sources; then each row is read from its own table."""
    where, params = _filters(level, state)
    sql, seen = keys_sql
    keys = tx.query(
        f"SELECT source, level, case_id FROM ({sql}) AS k{where}"
        " ORDER BY level, proposed_on DESC, source, case_id LIMIT ? OFFSET ?",
        [*seen, *params, limit, offset],
    )
    own = [k["case_id"] for k in keys if k["source"] == "own"]
    reported = [(k["level"], k["case_id"]) for k in keys if k["source"] == "reported"]
    rows = {("own", r["level"], r["case_id"]): r | {"source": "own"} for r in _own(tx, own)}
    rows |= {("reported", r["level"], r["case_id"]): r | {"source": "reported", "next_due_on": None} for r in _reported(tx, reported)}
    return [
        r | {"covert": bool(r["covert"]), "targets": json.loads(r["targets"]),
             **({"results": json.loads(r["results"])} if "results" in r else {})}
        for r in (rows[(k["source"], k["level"], k["case_id"])] for k in keys)
    ]


def _counts(tx: Tx, keys_sql: tuple[str, list[Any]], level: str | None, state: str | None) -> dict[str, dict[str, int]]:
    where, params = _filters(level, state)
    sql, seen = keys_sql
    rows = tx.query(f"SELECT level, state, COUNT(*) AS n FROM ({sql}) AS k{where} GROUP BY level, state", [*seen, *params])
    by_level: dict[str, dict[str, int]] = {}
    for row in rows:
        by_level.setdefault(row["level"], {})[row["state"]] = int(row["n"])
    return by_level


def _own(tx: Tx, ids: list[str]) -> list[dict[str, Any]]:
    return tx.query(f"{OWN} WHERE id IN ({', '.join('?' for _ in ids)})", ids) if ids else []


def _reported(tx: Tx, keys: list[tuple[str, str]]) -> list[dict[str, Any]]:
    if not keys:
        return []
    pairs = " OR ".join("(level = ? AND case_id = ?)" for _ in keys)
    return tx.query(f"SELECT * FROM province_board WHERE {pairs}", [value for key in keys for value in key])
