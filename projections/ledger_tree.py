"""The ledger tree (工作台账): one row per task, with its parent, state, progress, milestones and the
dates the lights are judged from.

Every value comes from the envelopes, never the wall clock, so a rebuilt view equals the live
one. The stored `light` is the last one the clock recorded (LightChanged); the light a reader
sees is judged at query time from the stored dates (`light_today`), with the domain's rule.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any

from domain.calendar import WorkingCalendar
from domain.envelope import Envelope
from domain.lights import Milestone, assess
from domain.policy import Policy
from projections.store import Tx, ViewStore

DDL = (
    """CREATE TABLE IF NOT EXISTS ledger_tasks (
        task_id TEXT PRIMARY KEY, parent_id TEXT, level TEXT NOT NULL, title TEXT NOT NULL, source TEXT NOT NULL,
        responsible_unit TEXT NOT NULL, handler TEXT NOT NULL, leader TEXT NOT NULL, supporting_units TEXT NOT NULL,
        standard TEXT NOT NULL, milestones TEXT NOT NULL, deadline TEXT NOT NULL, weight DOUBLE PRECISION,
        remote_node TEXT, state TEXT NOT NULL, percent DOUBLE PRECISION NOT NULL, light TEXT NOT NULL,
        overdue_on TEXT, urged_on TEXT, registered_on TEXT NOT NULL, accepted_on TEXT, reported_on TEXT,
        claimed_on TEXT, verified_on TEXT, closed_on TEXT, warnings INTEGER NOT NULL DEFAULT 0)""",
    "CREATE INDEX IF NOT EXISTS ledger_tasks_parent ON ledger_tasks (parent_id)",
    "CREATE INDEX IF NOT EXISTS ledger_tasks_open ON ledger_tasks (state, deadline)",
)
COLUMNS = (
    "task_id", "parent_id", "level", "title", "source", "responsible_unit", "handler", "leader", "supporting_units",
    "standard", "milestones", "deadline", "weight", "remote_node", "state", "percent", "light", "overdue_on",
    "urged_on", "registered_on", "accepted_on", "reported_on", "claimed_on", "verified_on", "closed_on", "warnings",
)
OPEN = ("registered", "accepted")


def _day(envelope: Envelope) -> str | None:
    return envelope.occurred_on.isoformat() if envelope.occurred_on else None


def on_registered(tx: Tx, envelope: Envelope) -> None:
    p = envelope.payload
    milestones = [{**m, "reached_on": None} for m in p["milestones"]]
    tx.execute(
        "INSERT INTO ledger_tasks (task_id, parent_id, level, title, source, responsible_unit, handler, leader, "
        "supporting_units, standard, milestones, deadline, weight, remote_node, state, percent, light, registered_on) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'registered', 0, 'green', ?)",
        (
            str(envelope.aggregate_id), p["parent_id"], p["level"], p["title"], p["source"], p["responsible_unit"],
            p["responsible_person"], p["responsible_leader"], json.dumps(p["supporting_units"], ensure_ascii=False),
            p["standard"], json.dumps(milestones, ensure_ascii=False), p["deadline"], p["weight"], p["remote_node"],
            _day(envelope),
        ),
    )


def _set(**columns: Callable[[Envelope], Any]) -> Callable[[Tx, Envelope], None]:
    """A handler that sets columns of the task's row from the envelope."""
    names = ", ".join(f"{name} = ?" for name in columns)

    def handler(tx: Tx, envelope: Envelope) -> None:
        values = [value(envelope) for value in columns.values()]
        tx.execute(f"UPDATE ledger_tasks SET {names} WHERE task_id = ?", (*values, str(envelope.aggregate_id)))

    return handler


def const(value: Any) -> Callable[[Envelope], Any]:
    return lambda _: value


def field(name: str) -> Callable[[Envelope], Any]:
    return lambda envelope: envelope.payload[name]


def on_milestone(tx: Tx, envelope: Envelope) -> None:
    task_id = str(envelope.aggregate_id)
    row = tx.query_one("SELECT milestones FROM ledger_tasks WHERE task_id = ?", (task_id,))
    milestones = json.loads(row["milestones"]) if row else []
    for m in milestones:
        if m["id"] == envelope.payload["milestone_id"]:
            m["reached_on"] = _day(envelope)
    tx.execute("UPDATE ledger_tasks SET milestones = ? WHERE task_id = ?", (json.dumps(milestones, ensure_ascii=False), task_id))


