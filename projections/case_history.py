"""A case's history (audit trail, 全程留痕): every event of a supervision case (督查事项) or a lead (线索),
who acted (unit, role, person), on which day (`on`), when it was recorded, at which position.

Each row also says which units the event concerns (`concerns`: the target it is about, the
target of the requirement 整改意见 it acts on, the unit a use of results names); an empty
list is an event about the whole case. Readers outside the office see only what concerns
them (`api/visibility.py`); the fold keeps the facts, not the policy.

Protected fields never enter the view: who gave a lead (`informant`, Art. 26) is read by the
supervision office alone, from the event store (`domain/lead.py`: read models drop it).
"""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from domain.envelope import Envelope
from projections.store import Tx, ViewStore

AGGREGATES = ("case", "lead")
PROTECTED = {"LeadSubmitted": frozenset({"informant"})}  # Art. 26: dropped by every read model

DDL = (
    """CREATE TABLE IF NOT EXISTS case_history (
        aggregate_id TEXT NOT NULL, aggregate_type TEXT NOT NULL, version BIGINT NOT NULL, position BIGINT NOT NULL,
        node TEXT NOT NULL, type TEXT NOT NULL, occurred_on TEXT, recorded_at TEXT NOT NULL, actor TEXT,
        concerns TEXT NOT NULL, payload TEXT NOT NULL, PRIMARY KEY (aggregate_id, version))""",
    """CREATE TABLE IF NOT EXISTS case_history_refs (
        case_id TEXT NOT NULL, ref TEXT NOT NULL, unit TEXT NOT NULL, PRIMARY KEY (case_id, ref))""",
)
COLUMNS = "aggregate_id, aggregate_type, version, position, node, type, occurred_on, recorded_at, actor, concerns, payload"


def _remember(tx: Tx, case_id: str, ref: str, unit: str) -> None:
    tx.execute(
        "INSERT INTO case_history_refs (case_id, ref, unit) VALUES (?, ?, ?) "
        "ON CONFLICT (case_id, ref) DO UPDATE SET unit = excluded.unit", (case_id, ref, unit),
    )


def _unit_of(tx: Tx, case_id: str, ref: str) -> list[str]:
    row = tx.query_one("SELECT unit FROM case_history_refs WHERE case_id = ? AND ref = ?", (case_id, ref))
    return [row["unit"]] if row else []


def concerns(tx: Tx, envelope: Envelope) -> list[str]:
    """The units the event is about (empty: the whole case); remembers requirements' and proposals' units."""
    p, case_id = envelope.payload, str(envelope.aggregate_id)
    if envelope.type in ("ConclusionIssued", "ReviewDecided"):
        for r in p.get("requirements", []):
            _remember(tx, case_id, f"requirement:{r['id']}", p["target"])
    if "proposal_id" in p and "unit" in p:
        _remember(tx, case_id, f"proposal:{p['proposal_id']}", p["unit"])
    if isinstance(p.get("targets"), list) and envelope.type != "CaseProposed":
        return sorted(p["targets"])
    for key in ("target", "unit", "about_unit"):
        if isinstance(p.get(key), str):
            return [p[key]]
    if "requirement_id" in p and p["requirement_id"]:
        return _unit_of(tx, case_id, f"requirement:{p['requirement_id']}")
    if "proposal_id" in p:
        return _unit_of(tx, case_id, f"proposal:{p['proposal_id']}")
    return []


class CaseHistory:
    """The audit trail projection: one row per event of a case or a lead, in version order."""

    name = "case_history"
    ddl = DDL

    def apply(self, tx: Tx, envelope: Envelope) -> None:
        if envelope.aggregate_type not in AGGREGATES:
            return
        hidden = PROTECTED.get(envelope.type, frozenset())
        payload = {k: v for k, v in envelope.payload.items() if k not in hidden}
        tx.execute(
            f"INSERT INTO case_history ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                str(envelope.aggregate_id), envelope.aggregate_type, envelope.aggregate_version, envelope.position,
                envelope.node, envelope.type, envelope.occurred_on.isoformat() if envelope.occurred_on else None,
                envelope.recorded_at.isoformat(), json.dumps(envelope.actor, ensure_ascii=False, sort_keys=True),
                json.dumps(concerns(tx, envelope)), json.dumps(payload, ensure_ascii=False, sort_keys=True),
            ),
        )

    def canonical_rows(self, tx: Tx) -> dict[str, list[dict[str, Any]]]:
        return {
            "case_history": tx.query(f"SELECT {COLUMNS} FROM case_history ORDER BY aggregate_id, version"),
            "case_history_refs": tx.query("SELECT case_id, ref, unit FROM case_history_refs ORDER BY case_id, ref"),
        }

    def reset(self, tx: Tx) -> None:
        tx.execute("DELETE FROM case_history_refs")
        tx.execute("DELETE FROM case_history")


def history_of(views: ViewStore, aggregate_id: UUID, aggregate_type: str = "case") -> list[dict[str, Any]]:
    """Every event of one case (or lead), oldest first, with its actor, concerns and payload decoded."""
    with views.read() as tx:
        rows = tx.query(
            f"SELECT {COLUMNS} FROM case_history WHERE aggregate_id = ? AND aggregate_type = ? ORDER BY version",
            (str(aggregate_id), aggregate_type),
        )
    return [row | {k: json.loads(row[k]) for k in ("actor", "concerns", "payload")} for row in rows]
