"""Plan against actual (计划与实际): per government and year, the filed annual plan's activities and caps,
the activities approved outside it on their own (一事一报), and the cases actually approved at that
level for that year (by their window's first day), each judged in plan, approved outside it, or
outside it without approval. Every value comes from the envelopes; judged at query time.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from domain.envelope import Envelope
from projections.store import Tx, ViewStore

DDL = (
    """CREATE TABLE IF NOT EXISTS plans (
        plan_id TEXT PRIMARY KEY, government TEXT NOT NULL, year INTEGER NOT NULL, performance_base DOUBLE PRECISION NOT NULL,
        drafted_on TEXT NOT NULL, filed_on TEXT, filed_with TEXT)""",
    """CREATE TABLE IF NOT EXISTS plan_activities (
        plan_id TEXT NOT NULL, activity_id TEXT NOT NULL, kind TEXT NOT NULL, title TEXT NOT NULL, units TEXT NOT NULL,
        window_start TEXT NOT NULL, window_end TEXT NOT NULL, PRIMARY KEY (plan_id, activity_id))""",
    """CREATE TABLE IF NOT EXISTS plan_caps (
        plan_id TEXT NOT NULL, unit TEXT NOT NULL, on_site_visits INTEGER NOT NULL, material_requests INTEGER NOT NULL,
        reports INTEGER NOT NULL, PRIMARY KEY (plan_id, unit))""",
    """CREATE TABLE IF NOT EXISTS plan_exceptions (
        plan_id TEXT NOT NULL, ref TEXT NOT NULL, title TEXT NOT NULL, units TEXT NOT NULL, activity_on TEXT NOT NULL,
        approved_on TEXT NOT NULL, grounds TEXT NOT NULL, PRIMARY KEY (plan_id, ref))""",
    """CREATE TABLE IF NOT EXISTS plan_cases (
        case_id TEXT PRIMARY KEY, level TEXT NOT NULL, title TEXT NOT NULL, targets TEXT NOT NULL,
        window_start TEXT NOT NULL, approved_on TEXT)""",
)
TABLES = {
    "plans": "plan_id", "plan_activities": "plan_id, activity_id", "plan_caps": "plan_id, unit",
    "plan_exceptions": "plan_id, ref", "plan_cases": "case_id",
}


def _day(envelope: Envelope) -> str | None:
    return envelope.occurred_on.isoformat() if envelope.occurred_on else None


def _plan(tx: Tx, envelope: Envelope) -> None:
    p, plan = envelope.payload, str(envelope.aggregate_id)
    if envelope.type == "PlanDrafted":
        tx.execute(
            "INSERT INTO plans (plan_id, government, year, performance_base, drafted_on) VALUES (?, ?, ?, ?, ?)",
            (plan, p["government"], p["year"], p["performance_base"], _day(envelope)),
        )
    elif envelope.type == "ActivityPlanned":
        tx.execute(
            "INSERT INTO plan_activities (plan_id, activity_id, kind, title, units, window_start, window_end) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (plan, p["activity_id"], p["kind"], p["title"], json.dumps(p["units"]), p["window_start"], p["window_end"]),
        )
    elif envelope.type == "BurdenCapSet":
        tx.execute(
            "INSERT INTO plan_caps (plan_id, unit, on_site_visits, material_requests, reports) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (plan_id, unit) DO UPDATE SET on_site_visits = excluded.on_site_visits, "
            "material_requests = excluded.material_requests, reports = excluded.reports",
            (plan, p["unit"], p["on_site_visits"], p["material_requests"], p["reports"]),
        )
    elif envelope.type == "PlanFiled":
        tx.execute("UPDATE plans SET filed_on = ?, filed_with = ? WHERE plan_id = ?", (_day(envelope), p["filed_with"], plan))
    elif envelope.type == "OutOfPlanActivityApproved":
        tx.execute(
            "INSERT INTO plan_exceptions (plan_id, ref, title, units, activity_on, approved_on, grounds) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (plan, p["ref"], p["title"], json.dumps(p["units"]), p["activity_on"], _day(envelope), p["grounds"]),
        )


def _case(tx: Tx, envelope: Envelope) -> None:
    p, case = envelope.payload, str(envelope.aggregate_id)
    if envelope.type == "CaseProposed":
        tx.execute(
            "INSERT INTO plan_cases (case_id, level, title, targets, window_start) VALUES (?, ?, ?, ?, ?)",
            (case, p["level"], p["title"], json.dumps(p["targets"]), p["window_start"]),
        )
    elif envelope.type == "CaseApproved":
        tx.execute("UPDATE plan_cases SET approved_on = ? WHERE case_id = ?", (_day(envelope), case))


class PlanActual:
    """The plan-against-actual projection: plans, their activities, caps and exceptions, and the cases approved."""

    name = "plan_actual"
    ddl = DDL

    def apply(self, tx: Tx, envelope: Envelope) -> None:
        if envelope.aggregate_type == "annualplan":
            _plan(tx, envelope)
        elif envelope.aggregate_type == "case":
            _case(tx, envelope)

    def canonical_rows(self, tx: Tx) -> dict[str, list[dict[str, Any]]]:
        return {table: tx.query(f"SELECT * FROM {table} ORDER BY {order}") for table, order in TABLES.items()}

    def reset(self, tx: Tx) -> None:
        for table in TABLES:
            tx.execute(f"DELETE FROM {table}")


# ---- reading ----------------------------------------------------------------------------


def _covers(activity: dict[str, Any], targets: list[str], day: str) -> bool:
    """The plan's rule (AnnualPlan.is_in_plan) on rows: a supervision visiting all the targets in a window covering the day."""
    return (
        activity["kind"] == "supervision" and set(targets) <= set(activity["units"])
        and activity["window_start"] <= day <= activity["window_end"]
    )


