"""Cases received from above (上级督查事项) over HTTP, on the target's own node: the target reads its notices and
conclusions (with the findings they rest on) and where each requirement stands (verified or returned by the
office's check 核查, overdue 逾期, urged 催办), and sends its self-inspection (自查), its rectification reports
(整改报告) and its application for review (复核申请) up to the case's node through the outbox.

A received case is the target's: the target unit reads and acts on its own, this node's offices read those in
their jurisdiction (the policy rows). A covert case (暗访) is not here at all before its visit.
"""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Response
from pydantic import Field

from api.auth import ActorDep
from api.case_command_routes import ON_CASE, ExpectedVersion
from api.case_models import Command
from api.deps import NodeDep
from api.authorization import NOT_FOUND, sees_received
from api.ledger_common import answer
from api.ledger_models import Answer
from api.paging import Limit, Offset, page_of
from api.problems import problems
from domain.errors import NotFound
from projections.received_cases import received_case, received_cases

router = APIRouter(prefix="/v1/received-cases", tags=["received cases"])


class SubmitSelfInspection(Command):
    """自查、说明: the target's self-inspection and written explanation, item by item, before its conclusion."""

    report: str = Field(min_length=1, max_length=20000)
    items: dict[str, str] = Field(default_factory=dict, max_length=200)


class ReportRectification(Command):
    """整改报告: progress on one requirement, or (`completed`) the claim that it is rectified."""

    requirement_id: str = Field(min_length=1, max_length=100)
    progress: str = Field(min_length=1, max_length=4000, description="What was done (for a completion: its summary).")
    percent: int | None = Field(None, ge=0, le=100)
    completed: bool = False


class RequestReview(Command):
    """复核申请: apply for review of the conclusion, with grounds (Art. 17: within 30 days of its delivery)."""

    grounds: str = Field(min_length=1, max_length=4000)


@router.get("", responses=problems(401, 403), summary="The cases received from above that concern the caller")
async def list_received_cases(actor: ActorDep, node: NodeDep, limit: Limit = 50, offset: Offset = 0) -> dict[str, Any]:
    rows = await asyncio.to_thread(received_cases, node.views)
    mine = [r for r in rows if sees_received(node.registry, actor, r["target"])]
    return page_of(mine, limit, offset, key="cases")


@router.get("/{received_id}", responses=problems(401, 403, 404), summary="One case received from above")
async def get_received_case(received_id: UUID, actor: ActorDep, node: NodeDep) -> dict[str, Any]:
    row = await asyncio.to_thread(received_case, node.views, str(received_id))
    if row is None:
        raise NotFound(NOT_FOUND["received"])
    return row


@router.post("/{received_id}/self-inspection", response_model=Answer, responses=problems(*ON_CASE),
             summary="Submit the self-inspection (自查、说明) to the case's node")
async def submit_received_self_inspection(
    received_id: UUID, body: SubmitSelfInspection, actor: ActorDep, node: NodeDep, expected: ExpectedVersion,
    response: Response,
) -> Answer:
    outcome = await node.received.run("submit-self-inspection", actor, received_id, on=body.on,
                                      expected_version=expected, **body.fields())
    return answer(response, outcome)


@router.post("/{received_id}/rectification", response_model=Answer, responses=problems(*ON_CASE),
             summary="Report rectification (整改报告) to the case's node")
async def report_received_rectification(
    received_id: UUID, body: ReportRectification, actor: ActorDep, node: NodeDep, expected: ExpectedVersion,
    response: Response,
) -> Answer:
    outcome = await node.received.run(
        "report-rectification", actor, received_id, on=body.on, expected_version=expected, **body.fields()
    )
    return answer(response, outcome)


@router.post("/{received_id}/review-request", response_model=Answer, responses=problems(*ON_CASE),
             summary="Apply for review (复核申请) to the case's node")
async def request_received_review(
    received_id: UUID, body: RequestReview, actor: ActorDep, node: NodeDep, expected: ExpectedVersion,
    response: Response,
) -> Answer:
    outcome = await node.received.run("request-review", actor, received_id, on=body.on, expected_version=expected,
                                      **body.fields())
    return answer(response, outcome)
