"""Cases received from above (上级督查事项): per target and case, what the target's node received — the notice
(督查通知), the visit, the conclusion (督查结论) with its findings and requirements, the review (复核), the office's
check of each rectification (核查: verified or returned), the overdue marks (逾期) and the urging (催办) — and what
the target sent back up (自查, 整改报告, 复核申请), each with its `act_id` and `status`: `sent`, or `refused` with the
`refusal` (the case's node's reason slug, its text, the day) when the case's node refused it (退件). Each requirement
carries its `status` (open, in-progress, completed, verified, returned) and `overdue`, as the target's node knows
them. One row per `ReceivedCase`;
nothing about a covert case (暗访) exists here before its visit, because nothing of it crossed.
"""

from __future__ import annotations

import json
from typing import Any

from domain.envelope import Envelope
from projections.store import Tx, ViewStore

DDL = (
    """CREATE TABLE IF NOT EXISTS received_cases (
        id TEXT PRIMARY KEY, level TEXT NOT NULL, case_id TEXT NOT NULL, target TEXT NOT NULL, sender TEXT NOT NULL,
        title TEXT NOT NULL, case_type TEXT NOT NULL, topic TEXT NOT NULL, covert INTEGER NOT NULL, state TEXT NOT NULL,
        received_on TEXT NOT NULL, notice TEXT, visited_on TEXT, conclusion TEXT, requirements TEXT NOT NULL,
        review TEXT, sent TEXT NOT NULL, urged TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS received_cases_by_target ON received_cases (target)",
)
JSON_COLUMNS = ("notice", "conclusion", "requirements", "review", "sent", "urged")
FRESH = {"status": "open", "overdue": False}  # a requirement as a conclusion or an amending review sets it


def _day(value: Any) -> str | None:
    return None if value is None else str(value)


class ReceivedCases:
    """The cases this node received from above, by target."""

    name = "received_cases"
    ddl = DDL

    def apply(self, tx: Tx, envelope: Envelope) -> None:
        if envelope.aggregate_type != "receivedcase":
            return
        p, key, on = envelope.payload, str(envelope.aggregate_id), _day(envelope.occurred_on)
        if envelope.type == "ReceivedCaseOpened":
            tx.execute(
                "INSERT INTO received_cases (id, level, case_id, target, sender, title, case_type, topic, covert, state, "
                "received_on, requirements, sent, urged) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'received', ?, '[]', '[]', '[]') "
                "ON CONFLICT (id) DO NOTHING",
                (key, p["level"], p["case_id"], p["target"], p["sender"], p["title"], p["case_type"], p["topic"],
                 int(bool(p["covert"])), on),
            )
            return
        handler = HANDLERS.get(envelope.type)
        if envelope.type in SENT:
            p = {**p, "act_id": f"{key}:{envelope.aggregate_version}"}
        if handler is not None:
            row = tx.query_one("SELECT * FROM received_cases WHERE id = ?", (key,))
            if row is not None:
                handler(tx, key, on, p, decoded(row))

    def canonical_rows(self, tx: Tx) -> dict[str, list[dict[str, Any]]]:
        return {"received_cases": tx.query("SELECT * FROM received_cases ORDER BY id")}

    def reset(self, tx: Tx) -> None:
        tx.execute("DELETE FROM received_cases")


def _set(tx: Tx, key: str, **columns: Any) -> None:
    values = [json.dumps(v, ensure_ascii=False, default=str) if c in JSON_COLUMNS else v for c, v in columns.items()]
    tx.execute(f"UPDATE received_cases SET {', '.join(f'{c} = ?' for c in columns)} WHERE id = ?", (*values, key))


def _notice(tx: Tx, key: str, on: str | None, p: dict[str, Any], row: dict[str, Any]) -> None:
    notice = {"notified_on": on, **{k: p[k] for k in ("site_work_starts", "content", "supervisors", "methods")}}
    _set(tx, key, notice=notice, state="notified" if row["state"] == "received" else row["state"])


def _visit(tx: Tx, key: str, on: str | None, p: dict[str, Any], row: dict[str, Any]) -> None:
    _set(tx, key, visited_on=on, state="visited" if row["state"] in ("received", "notified") else row["state"])


def _conclusion(tx: Tx, key: str, on: str | None, p: dict[str, Any], row: dict[str, Any]) -> None:
    conclusion = {"delivered_on": on, **{k: p[k] for k in ("summary", "findings", "issued_on", "review_by")}}
    _set(tx, key, conclusion=conclusion, requirements=[FRESH | r for r in p["requirements"]], state="concluded")


def _review_decided(tx: Tx, key: str, on: str | None, p: dict[str, Any], row: dict[str, Any]) -> None:
    review = {**(row["review"] or {}), "decided_on": on, "outcome": p["outcome"], "grounds": p["grounds"]}
    before = {r["id"]: r for r in row["requirements"]} if p["outcome"] == "upheld" else {}
    requirements = [FRESH | before.get(r["id"], {}) | r for r in p["requirements"]]
    _set(tx, key, review=review, requirements=requirements, state="reviewed")


def _requirement(tx: Tx, key: str, row: dict[str, Any], requirement_id: str, **changes: Any) -> None:
    """One requirement's standing changed."""
    requirements = [r | changes if r["id"] == requirement_id else r for r in row["requirements"]]
    _set(tx, key, requirements=requirements)


def _rectification_sent(tx: Tx, key: str, on: str | None, p: dict[str, Any], row: dict[str, Any]) -> None:
    sent = {"kind": "completion" if p["completed"] else "progress", "on": on, "act_id": p["act_id"], "status": "sent",
            **{k: p[k] for k in ("requirement_id", "progress", "percent")}}
    _set(tx, key, sent=[*row["sent"], sent])
    _requirement(tx, key, row, p["requirement_id"], status="completed" if p["completed"] else "in-progress")


def _verified(tx: Tx, key: str, on: str | None, p: dict[str, Any], row: dict[str, Any]) -> None:
    _requirement(tx, key, row, p["requirement_id"], status="verified", verified_on=on, remarks=p["remarks"])


def _returned(tx: Tx, key: str, on: str | None, p: dict[str, Any], row: dict[str, Any]) -> None:
    _requirement(tx, key, row, p["requirement_id"], status="returned", returned_on=on, reason=p["reason"])


def _overdue(tx: Tx, key: str, on: str | None, p: dict[str, Any], row: dict[str, Any]) -> None:
    _requirement(tx, key, row, p["requirement_id"], overdue=True, overdue_on=on)


def _urged(tx: Tx, key: str, on: str | None, p: dict[str, Any], row: dict[str, Any]) -> None:
    _set(tx, key, urged=[*row["urged"], {"on": on, "requirement_id": p["requirement_id"], "message": p["message"]}])


def _self_inspection_sent(tx: Tx, key: str, on: str | None, p: dict[str, Any], row: dict[str, Any]) -> None:
    _set(tx, key, sent=[*row["sent"], {"kind": "self-inspection", "on": on, "act_id": p["act_id"], "status": "sent",
                                       "report": p["report"], "items": p["items"]}])


def _review_applied(tx: Tx, key: str, on: str | None, p: dict[str, Any], row: dict[str, Any]) -> None:
    _set(tx, key, review={"requested_on": on, "grounds": p["grounds"]}, state="under-review",
         sent=[*row["sent"], {"kind": "review", "on": on, "act_id": p["act_id"], "status": "sent", "grounds": p["grounds"]}])


def _refused(tx: Tx, key: str, on: str | None, p: dict[str, Any], row: dict[str, Any]) -> None:
    """退件: the act shows refused with its reason; a refused review no longer holds the case, a refused report leaves
    its requirement as it stood."""
    refusal = {"reason": p["reason"], "text": p["text"], "on": on}
    sent = [s | {"status": "refused", "refusal": refusal} if s.get("act_id") == p["act_id"] else s for s in row["sent"]]
    changes: dict[str, Any] = {"sent": sent}
    if p["review_dropped"]:
        changes |= {"review": None, "state": "concluded"}
    if p["restored"] is not None:
        (refused,) = [s for s in row["sent"] if s.get("act_id") == p["act_id"]]
        changes["requirements"] = [r | {"status": p["restored"]} if r["id"] == refused["requirement_id"] else r
                                   for r in row["requirements"]]
    _set(tx, key, **changes)


HANDLERS = {
    "NoticeReceived": _notice, "VisitReceived": _visit, "ConclusionReceived": _conclusion,
    "ReviewDecisionReceived": _review_decided, "RectificationSent": _rectification_sent, "ReviewApplied": _review_applied,
    "VerificationReceived": _verified, "ReturnReceived": _returned, "OverdueReceived": _overdue, "UrgingReceived": _urged,
    "SelfInspectionSent": _self_inspection_sent, "RefusalReceived": _refused,
}
SENT = frozenset({"SelfInspectionSent", "RectificationSent", "ReviewApplied"})  # the target's acts, named by act_id


# ---- reading ----------------------------------------------------------------------------


def decoded(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "covert": bool(row["covert"]),
            **{c: None if row[c] is None else json.loads(row[c]) for c in JSON_COLUMNS}}


def received_cases(views: ViewStore, targets: set[str] | None = None) -> list[dict[str, Any]]:
    """The received cases (of `targets` only, when given), newest first."""
    with views.read() as tx:
        rows = [decoded(r) for r in tx.query("SELECT * FROM received_cases ORDER BY received_on DESC, id")]
    return [r for r in rows if targets is None or r["target"] in targets]


def received_case(views: ViewStore, record_id: str) -> dict[str, Any] | None:
    with views.read() as tx:
        row = tx.query_one("SELECT * FROM received_cases WHERE id = ?", (record_id,))
    return None if row is None else decoded(row)
