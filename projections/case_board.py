"""The case board (督查事项台账): which supervision cases (督查事项) exist, where each stands, what is due next.

One row per case, folded from every lifecycle event into its state (`CaseState`), and the
next due date with what it is for (`next_due_kind`, `next_due_on`). Side tables keep what
the due date and the readers' visibility are computed from: the units a case concerns
(`case_board_units`: sponsor and targets, for the unit filter), each target's notice, visit
and review (`case_board_targets`), each rectification requirement (整改意见,
`case_board_requirements`), and who outside the office may see the case
(`case_board_access`: a target once it knows of the case — after its notice, or after the
visit for a covert case (暗访) — and the evaluators entrusted in the plan).

Every value comes from the envelopes (never the wall clock), so a rebuilt board is identical
to the live one. The light (红黄绿灯) depends on today, so it is computed at query time
(`light_of`), never stored. Queries are in `projections/case_board_queries.py`.

An event's handler writes the side tables and answers the changes to its case's row; the fold
writes them with the next due date and the event's version and position in ONE update (the
row is read once, for the due date), so an event costs a few statements, not one per column.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from domain.envelope import Envelope
from projections.case_board_due import next_due
from projections.store import Tx

DDL = (
    """CREATE TABLE IF NOT EXISTS case_board (
        id TEXT PRIMARY KEY, title TEXT NOT NULL, level TEXT NOT NULL, sponsor TEXT NOT NULL,
        sponsor_unit TEXT NOT NULL, case_type TEXT NOT NULL, topic TEXT NOT NULL, methods TEXT NOT NULL,
        covert INTEGER NOT NULL, targets TEXT NOT NULL, window_start TEXT NOT NULL, window_end TEXT NOT NULL,
        state TEXT NOT NULL, proposed_on TEXT NOT NULL, decided_on TEXT, filed_on TEXT, planned_on TEXT,
        reported_on TEXT, closed_on TEXT, merged_into TEXT, next_due_kind TEXT, next_due_on TEXT,
        version BIGINT NOT NULL, node TEXT NOT NULL, position BIGINT NOT NULL, updated_at TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS case_board_by_date ON case_board (proposed_on DESC, id)",
    "CREATE INDEX IF NOT EXISTS case_board_by_state ON case_board (state, proposed_on DESC, id)",
    """CREATE TABLE IF NOT EXISTS case_board_units (
        case_id TEXT NOT NULL, unit TEXT NOT NULL, PRIMARY KEY (case_id, unit))""",
    "CREATE INDEX IF NOT EXISTS case_board_units_by_unit ON case_board_units (unit, case_id)",
    """CREATE TABLE IF NOT EXISTS case_board_targets (
        case_id TEXT NOT NULL, target TEXT NOT NULL, notified_on TEXT, site_work_starts TEXT, visited_on TEXT,
        review_decide_by TEXT, review_open INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (case_id, target))""",
    # the cases visiting a target: where repeated supervision's candidates are looked up from
    "CREATE INDEX IF NOT EXISTS case_board_targets_by_target ON case_board_targets (target, case_id)",
    """CREATE TABLE IF NOT EXISTS case_board_requirements (
        case_id TEXT NOT NULL, requirement_id TEXT NOT NULL, target TEXT NOT NULL, deadline TEXT NOT NULL,
        status TEXT NOT NULL, overdue INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (case_id, requirement_id))""",
    """CREATE TABLE IF NOT EXISTS case_board_access (
        case_id TEXT NOT NULL, unit TEXT NOT NULL, reason TEXT NOT NULL, PRIMARY KEY (case_id, unit, reason))""",
    "CREATE INDEX IF NOT EXISTS case_board_access_by_unit ON case_board_access (unit, case_id)",
)

