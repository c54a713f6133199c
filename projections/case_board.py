"""The case board (督查事项台账): which supervision cases (督查事项) exist, and where each stands.

One row per case; the units it concerns (its sponsor unit and its supervised units 督查对象)
in a side table so that the board filters by unit. Updated asynchronously by a projector
from the node's stream, or rebuilt from the event store. Every value comes from the
envelopes (never the wall clock), so a rebuilt board is identical to the live one.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from uuid import UUID

from domain.envelope import Envelope
from projections.store import Tx, ViewStore

DDL = (
    """CREATE TABLE IF NOT EXISTS case_board (
        id TEXT PRIMARY KEY, title TEXT NOT NULL, level TEXT NOT NULL, sponsor TEXT NOT NULL,
        sponsor_unit TEXT NOT NULL, case_type TEXT NOT NULL, topic TEXT NOT NULL, methods TEXT NOT NULL,
        covert INTEGER NOT NULL, targets TEXT NOT NULL, window_start TEXT NOT NULL, window_end TEXT NOT NULL,
        state TEXT NOT NULL, proposed_on TEXT NOT NULL, decided_on TEXT, version BIGINT NOT NULL,
        node TEXT NOT NULL, position BIGINT NOT NULL, updated_at TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS case_board_by_date ON case_board (proposed_on DESC, id)",
    "CREATE INDEX IF NOT EXISTS case_board_by_state ON case_board (state, proposed_on DESC, id)",
    """CREATE TABLE IF NOT EXISTS case_board_units (
        case_id TEXT NOT NULL, unit TEXT NOT NULL, PRIMARY KEY (case_id, unit))""",
    "CREATE INDEX IF NOT EXISTS case_board_units_by_unit ON case_board_units (unit, case_id)",
)

COLUMNS = (
    "id", "title", "level", "sponsor", "sponsor_unit", "case_type", "topic", "methods", "covert", "targets",
    "window_start", "window_end", "state", "proposed_on", "decided_on", "version", "node", "position", "updated_at",
)


def _stamp(envelope: Envelope) -> dict[str, Any]:
    """The columns every event sets: the case's version and where and when it was recorded."""
    return {
        "version": envelope.aggregate_version,
        "node": envelope.node,
        "position": envelope.position,
        "updated_at": envelope.recorded_at.isoformat(),
    }


def _day(envelope: Envelope) -> str:
    """The day the act happened (its `on`), which the envelope carries as `occurred_on`."""
    if envelope.occurred_on is None:
        raise ValueError(f"{envelope.type} at {envelope.message_id} carries no date of the act")
    return envelope.occurred_on.isoformat()


def on_proposed(tx: Tx, envelope: Envelope) -> None:
    p = envelope.payload
    row = {
        "id": str(envelope.aggregate_id), "title": p["title"], "level": p["level"], "sponsor": p["sponsor"],
        "sponsor_unit": p["sponsor_unit"], "case_type": p["case_type"], "topic": p["topic"],
        "methods": json.dumps(p["methods"]), "covert": int(bool(p["covert"])), "targets": json.dumps(p["targets"]),
        "window_start": p["window_start"], "window_end": p["window_end"], "state": "proposed",
        "proposed_on": _day(envelope), "decided_on": None, **_stamp(envelope),
    }
    tx.execute(
        f"INSERT INTO case_board ({', '.join(COLUMNS)}) VALUES ({', '.join('?' for _ in COLUMNS)})",
        [row[c] for c in COLUMNS],
    )
    units = sorted({p["sponsor_unit"], *p["targets"]})
    tx.executemany("INSERT INTO case_board_units (case_id, unit) VALUES (?, ?)", [(row["id"], u) for u in units])


def _decided(state: str) -> Callable[[Tx, Envelope], None]:
    def on_decided(tx: Tx, envelope: Envelope) -> None:
        stamp = _stamp(envelope)
        tx.execute(
            "UPDATE case_board SET state = ?, decided_on = ?, version = ?, node = ?, position = ?, updated_at = ? "
            "WHERE id = ?",
            (state, _day(envelope), *stamp.values(), str(envelope.aggregate_id)),
        )

    return on_decided


HANDLERS: dict[str, Callable[[Tx, Envelope], None]] = {
    "CaseProposed": on_proposed,
    "CaseApproved": _decided("approved"),
    "CaseRejected": _decided("rejected"),
}


class CaseBoard:
    """The case board projection: a pure fold of the case events into `case_board` rows."""

    name = "case_board"
    ddl = DDL

    def apply(self, tx: Tx, envelope: Envelope) -> None:
        handler = HANDLERS.get(envelope.type) if envelope.aggregate_type == "case" else None
        if handler is not None:  # other events are ignored; the caller still advances tracking
            handler(tx, envelope)

    def canonical_rows(self, tx: Tx) -> dict[str, list[dict[str, Any]]]:
        return {
            "case_board": tx.query(f"SELECT {', '.join(COLUMNS)} FROM case_board ORDER BY id"),
            "case_board_units": tx.query("SELECT case_id, unit FROM case_board_units ORDER BY case_id, unit"),
        }

    def reset(self, tx: Tx) -> None:
        tx.execute("DELETE FROM case_board_units")
        tx.execute("DELETE FROM case_board")


# ---- queries ----------------------------------------------------------------------------


def _public(row: dict[str, Any]) -> dict[str, Any]:
    lists = {"methods": json.loads(row["methods"]), "targets": json.loads(row["targets"])}
    return row | lists | {"covert": bool(row["covert"])}


def list_cases(
    views: ViewStore, *, state: str | None = None, unit: str | None = None, limit: int = 50, offset: int = 0
) -> tuple[list[dict[str, Any]], int]:
    """A page of the board, newest proposal first, and how many cases match in all."""
    where, params = [], []
    if state is not None:
        where.append("state = ?")
        params.append(state)
    if unit is not None:
        where.append("id IN (SELECT case_id FROM case_board_units WHERE unit = ?)")
        params.append(unit)
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    with views.transaction() as tx:
        total = tx.query_one(f"SELECT COUNT(*) AS n FROM case_board{clause}", params)
        rows = tx.query(
            f"SELECT {', '.join(COLUMNS)} FROM case_board{clause} ORDER BY proposed_on DESC, id LIMIT ? OFFSET ?",
            [*params, limit, offset],
        )
    return [_public(r) for r in rows], int(total["n"]) if total else 0


def get_case(views: ViewStore, case_id: UUID) -> dict[str, Any] | None:
    """One case's row, or None when the board does not (yet) show it."""
    with views.transaction() as tx:
        row = tx.query_one(f"SELECT {', '.join(COLUMNS)} FROM case_board WHERE id = ?", (str(case_id),))
    return _public(row) if row else None
