"""The province-wide burden ledger (全省基层负担台账): per unit and year, what every level's node counted — this
node's own burden ledger (`projections/burden.py`) plus the counts each node directly below reported up
(`ReportedBurden`, which already holds what the levels below that node reported to it).

The rows hold only the last counts each lower node reported for a year (a newer report replaces them);
totals are summed at query time. The same function (`totals`) answers the province's question and makes
the counts a city reports up, so a county's burden reaches the province through its city.
"""

from __future__ import annotations

from typing import Any

from domain.annual_plan import BURDEN_MEASURES
from domain.envelope import Envelope
from projections.burden import VISITS
from projections.store import Tx, ViewStore

DDL = (
    """CREATE TABLE IF NOT EXISTS province_burden_reported (
        node TEXT NOT NULL, year INTEGER NOT NULL, unit TEXT NOT NULL, measure TEXT NOT NULL, n INTEGER NOT NULL,
        PRIMARY KEY (node, year, unit, measure))""",
    "CREATE INDEX IF NOT EXISTS province_burden_by_unit ON province_burden_reported (unit, year)",
)

Counts = dict[str, dict[str, int]]  # {unit: {measure: count}}


class ProvinceBurden:
    """The counts each lower node last reported, per year, unit and measure."""

    name = "province_burden"
    ddl = DDL

    def apply(self, tx: Tx, envelope: Envelope) -> None:
        if (envelope.aggregate_type, envelope.type) != ("reportedburden", "BurdenReportReceived"):
            return
        p = envelope.payload
        tx.execute("DELETE FROM province_burden_reported WHERE node = ? AND year = ?", (p["node"], p["year"]))
        for unit, measures in p["counts"].items():
            for measure, n in measures.items():
                tx.execute(
                    "INSERT INTO province_burden_reported (node, year, unit, measure, n) VALUES (?, ?, ?, ?, ?)",
                    (p["node"], p["year"], unit, measure, int(n)),
                )

    def canonical_rows(self, tx: Tx) -> dict[str, list[dict[str, Any]]]:
        return {"province_burden_reported": tx.query("SELECT * FROM province_burden_reported ORDER BY node, year, unit, measure")}

    def reset(self, tx: Tx) -> None:
        tx.execute("DELETE FROM province_burden_reported")


# ---- reading ----------------------------------------------------------------------------

# This node's own visits per unit: one per merged group and day, as projections/burden.py counts them.
OWN_VISITS = """SELECT unit, COUNT(*) AS n FROM (SELECT DISTINCT b.unit, COALESCE(m.survivor_id, b.source_id) AS grp, b.on_day
    FROM burden_items b LEFT JOIN burden_merges m ON m.case_id = b.source_id
    WHERE b.year = ? AND b.measure = ?) AS visits GROUP BY unit"""
OWN_OTHER = "SELECT unit, measure, COUNT(*) AS n FROM burden_items WHERE year = ? AND measure <> ? GROUP BY unit, measure"
REPORTED = "SELECT unit, measure, SUM(n) AS n FROM province_burden_reported WHERE year = ? GROUP BY unit, measure"


def _add(into: Counts, unit: str, measure: str, n: int) -> None:
    row = into.setdefault(unit, {m: 0 for m in BURDEN_MEASURES})
    row[measure] = row.get(measure, 0) + int(n)


def totals(tx: Tx, year: int) -> Counts:
    """Every unit's counts for `year`: this node's own plus what the nodes below reported."""
    found: Counts = {}
    for row in tx.query(OWN_VISITS, (year, VISITS)):
        _add(found, row["unit"], VISITS, row["n"])
    for query in (OWN_OTHER, REPORTED):
        for row in tx.query(query, (year, VISITS) if query is OWN_OTHER else (year,)):
            _add(found, row["unit"], row["measure"], row["n"])
    return dict(sorted(found.items()))


def years(tx: Tx) -> list[int]:
    """The years anything was counted in, here or below."""
    rows = tx.query("SELECT DISTINCT year FROM burden_items UNION SELECT DISTINCT year FROM province_burden_reported")
    return sorted(int(row["year"]) for row in rows)


def unit_burden(views: ViewStore, unit: str, year: int) -> dict[str, Any]:
    """One unit's counts for a year, in total and by the node that counted them (`own`: this node)."""
    with views.read() as tx:
        total = totals(tx, year).get(unit, {m: 0 for m in BURDEN_MEASURES})
        rows = tx.query(
            "SELECT node, measure, n FROM province_burden_reported WHERE unit = ? AND year = ? ORDER BY node, measure",
            (unit, year),
        )
    reported: Counts = {}
    for row in rows:
        _add(reported, row["node"], row["measure"], row["n"])
    own = {m: total[m] - sum(r.get(m, 0) for r in reported.values()) for m in BURDEN_MEASURES}
    return {"unit": unit, "year": year, "counts": total, "total": sum(total.values()), "own": own, "reported_by": reported}
