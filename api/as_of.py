"""A case as it stood at a moment (`GET /v1/cases/{id}?as_of=`), replayed from the event store.

The moment is a **record time**, as in the audit's time travel (`ducha/audit/time_travel.py`):
the case is what the node had recorded by then. A datetime without an offset is UTC; a bare
date means the end of that day in China Standard Time (UTC+8), the day's last recorded act
included. The version in force at that moment is found among the case's stored events (their
timestamps), and the aggregate is rebuilt at that version through the repository
(`repository.get(id, version=...)`), in a thread: eventsourcing is synchronous. Who may see
what of it is `api/visibility.py`'s answer, as for the board row, and its answer is the model of
the reader's sight (`api/case_views.py`).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any
from uuid import UUID

from fastapi.exceptions import RequestValidationError

from api import visibility
from api.case_views import MODELS, CaseAsOfForParty
from domain.case import Case
from ducha.bootstrap import Node
from projections.case_board import Audience

CHINA = timezone(timedelta(hours=8), "CST")


def as_of_moment(text: str) -> datetime:
    """The moment `?as_of=` names; an invalid value is an invalid request (422)."""
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time.max, CHINA)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise RequestValidationError(
            [{"loc": ("query", "as_of"), "msg": "an ISO 8601 datetime or date", "type": "value_error"}]
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _replay(node: Node, case_id: UUID, moment: datetime) -> tuple[Case, datetime] | None:
    """The case at the last version recorded by `moment`, and that version's record time; None before it existed."""
    stamps = [(e.originator_version, e.timestamp) for e in node.app.events.get(case_id)]
    upto = [(version, at) for version, at in stamps if at <= moment]
    if not upto:
        return None
    version, at = upto[-1]
    return node.app.repository.get(case_id, version=version), at


def snapshot(case: Case, moment: datetime, recorded_at: datetime) -> dict[str, Any]:
    """The aggregate's state as plain data."""
    return {
        "id": case.id, "as_of": moment, "version": case.version, "recorded_at": recorded_at, "state": case.state.value,
        "title": case.title, "level": case.level, "case_type": case.case_type.value, "topic": case.topic.value,
        "sponsor": case.sponsor.value, "sponsor_unit": case.sponsor_unit, "targets": list(case.targets),
        "methods": [m.value for m in case.methods], "covert": case.covert, "window_start": case.window[0],
        "window_end": case.window[1], "proposed_on": case.proposed_on, "decided_on": case.decided_on,
        "filed_on": case.filed_on, "planned_on": case.planned_on, "reported_on": case.reported_on,
        "merged_into": case.merged_into, "notified": dict(case.notified), "visited": dict(case.visited),
        "conclusions": [
            {"target": t, "issued_on": c["issued_on"], "delivered_on": c.get("delivered_on"),
             "review_open": c.get("review_open", False)}
            for t, c in sorted(case.conclusions.items())
        ],
        "requirements": [
            {"id": r.id, "target": r.target, "text": r.text, "deadline": r.deadline, "status": r.status.value,
             "overdue": r.overdue}
            for r in sorted(case.requirements.values(), key=lambda r: r.id)
        ],
    }


async def case_as_of(node: Node, seen_by: Audience, row: dict[str, Any], moment: datetime) -> CaseAsOfForParty:
    """The visible case `row` as it stood at `moment`, in the model of the reader's sight; 404 before it existed."""
    replayed = await asyncio.to_thread(_replay, node, UUID(row["id"]), moment)
    if replayed is None:
        raise visibility.not_found()
    case, recorded_at = replayed
    model = MODELS[visibility.sight(seen_by, row)].as_of
    return model.model_validate(visibility.shape_snapshot(seen_by, row, snapshot(case, moment, recorded_at)))
