"""The burden ledger (基层负担台账): per unit and year, what it received from every level — on-site visits
(实地督查), written demands for material (书面材料要求) and reports asked of it (报送).

* on-site visits: a case's `SiteVisitConducted` at the target; merged cases (`CasesMerged`,
  能合尽合) are one visit: visits are counted once per merged group and day;
* material demands: a notice (`TargetsNotified`) that asks for a self-inspection (自查) is a
  written demand on each target; a demand for a form (`MaterialRequested`, 最多报一次) is one;
* reports: a task's progress report (`ProgressReported`), a case's rectification report
  (`RectificationReported`) and an instruction's answer (`InstructionAnswered`), each by the
  unit that made it.

Counts, caps (`projections/plan_actual.py`) and the change against the year before are
computed at query time; the rows hold only what the envelopes say.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from domain.annual_plan import BURDEN_MEASURES
from domain.envelope import Envelope
from projections.store import Tx, ViewStore

VISITS, MATERIAL, REPORTS = BURDEN_MEASURES

DDL = (
    """CREATE TABLE IF NOT EXISTS burden_items (
        unit TEXT NOT NULL, year INTEGER NOT NULL, measure TEXT NOT NULL, source_id TEXT NOT NULL, ref TEXT NOT NULL,
        on_day TEXT NOT NULL, PRIMARY KEY (unit, measure, source_id, ref))""",
    "CREATE INDEX IF NOT EXISTS burden_items_unit ON burden_items (unit, year)",
    """CREATE TABLE IF NOT EXISTS burden_merges (case_id TEXT PRIMARY KEY, survivor_id TEXT NOT NULL)""",
)


def _item(tx: Tx, envelope: Envelope, unit: str, measure: str, ref: str) -> None:
    day = envelope.occurred_on
    assert day is not None, f"{envelope.type} carries no date of the act"
    tx.execute(
        "INSERT INTO burden_items (unit, year, measure, source_id, ref, on_day) VALUES (?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (unit, measure, source_id, ref) DO NOTHING",
        (unit, day.year, measure, str(envelope.aggregate_id), ref, day.isoformat()),
    )


def on_visit(tx: Tx, envelope: Envelope) -> None:
    _item(tx, envelope, envelope.payload["target"], VISITS, envelope.occurred_on.isoformat())  # type: ignore[union-attr]


def on_notice(tx: Tx, envelope: Envelope) -> None:
    if "self-inspection" in envelope.payload["methods"]:
        for target in envelope.payload["targets"]:
            _item(tx, envelope, target, MATERIAL, f"notice-v{envelope.aggregate_version}")


def on_merged(tx: Tx, envelope: Envelope) -> None:
    p = envelope.payload
    tx.execute(
        "INSERT INTO burden_merges (case_id, survivor_id) VALUES (?, ?) ON CONFLICT (case_id) DO NOTHING",
        (p["absorbed_id"], p["survivor_id"]),
    )


def _by_actor(measure: str) -> Callable[[Tx, Envelope], None]:
    def handler(tx: Tx, envelope: Envelope) -> None:
        _item(tx, envelope, (envelope.actor or {})["unit"], measure, f"v{envelope.aggregate_version}")

    return handler


HANDLERS: dict[tuple[str, str], Callable[[Tx, Envelope], None]] = {
    ("case", "SiteVisitConducted"): on_visit,
    ("case", "TargetsNotified"): on_notice,
    ("case", "CasesMerged"): on_merged,
    ("case", "RectificationReported"): _by_actor(REPORTS),
    ("task", "ProgressReported"): _by_actor(REPORTS),
    ("instruction", "InstructionAnswered"): _by_actor(REPORTS),
    ("materialregister", "MaterialRequested"): lambda tx, e: _item(tx, e, e.payload["unit"], MATERIAL, e.payload["request_id"]),
}


class Burden:
    """The burden-ledger projection: one row per visit, demand or report a unit received."""

    name = "burden"
    ddl = DDL

    def apply(self, tx: Tx, envelope: Envelope) -> None:
        handler = HANDLERS.get((envelope.aggregate_type, envelope.type))
        if handler is not None:
            handler(tx, envelope)

    def canonical_rows(self, tx: Tx) -> dict[str, list[dict[str, Any]]]:
        return {
            "burden_items": tx.query("SELECT * FROM burden_items ORDER BY unit, measure, source_id, ref"),
            "burden_merges": tx.query("SELECT * FROM burden_merges ORDER BY case_id"),
        }

    def reset(self, tx: Tx) -> None:
        tx.execute("DELETE FROM burden_items")
        tx.execute("DELETE FROM burden_merges")


# ---- reading ----------------------------------------------------------------------------

# A visit's group: the case it was merged into (followed one step; a survivor is not absorbed later in practice).
COUNT_VISITS = """SELECT COUNT(*) AS n FROM (SELECT DISTINCT COALESCE(m.survivor_id, b.source_id) AS grp, b.on_day
    FROM burden_items b LEFT JOIN burden_merges m ON m.case_id = b.source_id
    WHERE b.unit = ? AND b.year = ? AND b.measure = ?) AS visits"""
COUNT_OTHER = "SELECT COUNT(*) AS n FROM burden_items WHERE unit = ? AND year = ? AND measure = ?"


def counts(views: ViewStore, unit: str, year: int) -> dict[str, int]:
    """What `unit` received in `year`, per measure."""
    with views.read() as tx:
        found = {VISITS: tx.query_one(COUNT_VISITS, (unit, year, VISITS))["n"]}  # type: ignore[index]
        for measure in (MATERIAL, REPORTS):
            found[measure] = tx.query_one(COUNT_OTHER, (unit, year, measure))["n"]  # type: ignore[index]
    return {m: int(found[m]) for m in BURDEN_MEASURES}


def items(views: ViewStore, unit: str, year: int) -> list[dict[str, Any]]:
    """Every visit, demand and report behind the counts."""
    with views.read() as tx:
        return tx.query(
            "SELECT measure, source_id, ref, on_day FROM burden_items WHERE unit = ? AND year = ? ORDER BY on_day, measure, source_id, ref",
            (unit, year),
        )


def change(this: int, before: int) -> float | None:
    """The change against the year before in percent (negative: a reduction); None when nothing was received before."""
    if before == 0:
        return None
    return round((this - before) * 100.0 / before, 1)
