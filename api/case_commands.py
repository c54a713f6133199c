"""Commands on cases (督查事项): propose (立项), approve (同意), reject.

Each runs through the node's `CaseCommands`; the answer is given only after the events are
committed, and carries the case's version (ETag) and its last event's position
(`Ducha-Position`, for read-your-writes queries with `?after=`). A refused command records
nothing and answers a problem.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Body, Depends, Response, status

from api.auth import ActorDep
from api.case_models import ApproveCase, CommandAnswer, ProposeCase, RejectCase
from api.deps import NodeDep
from api.preconditions import etag, expected_version
from api.problems import problems
from ducha.writer import Outcome

router = APIRouter(prefix="/v1/cases", tags=["cases"])

ExpectedVersion = Annotated[int | None, Depends(expected_version)]


def _answer(response: Response, outcome: Outcome) -> CommandAnswer:
    response.headers["Ducha-Position"] = str(outcome.position)
    response.headers["ETag"] = etag(outcome.version)
    return CommandAnswer(id=outcome.aggregate.id, state=outcome.state, version=outcome.version, position=outcome.position)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=CommandAnswer,
    responses=problems(401, 403, 422),
    summary="Propose a supervision case (立项)",
)
async def propose_case(body: ProposeCase, actor: ActorDep, node: NodeDep, response: Response) -> CommandAnswer:
    fields = body.model_dump(exclude={"on"})
    outcome = await node.cases.propose(actor, on=body.on, **fields)
    response.headers["Location"] = f"{router.prefix}/{outcome.aggregate.id}"
    return _answer(response, outcome)


@router.post(
    "/{case_id}/approve",
    response_model=CommandAnswer,
    responses=problems(400, 401, 403, 404, 409, 422),
    summary="Approve a proposed case (同意)",
)
async def approve_case(
    case_id: UUID,
    actor: ActorDep,
    node: NodeDep,
    expected: ExpectedVersion,
    response: Response,
    body: Annotated[ApproveCase | None, Body()] = None,
) -> CommandAnswer:
    body = body or ApproveCase()
    outcome = await node.cases.approve(
        actor, case_id, on=body.on, remarks=body.remarks, expected_version=expected
    )
    return _answer(response, outcome)


@router.post(
    "/{case_id}/reject",
    response_model=CommandAnswer,
    responses=problems(400, 401, 403, 404, 409, 422),
    summary="Reject a proposed case, with a reason",
)
async def reject_case(
    case_id: UUID, body: RejectCase, actor: ActorDep, node: NodeDep, expected: ExpectedVersion, response: Response
) -> CommandAnswer:
    outcome = await node.cases.reject(actor, case_id, reason=body.reason, on=body.on, expected_version=expected)
    return _answer(response, outcome)
