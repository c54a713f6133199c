"""A case's history (audit trail, 全程留痕) and a lead's (线索), from the `case_history` projection.

Every event with its type, who acted (unit, role, person), the day of the act (`on`), when
it was recorded, its position in the node's history, the aggregate's version, and its
payload — as much of it as `api/visibility.py` lets the reader see, in the model of its sight of
the case (`api/case_views.py`): an internal note (内部备注) or a draft (草稿) only to the readers its
rule names. Who gave a lead (informant, Art. 26) never enters the view; the supervision office of
the lead's level reads it from the event store (`Lead.informant_for`), no one else at all.
"""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from fastapi import APIRouter, Response
from pydantic import BaseModel

from api import visibility
from api.case_queries import MAX_WAIT_SECONDS, After, Reader, Wait, catch_up, visible_case
from api.case_views import MODELS, CaseHistoryView, EventForOffice, HistoryForOffice, HistoryForParty
from api.deps import NodeDep
from api.problems import problems
from domain.actor import Actor
from domain.errors import NotFound
from domain.lead import Lead
from ducha.bootstrap import Node
from projections.case_history import history_of

router = APIRouter(tags=["history"])
PROJECTIONS = ("case_board", "case_history")


class LeadHistoryView(BaseModel):
    """A lead's events, oldest first; `informant` only for the office of the lead's level."""

    lead_id: UUID
    informant: dict[str, str] | None = None
    events: list[EventForOffice]


def _event(row: dict[str, Any]) -> dict[str, Any]:
    """A history row under the names of the answer (`on`: the day of the act)."""
    names = ("type", "version", "position", "recorded_at", "actor", "concerns", "payload")
    return {k: row[k] for k in names} | {"on": row["occurred_on"]}


@router.get(
    "/v1/cases/{case_id}/history", response_model=CaseHistoryView, responses=problems(401, 403, 404, 422),
    summary="Every event of a case that the reader may see: who, as which role, when",
)
async def case_history(
    case_id: UUID, reader: Reader, node: NodeDep, response: Response, after: After = None, wait: Wait = MAX_WAIT_SECONDS,
) -> HistoryForOffice | HistoryForParty:
    await catch_up(node, response, after, wait, *PROJECTIONS)
    seen_by, row = await visible_case(node, reader, case_id)
    events = await asyncio.to_thread(history_of, node.views, case_id)
    redacted = [visibility.redact(e, False) for e in events]
    visible = visibility.visible_history(seen_by, row, redacted, reader, node.registry)
    models = MODELS[visibility.sight(seen_by, row)]
    return models.history(case_id=case_id, events=[models.event.of(_event(e)) for e in visible])


def _informant(node: Node, reader: Actor, lead_id: UUID, level: str) -> dict[str, str] | None:
    if not visibility.may_see_lead_secrets(reader, node.registry, level):
        return None
    try:
        lead = node.app.repository.get(lead_id)
    except AggregateNotFoundError:
        return None
    return lead.informant_for(reader, node.registry) if isinstance(lead, Lead) else None


@router.get(
    "/v1/leads/{lead_id}/history", response_model=LeadHistoryView, responses=problems(401, 403, 404, 422),
    summary="Every event of a lead, for the offices of its level; who gave it for the supervision office alone",
)
async def lead_history(
    lead_id: UUID, reader: Reader, node: NodeDep, response: Response, after: After = None, wait: Wait = MAX_WAIT_SECONDS,
) -> LeadHistoryView:
    await catch_up(node, response, after, wait, "case_history")
    events = await asyncio.to_thread(history_of, node.views, lead_id, "lead")
    level = events[0]["payload"].get("level") if events else None
    if level is None or level not in visibility.audience(reader, node.registry).levels:
        raise NotFound("no such lead")
    secrets = visibility.may_see_lead_secrets(reader, node.registry, level)
    informant = await asyncio.to_thread(_informant, node, reader, lead_id, level) if secrets else None
    return LeadHistoryView(
        lead_id=lead_id, informant=informant,
        events=[EventForOffice.of(_event(visibility.redact(e, secrets))) for e in events],
    )
