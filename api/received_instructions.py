"""Instructions received from above (上级批示交办) over HTTP, on the lead unit's own node: the lead unit (主办) reads
the instructions assigned to it and sends its one consolidated answer (反馈) up to the instruction's node through
the outbox. The unit reads and answers its own; this node's offices read those in their jurisdiction."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Response

from api import ledger_models as m
from api.authorization import NOT_FOUND, sees_received
from api.auth import ActorDep
from api.case_command_routes import ON_CASE, ExpectedVersion
from api.deps import NodeDep
from api.ledger_common import answer
from api.paging import Limit, Offset, page_of
from api.problems import problems
from domain.errors import NotFound
from projections.received_instructions import received_instruction, received_instructions

router = APIRouter(prefix="/v1/received-instructions", tags=["received instructions"])


@router.get("", responses=problems(401, 403), summary="The instructions received from above that concern the caller")
async def list_received_instructions(actor: ActorDep, node: NodeDep, limit: Limit = 50, offset: Offset = 0) -> dict[str, Any]:
    rows = await asyncio.to_thread(received_instructions, node.views)
    mine = [r for r in rows if sees_received(node.registry, actor, r["lead_unit"])]
    return page_of(mine, limit, offset, key="instructions")


@router.get("/{received_id}", responses=problems(401, 403, 404), summary="One instruction received from above")
async def get_received_instruction(received_id: UUID, actor: ActorDep, node: NodeDep) -> dict[str, Any]:
    row = await asyncio.to_thread(received_instruction, node.views, str(received_id))
    if row is None:
        raise NotFound(NOT_FOUND["received"])
    return row


@router.post("/{received_id}/answer", response_model=m.Answer, responses=problems(*ON_CASE),
             summary="The lead unit's answer (反馈), to the instruction's node")
async def answer_received_instruction(
    received_id: UUID, body: m.AnswerInstruction, actor: ActorDep, node: NodeDep, expected: ExpectedVersion,
    response: Response,
) -> m.Answer:
    outcome = await node.received.run("answer", actor, received_id, on=body.on, expected_version=expected, **body.fields())
    return answer(response, outcome)