COLUMNS = (
    "id", "title", "level", "sponsor", "sponsor_unit", "case_type", "topic", "methods", "covert", "targets",
    "window_start", "window_end", "state", "proposed_on", "decided_on", "filed_on", "planned_on", "reported_on",
    "closed_on", "merged_into", "next_due_kind", "next_due_on", "version", "node", "position", "updated_at",
)
SIDE_TABLES = {
    "case_board_units": "case_id, unit",
    "case_board_targets": "case_id, target, notified_on, site_work_starts, visited_on, review_decide_by, review_open",
    "case_board_requirements": "case_id, requirement_id, target, deadline, status, overdue",
    "case_board_access": "case_id, unit, reason",
}

Columns = dict[str, Any]  # changes to a case's row in `case_board`, by column
Handler = Callable[[Tx, Envelope, str], Columns | None]


def _day(envelope: Envelope) -> str:
    """The day the act happened (its `on`), which the envelope carries as `occurred_on`."""
    if envelope.occurred_on is None:
        raise ValueError(f"{envelope.type} at {envelope.message_id} carries no date of the act")
    return envelope.occurred_on.isoformat()


def _set(tx: Tx, case_id: str, **columns: Any) -> None:
    assignments = ", ".join(f"{name} = ?" for name in columns)
    tx.execute(f"UPDATE case_board SET {assignments} WHERE id = ?", (*columns.values(), case_id))


def _put_targets(tx: Tx, case_id: str, targets: list[str]) -> None:
    """The targets' rows in the unit filter and the per-target dates (kept when already there)."""
    rows = [(case_id, target) for target in targets]
    tx.executemany("INSERT INTO case_board_units (case_id, unit) VALUES (?, ?) ON CONFLICT DO NOTHING", rows)
    tx.executemany("INSERT INTO case_board_targets (case_id, target) VALUES (?, ?) ON CONFLICT DO NOTHING", rows)


def _add_targets(tx: Tx, case_id: str, targets: list[str]) -> Columns:
    row = tx.query_one("SELECT targets FROM case_board WHERE id = ?", (case_id,))
    merged = list(dict.fromkeys([*json.loads(row["targets"]), *targets]))
    _put_targets(tx, case_id, targets)
    return {"targets": json.dumps(merged)}


def _grant(tx: Tx, case_id: str, unit: str, reason: str) -> None:
    tx.execute(
        "INSERT INTO case_board_access (case_id, unit, reason) VALUES (?, ?, ?) ON CONFLICT DO NOTHING", (case_id, unit, reason)
    )


# ---- one function per event -------------------------------------------------------------


def _stamp(envelope: Envelope) -> Columns:
    """The columns every event sets on its case's row: which version and position it shows."""
    return {
        "version": envelope.aggregate_version, "node": envelope.node, "position": envelope.position,
        "updated_at": envelope.recorded_at.isoformat(),
    }


def on_proposed(tx: Tx, envelope: Envelope, case_id: str) -> None:
    """Writes the new case's row whole (due date and stamp included) and its units and targets."""
    p = envelope.payload
    targets = list(dict.fromkeys(p["targets"]))
    row = {
        "id": case_id, "title": p["title"], "level": p["level"], "sponsor": p["sponsor"],
        "sponsor_unit": p["sponsor_unit"], "case_type": p["case_type"], "topic": p["topic"],
        "methods": json.dumps(p["methods"]), "covert": int(bool(p["covert"])), "targets": json.dumps(targets),
        "window_start": p["window_start"], "window_end": p["window_end"], "state": "proposed",
        "proposed_on": _day(envelope), **_stamp(envelope),
    }
    row["next_due_kind"], row["next_due_on"] = next_due(tx, case_id, row)
    columns = [c for c in COLUMNS if c in row]
    marks = ", ".join("?" for _ in columns)
    tx.execute(f"INSERT INTO case_board ({', '.join(columns)}) VALUES ({marks})", [row[c] for c in columns])
    tx.executemany(
        "INSERT INTO case_board_units (case_id, unit) VALUES (?, ?) ON CONFLICT DO NOTHING",
        [(case_id, unit) for unit in dict.fromkeys([p["sponsor_unit"], *targets])],
    )
    tx.executemany(
        "INSERT INTO case_board_targets (case_id, target) VALUES (?, ?) ON CONFLICT DO NOTHING",
        [(case_id, target) for target in targets],
    )


