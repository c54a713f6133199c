"""Queries on the case board (督查事项台账): pages, counts, one case, and its light (红黄绿灯).

Every query takes an `Audience`: the cases a reader may see, as data the API's visibility
rules (`api/visibility.py`) compute; the SQL that applies it is here, in one place.
The light is computed at query time from the dates stored in the row, with the node's
calendar and today's date, so a rebuilt board answers exactly as the live one.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from domain.calendar import WorkingCalendar, working_days_between
from projections.store import Tx, ViewStore


@dataclass(frozen=True)
class Audience:
    """The cases a reader may see: every case of `levels` (its jurisdiction's own cases), and any case on
    which one of `units` has access (a target that knows of the case, an entrusted evaluator).

    `None` (the default in queries) is the whole board, for the node's own processes and tests.
    """

    levels: frozenset[str] = frozenset()
    units: frozenset[str] = frozenset()
    covert_targets: frozenset[str] = frozenset()  # a covert case on one of these is hidden until its visit there

    def admits(self, case: CaseSight) -> bool:
        """The rule of `audience_clause`, on one case's facts rather than on the board's rows: for a case the
        board does not show yet (the writer's, `ducha/recent_cases.py`) and a case loaded from the store
        (`api/authorization.py`). `tests/projections/test_case_sight.py` holds the two forms equal."""
        known = case.level in self.levels or any(unit in self.units for unit, _ in case.access)
        return known and not (case.covert and bool(case.unvisited & self.covert_targets))


@dataclass(frozen=True)
class CaseSight:
    """What decides who sees a case, as the board keeps it: its level, whether it is covert (暗访), who outside
    the office has access (`case_board_access`: a target once it knows of the case, an entrusted evaluator),
    and the targets not yet visited (for a covert case, those it is still hidden from)."""

    level: str
    covert: bool
    access: frozenset[tuple[str, str]]
    unvisited: frozenset[str]

    @classmethod
    def of(cls, case: Any) -> CaseSight:
        """The facts of a case aggregate (`domain.case.Case`), as the board's fold derives them from its events."""
        aware = {("target", t) for t in case.targets if case.notified.get(t) or case.visited.get(t)}
        evaluators = {("evaluator", e) for e in (case.plan or {}).get("evaluators") or ()}
        return cls(
            level=case.level, covert=bool(case.covert),
            access=frozenset((unit, reason) for reason, unit in aware | evaluators),
            unvisited=frozenset(t for t in case.targets if t not in case.visited),
        )


@dataclass(frozen=True)
class Filters:
    """The board's filters; None leaves a filter out."""

    state: str | None = None
    unit: str | None = None
    case_type: str | None = None
    topic: str | None = None
    method: str | None = None
    year: int | None = None


def _marks(values: frozenset[str]) -> str:
    return ", ".join("?" for _ in values)


def audience_clause(audience: Audience | None) -> tuple[str | None, list[Any]]:
    """The SQL condition (on `case_board`) that keeps the cases `audience` may see."""
    if audience is None:
        return None, []
    clause, params = _audience_clause(audience)
    return clause, list(params)


@functools.lru_cache(maxsize=4096)
def _audience_clause(audience: Audience) -> tuple[str, tuple[Any, ...]]:
    """Remembered per audience (a jurisdiction's is hundreds of units, sorted into parameters)."""
    parts, params = [], []
    if audience.levels:
        parts.append(f"level IN ({_marks(audience.levels)})")
        params.extend(sorted(audience.levels))
    if audience.units:
        parts.append(f"id IN (SELECT case_id FROM case_board_access WHERE unit IN ({_marks(audience.units)}))")
        params.extend(sorted(audience.units))
    clause = f"({' OR '.join(parts)})" if parts else "1 = 0"
    if audience.covert_targets:
        clause += (
            " AND NOT (covert = 1 AND id IN (SELECT t.case_id FROM case_board_targets t "
            f"WHERE t.target IN ({_marks(audience.covert_targets)}) AND t.visited_on IS NULL))"
        )
        params.extend(sorted(audience.covert_targets))
    return clause, tuple(params)


def _where(filters: Filters, audience: Audience | None) -> tuple[str, list[Any]]:
    where, params = [], []
    for column in ("state", "case_type", "topic"):
        if getattr(filters, column) is not None:
            where.append(f"{column} = ?")
            params.append(getattr(filters, column))
    if filters.unit is not None:
        where.append("id IN (SELECT case_id FROM case_board_units WHERE unit = ?)")
        params.append(filters.unit)
    if filters.method is not None:  # methods is a JSON list of enumerated words: match the quoted word
        where.append("methods LIKE ?")
        params.append(f'%"{filters.method}"%')
    if filters.year is not None:
        where.append("proposed_on >= ? AND proposed_on < ?")
        params.extend([f"{filters.year:04d}-01-01", f"{filters.year + 1:04d}-01-01"])
    clause, more = audience_clause(audience)
    if clause:
        where.append(clause)
        params.extend(more)
    return (f" WHERE {' AND '.join(where)}" if where else ""), params


def _public(tx: Tx, row: dict[str, Any]) -> dict[str, Any]:
    access = tx.query("SELECT unit, reason FROM case_board_access WHERE case_id = ? ORDER BY unit, reason", (row["id"],))
    lists = {"methods": json.loads(row["methods"]), "targets": json.loads(row["targets"])}
    return row | lists | {"covert": bool(row["covert"]), "access": [(a["unit"], a["reason"]) for a in access]}


def list_cases(
    views: ViewStore, *, state: str | None = None, unit: str | None = None, limit: int = 50, offset: int = 0,
    filters: Filters | None = None, audience: Audience | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """A page of the board, newest proposal first, and how many cases match in all."""
    filters = filters or Filters(state=state, unit=unit)
    clause, params = _where(filters, audience)
    with views.read() as tx:
        total = tx.query_one(f"SELECT COUNT(*) AS n FROM case_board{clause}", params)
        rows = tx.query(
            f"SELECT * FROM case_board{clause} ORDER BY proposed_on DESC, id LIMIT ? OFFSET ?", [*params, limit, offset]
        )
        return [_public(tx, r) for r in rows], int(total["n"]) if total else 0


def repeat_candidates(
    views: ViewStore, *, targets: list[str], topic: str, window_start: str, window_end: str, states: list[str],
    limit: int = 20, audience: Audience | None = None,
) -> list[dict[str, Any]]:
    """The latest `limit` cases in `states`, among those `audience` may see, that visit one of `targets` on
    `topic` or in a window overlapping the given one (Art. 15): id, title, topic, targets, window and the day
    proposed only."""
    sql, params = repeat_candidates_query(targets, topic, window_start, window_end, states, limit, audience)
    with views.read() as tx:
        rows = tx.query(sql, params)
    return [row | {"targets": json.loads(row["targets"])} for row in rows]


def repeat_candidates_query(
    targets: list[str], topic: str, window_start: str, window_end: str, states: list[str], limit: int,
    audience: Audience | None = None,
) -> tuple[str, list[Any]]:
    """The SQL of `repeat_candidates` and its parameters.

    It starts from the targets' index and reaches each case's row by its key (CROSS JOIN fixes
    that order in SQLite): a target is visited by few cases, while the active states, where the
    planner would otherwise start, hold most of the board. The audience's condition is the board's
    own (`audience_clause`): a case the reader may not see is no candidate at all.
    """
    seen, seen_params = audience_clause(audience)
    sight = f" AND {seen}" if seen else ""
    sql = (
        "SELECT DISTINCT b.id, b.title, b.topic, b.targets, b.window_start, b.window_end, b.proposed_on"
        " FROM case_board_targets t CROSS JOIN case_board b"
        f" WHERE t.target IN ({', '.join('?' for _ in targets)}) AND b.id = t.case_id"
        f" AND b.state IN ({', '.join('?' for _ in states)})"
        " AND (b.topic = ? OR (b.window_start <= ? AND b.window_end >= ?))"
        f"{sight} ORDER BY b.proposed_on DESC, b.id LIMIT ?"
    )
    return sql, [*targets, *states, topic, window_end, window_start, *seen_params, limit]


def count_cases(views: ViewStore, *, filters: Filters | None = None, audience: Audience | None = None) -> dict[str, int]:
    """How many matching cases are in each state (states with none are left out)."""
    clause, params = _where(filters or Filters(), audience)
    with views.read() as tx:
        rows = tx.query(f"SELECT state, COUNT(*) AS n FROM case_board{clause} GROUP BY state ORDER BY state", params)
    return {r["state"]: int(r["n"]) for r in rows}


def get_case(views: ViewStore, case_id: UUID, audience: Audience | None = None) -> dict[str, Any] | None:
    """One case's row, or None when the board does not (yet) show it, or not to this audience."""
    clause, params = audience_clause(audience)
    extra = f" AND {clause}" if clause else ""
    with views.read() as tx:
        row = tx.query_one(f"SELECT * FROM case_board WHERE id = ?{extra}", (str(case_id), *params))
        return _public(tx, row) if row else None


def visible_case_ids(views: ViewStore, case_ids: list[str], audience: Audience | None) -> set[str]:
    """Of `case_ids`, those the audience may see (for views of other things that name cases)."""
    if not case_ids:
        return set()
    clause, params = audience_clause(audience)
    extra = f" AND {clause}" if clause else ""
    with views.read() as tx:
        rows = tx.query(f"SELECT id FROM case_board WHERE id IN ({', '.join('?' for _ in case_ids)}){extra}",
                        [*case_ids, *params])
    return {row["id"] for row in rows}


def light_of(due_on: str | None, today: date, calendar: WorkingCalendar, yellow_within: int) -> str | None:
    """red when the due day has passed; yellow when it is at most `yellow_within` working days away; else green.

    None when nothing is due. Work done on the due day itself is on time.
    """
    if due_on is None:
        return None
    due = date.fromisoformat(due_on)
    if today > due:
        return "red"
    left, _ = working_days_between(calendar, today, due, up_to=yellow_within)
    return "yellow" if left <= yellow_within else "green"