def on_warning(tx: Tx, envelope: Envelope) -> None:
    tx.execute("UPDATE ledger_tasks SET warnings = warnings + 1 WHERE task_id = ?", (str(envelope.aggregate_id),))


HANDLERS: dict[str, Callable[[Tx, Envelope], None]] = {
    "TaskRegistered": on_registered,
    "TaskAccepted": _set(state=const("accepted"), accepted_on=_day),
    "ProgressReported": _set(percent=field("percent"), reported_on=_day),
    "MilestoneReached": on_milestone,
    "ChildProgressRolledUp": _set(percent=field("percent")),
    "TaskCompletionClaimed": _set(state=const("claimed"), claimed_on=_day),
    "TaskVerified": _set(state=const("verified"), verified_on=_day, percent=const(100.0)),
    "TaskReturned": _set(state=const("accepted")),
    "TaskOverdue": _set(overdue_on=_day),
    "TargetUrged": _set(urged_on=_day),
    "LightChanged": _set(light=field("light")),
    "TaskWarningRaised": on_warning,
    "TaskClosed": _set(state=const("closed"), closed_on=_day),
}


class LedgerTree:
    """The ledger-tree projection: a pure fold of task events into `ledger_tasks` rows."""

    name = "ledger_tree"
    ddl = DDL

    def apply(self, tx: Tx, envelope: Envelope) -> None:
        handler = HANDLERS.get(envelope.type) if envelope.aggregate_type == "task" else None
        if handler is not None:
            handler(tx, envelope)

    def canonical_rows(self, tx: Tx) -> dict[str, list[dict[str, Any]]]:
        return {"ledger_tasks": tx.query(f"SELECT {', '.join(COLUMNS)} FROM ledger_tasks ORDER BY task_id")}

    def reset(self, tx: Tx) -> None:
        tx.execute("DELETE FROM ledger_tasks")


# ---- reading ----------------------------------------------------------------------------


def decoded(row: dict[str, Any]) -> dict[str, Any]:
    """A row as readers see it: lists decoded."""
    return {**row, "supporting_units": json.loads(row["supporting_units"]), "milestones": json.loads(row["milestones"])}


def light_today(row: dict[str, Any], today: date, calendar: WorkingCalendar, policy: Policy) -> tuple[str, str]:
    """The light of an open task judged today from its stored dates; a finished task keeps its last light."""
    if row["state"] not in OPEN:
        return row["light"], f"the task is {row['state']}"
    milestones = []
    for m in row["milestones"]:
        milestone = Milestone.from_dict(m)
        reached = date.fromisoformat(m["reached_on"]) if m.get("reached_on") else None
        milestones.append(Milestone(milestone.id, milestone.title, milestone.due, milestone.percent, reached))
    light, reason = assess(date.fromisoformat(row["deadline"]), milestones, row["percent"], today, calendar, policy)
    return light.value, reason


def task_row(views: ViewStore, task_id: str) -> dict[str, Any] | None:
    with views.read() as tx:
        row = tx.query_one(f"SELECT {', '.join(COLUMNS)} FROM ledger_tasks WHERE task_id = ?", (task_id,))
    return decoded(row) if row else None


def subtree(views: ViewStore, task_id: str) -> list[dict[str, Any]]:
    """The task and everything below it, parents before children."""
    found: list[dict[str, Any]] = []
    frontier = [task_id]
    with views.read() as tx:
        root = tx.query_one(f"SELECT {', '.join(COLUMNS)} FROM ledger_tasks WHERE task_id = ?", (task_id,))
        if root is None:
            return []
        found.append(decoded(root))
        while frontier:
            marks = ", ".join("?" for _ in frontier)
            rows = tx.query(
                f"SELECT {', '.join(COLUMNS)} FROM ledger_tasks WHERE parent_id IN ({marks}) ORDER BY responsible_unit",
                frontier,
            )
            found.extend(decoded(r) for r in rows)
            frontier = [r["task_id"] for r in rows]
    return found


def open_tasks(views: ViewStore) -> list[dict[str, Any]]:
    """Every task still open (registered or accepted): what the clock may have to act on."""
    with views.read() as tx:
        rows = tx.query(
            f"SELECT {', '.join(COLUMNS)} FROM ledger_tasks WHERE state IN ('registered', 'accepted') ORDER BY deadline, task_id"
        )
    return [decoded(r) for r in rows]