def plan_against_actual(views: ViewStore, government: str, year: int) -> dict[str, Any] | None:
    """The plan of `government` for `year` with its activities, caps, exceptions and the cases approved that year."""
    with views.read() as tx:
        plan = tx.query_one("SELECT * FROM plans WHERE government = ? AND year = ?", (government, year))
        if plan is None:
            return None
        key = (plan["plan_id"],)
        activities = tx.query("SELECT * FROM plan_activities WHERE plan_id = ? ORDER BY window_start, activity_id", key)
        caps = tx.query("SELECT unit, on_site_visits, material_requests, reports FROM plan_caps WHERE plan_id = ? ORDER BY unit", key)
        exceptions = tx.query("SELECT * FROM plan_exceptions WHERE plan_id = ? ORDER BY approved_on, ref", key)
        cases = tx.query(
            "SELECT case_id, title, targets, window_start, approved_on FROM plan_cases "
            "WHERE level = ? AND approved_on IS NOT NULL AND window_start >= ? AND window_start <= ? ORDER BY window_start, case_id",
            (government, date(year, 1, 1).isoformat(), date(year, 12, 31).isoformat()),
        )
    for a in activities:
        a["units"] = json.loads(a["units"])
    for e in exceptions:
        e["units"] = json.loads(e["units"])
    approved = {e["ref"] for e in exceptions}
    actual = [_judged(c, activities, approved, filed=plan["filed_on"] is not None) for c in cases]
    for a in activities:
        a["cases"] = [c["case_id"] for c in actual if a["activity_id"] in c["activities"]]
    return {
        **{k: plan[k] for k in ("government", "year", "performance_base", "drafted_on", "filed_on", "filed_with")},
        "activities": activities, "caps": caps, "out_of_plan_approved": exceptions, "actual": actual,
        "counts": {
            "planned": len(activities), "actual": len(actual),
            "in_plan": sum(c["standing"] == "in-plan" for c in actual),
            "approved_out_of_plan": sum(c["standing"] == "approved-out-of-plan" for c in actual),
            "out_of_plan": sum(c["standing"] == "out-of-plan" for c in actual),
        },
    }


def _judged(case: dict[str, Any], activities: list[dict[str, Any]], approved: set[str], *, filed: bool) -> dict[str, Any]:
    targets = json.loads(case["targets"])
    matching = [a["activity_id"] for a in activities if filed and _covers(a, targets, case["window_start"])]
    standing = "in-plan" if matching else "approved-out-of-plan" if case["case_id"] in approved else "out-of-plan"
    return {**case, "targets": targets, "activities": matching, "standing": standing}


def base_of(views: ViewStore, government: str, year: int) -> float | None:
    """The performance base of a government's plan for a year, if it has one."""
    with views.read() as tx:
        row = tx.query_one("SELECT performance_base FROM plans WHERE government = ? AND year = ?", (government, year))
    return float(row["performance_base"]) if row else None


def caps_of(views: ViewStore, unit: str, year: int) -> list[dict[str, Any]]:
    """The caps set on a unit for a year, by every plan that sets one (the government that set it named)."""
    with views.read() as tx:
        return tx.query(
            "SELECT p.government, c.on_site_visits, c.material_requests, c.reports FROM plan_caps c "
            "JOIN plans p ON p.plan_id = c.plan_id WHERE c.unit = ? AND p.year = ? ORDER BY p.government", (unit, year),
        )