def _to_state(state: str, day_column: str | None) -> Handler:
    def on_event(tx: Tx, envelope: Envelope, case_id: str) -> Columns:
        return {"state": state, **({day_column: _day(envelope)} if day_column else {})}

    return on_event


def on_filed(tx: Tx, envelope: Envelope, case_id: str) -> Columns:
    return {"filed_on": _day(envelope)}


def on_plan_adopted(tx: Tx, envelope: Envelope, case_id: str) -> Columns:
    for evaluator in envelope.payload.get("evaluators", []):
        _grant(tx, case_id, evaluator, "evaluator")
    return {"state": "planned", "planned_on": _day(envelope)}


def on_plan_amended(tx: Tx, envelope: Envelope, case_id: str) -> Columns | None:
    if "targets" in envelope.payload["changes"]:
        return _add_targets(tx, case_id, envelope.payload["changes"]["targets"])
    return None


def on_merged(tx: Tx, envelope: Envelope, case_id: str) -> Columns:
    p = envelope.payload
    if p["absorbed_id"] == case_id:
        return {"state": "merged", "merged_into": p["survivor_id"]}
    return _add_targets(tx, case_id, p["targets"])


def on_notified(tx: Tx, envelope: Envelope, case_id: str) -> None:
    for target in envelope.payload["targets"]:
        tx.execute(
            "UPDATE case_board_targets SET notified_on = ?, site_work_starts = ? WHERE case_id = ? AND target = ?",
            (_day(envelope), envelope.payload["site_work_starts"], case_id, target),
        )
        _grant(tx, case_id, target, "target")


def on_visited(tx: Tx, envelope: Envelope, case_id: str) -> None:
    target = envelope.payload["target"]
    tx.execute(
        "UPDATE case_board_targets SET visited_on = COALESCE(visited_on, ?) WHERE case_id = ? AND target = ?",
        (_day(envelope), case_id, target),
    )
    _grant(tx, case_id, target, "target")  # a covert case (暗访) becomes known to its target only now


def _put_requirements(tx: Tx, case_id: str, target: str, requirements: list[dict[str, Any]]) -> None:
    for r in requirements:
        tx.execute(
            "INSERT INTO case_board_requirements (case_id, requirement_id, target, deadline, status) "
            "VALUES (?, ?, ?, ?, 'open') ON CONFLICT (case_id, requirement_id) "
            "DO UPDATE SET deadline = excluded.deadline, status = 'open', overdue = 0",
            (case_id, r["id"], target, r["deadline"]),
        )


def on_concluded(tx: Tx, envelope: Envelope, case_id: str) -> None:
    _put_requirements(tx, case_id, envelope.payload["target"], envelope.payload["requirements"])


def on_review_requested(tx: Tx, envelope: Envelope, case_id: str) -> None:
    tx.execute(
        "UPDATE case_board_targets SET review_decide_by = ?, review_open = 1 WHERE case_id = ? AND target = ?",
        (envelope.payload["decide_by"], case_id, envelope.payload["target"]),
    )


def on_review_decided(tx: Tx, envelope: Envelope, case_id: str) -> None:
    p = envelope.payload
    tx.execute("UPDATE case_board_targets SET review_open = 0 WHERE case_id = ? AND target = ?", (case_id, p["target"]))
    if p["outcome"] == "amended":  # dropped requirements are waived on the review's grounds
        keep = [r["id"] for r in p["requirements"]]
        marks = ", ".join("?" for _ in keep) or "''"
        tx.execute(
            f"UPDATE case_board_requirements SET status = 'waived' WHERE case_id = ? AND target = ? "
            f"AND requirement_id NOT IN ({marks})",
            (case_id, p["target"], *keep),
        )
        _put_requirements(tx, case_id, p["target"], p["requirements"])


