"""Commands on cases (督查事项): propose (立项), approve (同意), merge (能合尽合), and every other
step of the lifecycle (registered from the table in `api/case_command_routes.py`).

Each runs through the node's `CaseCommands`; the answer is given only after the events are
committed, and carries the case's version (ETag) and its last event's position
(`Ducha-Position`, for read-your-writes queries with `?after=`). A refused command records
nothing and answers a problem. A proposal or an approval that would repeat another case's
supervision (Art. 15) is still accepted, and its answer names that case in `warnings` — when the caller
may see it (a covert case stays unnamed outside its audience).
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Body, Response, status

from api.auth import ActorDep
from api.authorization import check_case_in_sight
from api.case_command_models import MergeCases
from api.case_command_routes import ON_CASE, ExpectedVersion, answer, linked, register_steps
from api.case_models import ApproveCase, CommandAnswer, DecisionAnswer, ProposeCase
from api.deps import NodeDep
from api.problems import problems
from api.repeated_supervision import repeated_supervision
from domain.actor import Actor
from ducha.bootstrap import Node
from ducha.writer import Outcome

router = APIRouter(prefix="/v1/cases", tags=["cases"])


async def _decision(node: Node, actor: Actor, response: Response, outcome: Outcome) -> DecisionAnswer:
    common = answer(response, outcome)
    warnings = await repeated_supervision(node, actor, outcome.aggregate, outcome.position)
    return DecisionAnswer(**common.model_dump(), warnings=warnings)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=DecisionAnswer,
    responses=problems(401, 403, 422) | linked(201, "The case proposed: its id, state and version.", "propose"),
    summary="Step 1: propose a supervision case (立项)",
)
async def propose_case(body: ProposeCase, actor: ActorDep, node: NodeDep, response: Response) -> DecisionAnswer:
    outcome = await node.cases.propose(actor, on=body.on, **body.fields())
    response.headers["Location"] = f"{router.prefix}/{outcome.aggregate.id}"
    return await _decision(node, actor, response, outcome)


@router.post(
    "/{case_id}/approve",
    response_model=DecisionAnswer,
    responses=problems(*ON_CASE) | linked(200, "The case's new state and version.", "approve"),
    summary="Step 2: approve a proposed case (同意)",
)
async def approve_case(
    case_id: UUID,
    actor: ActorDep,
    node: NodeDep,
    expected: ExpectedVersion,
    response: Response,
    body: Annotated[ApproveCase | None, Body()] = None,
) -> DecisionAnswer:
    body = body or ApproveCase()
    outcome = await node.cases.approve(actor, case_id, on=body.on, remarks=body.remarks, expected_version=expected)
    return await _decision(node, actor, response, outcome)


@router.post(
    "/{case_id}/merge",
    response_model=CommandAnswer,
    responses=problems(*ON_CASE) | linked(200, "The surviving case's new state and version.", "merge"),
    summary="Step 5: merge another case into this one (能合尽合、能并尽并)",
    description=MergeCases.__doc__,
)
async def merge_cases(
    case_id: UUID, body: MergeCases, actor: ActorDep, node: NodeDep, expected: ExpectedVersion, response: Response
) -> CommandAnswer:
    await check_case_in_sight(node, actor, body.absorbed_id)
    outcome = await node.cases.merge(
        actor, case_id, body.absorbed_id, grounds=body.grounds, on=body.on, expected_version=expected
    )
    return answer(response, outcome)


register_steps(router)
