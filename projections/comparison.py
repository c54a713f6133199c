"""The comparison (对表分析): per target and item, the target's self-inspection (自查), the office's findings
and the third-party evaluation (第三方评估), side by side.

Items are keyed as the domain keys them (`domain/work.py`): a self-inspection and an
evaluation carry `items` (item → text), a finding names its `item`. A later
self-inspection of a target replaces its earlier one, a later evaluation by the same
evaluator its earlier one; findings accumulate, one per finding id. The self-inspection's
report and the evaluation's summary are kept under the empty item.
"""

from __future__ import annotations

from typing import Any

from domain.envelope import Envelope
from projections.store import Tx, ViewStore

DDL = (
    """CREATE TABLE IF NOT EXISTS comparison (
        case_id TEXT NOT NULL, target TEXT NOT NULL, source TEXT NOT NULL, ref TEXT NOT NULL, item TEXT NOT NULL,
        text TEXT NOT NULL, occurred_on TEXT, position BIGINT NOT NULL,
        PRIMARY KEY (case_id, target, source, ref, item))""",
)
COLUMNS = "case_id, target, source, ref, item, text, occurred_on, position"
SUMMARY = ""  # the item under which a report or a summary is kept


def _put(tx: Tx, envelope: Envelope, target: str, source: str, ref: str, items: dict[str, str]) -> None:
    day = envelope.occurred_on.isoformat() if envelope.occurred_on else None
    tx.executemany(
        f"INSERT INTO comparison ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [(str(envelope.aggregate_id), target, source, ref, item, text, day, envelope.position) for item, text in items.items()],
    )


def _replace(tx: Tx, envelope: Envelope, source: str, ref: str, summary: str) -> None:
    target = envelope.payload["target"]
    tx.execute(
        "DELETE FROM comparison WHERE case_id = ? AND target = ? AND source = ? AND ref = ?",
        (str(envelope.aggregate_id), target, source, ref),
    )
    _put(tx, envelope, target, source, ref, {SUMMARY: summary, **envelope.payload["items"]})


class Comparison:
    """The comparison projection: self-inspection, findings and evaluation per case, target and item."""

    name = "comparison"
    ddl = DDL

    def apply(self, tx: Tx, envelope: Envelope) -> None:
        if envelope.aggregate_type != "case":
            return
        p = envelope.payload
        if envelope.type == "SelfInspectionSubmitted":
            _replace(tx, envelope, "self-inspection", "", p["report"])
        elif envelope.type == "EvaluationSubmitted":
            _replace(tx, envelope, "evaluation", (envelope.actor or {}).get("unit", ""), p["summary"])
        elif envelope.type == "FindingRecorded":
            _put(tx, envelope, p["target"], "finding", p["finding_id"], {p["item"]: p["text"]})

    def canonical_rows(self, tx: Tx) -> dict[str, list[dict[str, Any]]]:
        return {"comparison": tx.query(f"SELECT {COLUMNS} FROM comparison ORDER BY case_id, target, source, ref, item")}

    def reset(self, tx: Tx) -> None:
        tx.execute("DELETE FROM comparison")


def _entry(row: dict[str, Any]) -> dict[str, Any]:
    return {"text": row["text"], "on": row["occurred_on"]}


def _target_view(target: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    view: dict[str, Any] = {"target": target, "self_report": None, "evaluation_summaries": {}, "items": {}}
    for row in rows:
        if row["item"] == SUMMARY and row["source"] != "finding":
            if row["source"] == "self-inspection":
                view["self_report"] = _entry(row)
            else:
                view["evaluation_summaries"][row["ref"]] = _entry(row)
            continue
        item = view["items"].setdefault(row["item"], {"item": row["item"], "self_inspection": None, "findings": [], "evaluations": {}})
        if row["source"] == "self-inspection":
            item["self_inspection"] = _entry(row)
        elif row["source"] == "finding":
            item["findings"].append(_entry(row) | {"finding_id": row["ref"]})
        else:
            item["evaluations"][row["ref"]] = _entry(row)
    view["items"] = [view["items"][k] for k in sorted(view["items"])]
    return view


def comparison_of(views: ViewStore, case_id: str) -> list[dict[str, Any]]:
    """Per target (sorted), its self-report, evaluations' summaries, and its items side by side (sorted by item)."""
    with views.read() as tx:
        rows = tx.query(f"SELECT {COLUMNS} FROM comparison WHERE case_id = ? ORDER BY target, item, source, position, ref", (case_id,))
    targets: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        targets.setdefault(row["target"], []).append(row)
    return [_target_view(target, targets[target]) for target in sorted(targets)]
