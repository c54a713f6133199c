"""Instructions received from above (上级批示交办): per instruction whose lead unit (主办) this node serves, what the
unit's node received — the assignment, the returns of its answer, the closing — and the answers it sent up, each
with its `act_id` and `status`: `sent`, or `refused` with the `refusal` (the instruction's node's reason slug, its
text, the day) when that node refused it (退件); a refused last answer puts the row back in the state before it."""

from __future__ import annotations

import json
from typing import Any

from domain.envelope import Envelope
from projections.store import Tx, ViewStore

DDL = (
    """CREATE TABLE IF NOT EXISTS received_instructions (
        id TEXT PRIMARY KEY, level TEXT NOT NULL, instruction_id TEXT NOT NULL, sender TEXT NOT NULL, text TEXT NOT NULL,
        instructing_leader TEXT NOT NULL, lead_unit TEXT NOT NULL, supporting_units TEXT NOT NULL, urgency TEXT NOT NULL,
        deadline TEXT NOT NULL, note TEXT NOT NULL, state TEXT NOT NULL, assigned_on TEXT NOT NULL, history TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS received_instructions_by_unit ON received_instructions (lead_unit)",
)
OPENED = ("level", "instruction_id", "sender", "text", "instructing_leader", "lead_unit", "urgency", "deadline", "note")
# What each later event makes of the row: its new state and the entry it adds to the history.
STEPS = {
    "AnswerReturnReceived": ("returned", lambda p: {"kind": "returned", "reason": p["reason"]}),
    "ClosingReceived": ("closed", lambda p: {"kind": "closed", "summary": p["summary"]}),
    "AnswerSent": ("answered", lambda p: {"kind": "answered", "text": p["text"], "evidence": p["evidence"],
                                          "act_id": p["act_id"], "status": "sent"}),
}


class ReceivedInstructions:
    """The instructions this node received from above, by lead unit."""

    name = "received_instructions"
    ddl = DDL

    def apply(self, tx: Tx, envelope: Envelope) -> None:
        if envelope.aggregate_type != "receivedinstruction":
            return
        p, key, on = envelope.payload, str(envelope.aggregate_id), str(envelope.occurred_on)
        if envelope.type == "ReceivedInstructionOpened":
            columns = [*OPENED, "supporting_units", "state", "assigned_on", "history"]
            values = [str(p[c]) for c in OPENED] + [json.dumps(p["supporting_units"], ensure_ascii=False), "assigned", on, "[]"]
            tx.execute(
                f"INSERT INTO received_instructions (id, {', '.join(columns)}) VALUES (?, {', '.join('?' for _ in columns)}) "
                "ON CONFLICT (id) DO NOTHING",
                (key, *values),
            )
            return
        if envelope.type not in STEPS and envelope.type != "RefusalReceived":
            return
        row = tx.query_one("SELECT state, history FROM received_instructions WHERE id = ?", (key,))
        if row is None:
            return
        if envelope.type == "RefusalReceived":
            refusal = {"reason": p["reason"], "text": p["text"], "on": on}
            history = [h | {"status": "refused", "refusal": refusal} if h.get("act_id") == p["act_id"] else h
                       for h in json.loads(row["history"])]
            state = p["restored"] or row["state"]
        else:
            state, entry = STEPS[envelope.type]
            if envelope.type == "AnswerSent":  # named as the outbox names it, for its refusal
                p = {**p, "act_id": f"{key}:{envelope.aggregate_version}"}
            history = [*json.loads(row["history"]), {"on": on, **entry(p)}]
        tx.execute("UPDATE received_instructions SET state = ?, history = ? WHERE id = ?",
                   (state, json.dumps(history, ensure_ascii=False), key))

    def canonical_rows(self, tx: Tx) -> dict[str, list[dict[str, Any]]]:
        return {"received_instructions": tx.query("SELECT * FROM received_instructions ORDER BY id")}

    def reset(self, tx: Tx) -> None:
        tx.execute("DELETE FROM received_instructions")


def decoded(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "supporting_units": json.loads(row["supporting_units"]), "history": json.loads(row["history"])}


def received_instructions(views: ViewStore) -> list[dict[str, Any]]:
    """Every received instruction, newest assignment first."""
    with views.read() as tx:
        return [decoded(r) for r in tx.query("SELECT * FROM received_instructions ORDER BY assigned_on DESC, id")]


def received_instruction(views: ViewStore, record_id: str) -> dict[str, Any] | None:
    with views.read() as tx:
        row = tx.query_one("SELECT * FROM received_instructions WHERE id = ?", (record_id,))
    return None if row is None else decoded(row)