def _requirement(status: str | None = None, overdue: bool = False) -> Handler:
    def on_event(tx: Tx, envelope: Envelope, case_id: str) -> None:
        column, value = ("overdue", 1) if overdue else ("status", status)
        tx.execute(
            f"UPDATE case_board_requirements SET {column} = ? WHERE case_id = ? AND requirement_id = ?",
            (value, case_id, envelope.payload["requirement_id"]),
        )

    return on_event


def on_closed(tx: Tx, envelope: Envelope, case_id: str) -> Columns:
    tx.executemany(
        "UPDATE case_board_requirements SET status = 'waived' WHERE case_id = ? AND requirement_id = ?",
        [(case_id, rid) for rid in envelope.payload.get("waivers", {})],
    )
    return {"state": "closed", "closed_on": _day(envelope)}


# Every event but CaseProposed, whose `on_proposed` writes the row whole (see `CaseBoard.apply`).
HANDLERS: dict[str, Handler] = {
    "CaseApproved": _to_state("approved", "decided_on"),
    "CaseRejected": _to_state("rejected", "decided_on"),
    "CaseFiled": on_filed,
    "PlanAdopted": on_plan_adopted,
    "PlanAmended": on_plan_amended,
    "CasesMerged": on_merged,
    "TargetsNotified": on_notified,
    "SiteVisitConducted": on_visited,
    "ReportSubmitted": _to_state("reported", "reported_on"),
    "ConclusionIssued": on_concluded,
    "ReviewRequested": on_review_requested,
    "ReviewDecided": on_review_decided,
    "RectificationReported": _requirement("in-progress"),
    "RectificationCompleted": _requirement("completed"),
    "RectificationVerified": _requirement("verified"),
    "RectificationReturned": _requirement("returned"),
    "RectificationOverdue": _requirement(overdue=True),
    "CaseClosed": on_closed,
}


class CaseBoard:
    """The case board projection: a pure fold of the case events into `case_board` rows."""

    name = "case_board"
    ddl = DDL

    def apply(self, tx: Tx, envelope: Envelope) -> None:
        if envelope.aggregate_type != "case":
            return  # other aggregates are ignored; the caller still advances tracking
        case_id = str(envelope.aggregate_id)
        if envelope.type == "CaseProposed":
            on_proposed(tx, envelope, case_id)  # the row is written whole: nothing to read back
            return
        handler = HANDLERS.get(envelope.type)
        changes = (handler(tx, envelope, case_id) if handler is not None else None) or {}
        row = tx.query_one("SELECT state, window_start, window_end FROM case_board WHERE id = ?", (case_id,))
        if row is None:
            return  # not on the board (its proposal is not): nothing to change
        kind, day = next_due(tx, case_id, {**row, **changes})
        _set(tx, case_id, **changes, next_due_kind=kind, next_due_on=day, **_stamp(envelope))

    def canonical_rows(self, tx: Tx) -> dict[str, list[dict[str, Any]]]:
        rows = {"case_board": tx.query(f"SELECT {', '.join(COLUMNS)} FROM case_board ORDER BY id")}
        for table, columns in SIDE_TABLES.items():
            rows[table] = tx.query(f"SELECT {columns} FROM {table} ORDER BY {columns}")
        return rows

    def reset(self, tx: Tx) -> None:
        for table in (*SIDE_TABLES, "case_board"):
            tx.execute(f"DELETE FROM {table}")


# The queries live beside the fold; imported here so that `projections.case_board` answers both.
from projections.case_board_queries import Audience, count_cases, get_case, light_of, list_cases  # noqa: E402

__all__ = ["Audience", "CaseBoard", "count_cases", "get_case", "light_of", "list_cases"]
