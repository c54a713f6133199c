"""Leaders' instructions (领导批示交办) over HTTP: issue, assign (交办), answer (反馈, one consolidated answer by
the lead unit), return, close (办结), order a covert check of the answer (暗访核查: a case is proposed), and the
instruction board. The board shows the instructions whose lead unit lies in the caller's jurisdiction;
whether one is overdue is judged today from its stored deadline."""

import asyncio
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Body, Query, Response, status

from api import ledger_models as m
from api.auth import ActorDep
from api.case_command_routes import ON_CASE, ExpectedVersion
from api.deps import NodeDep
from api.ledger_common import answer, scope, visible
from api.paging import Limit, Offset, page_of
from api.problems import problems
from api.visibility import visible_cases
from projections.instructions import board, decoded

router = APIRouter(prefix="/v1/instructions", tags=["instructions"])

STEPS: dict[str, tuple[type[m.Command], str]] = {
    "assign": (m.AssignInstruction, "Assign the instruction to its lead and supporting units (交办)"),
    "answer": (m.AnswerInstruction, "The lead unit's one consolidated answer (反馈)"),
    "return": (m.ReturnAnswer, "Return the answer, with the reason (退回)"),
    "close": (m.CloseInstruction, "Close an answered instruction (办结)"),
}


@router.post("", status_code=status.HTTP_201_CREATED, response_model=m.Answer, responses=problems(401, 403, 422),
             summary="Issue a leader's instruction (批示); its deadline follows its urgency")
async def issue_instruction(body: m.IssueInstruction, actor: ActorDep, node: NodeDep, response: Response) -> m.Answer:
    outcome = await node.instructions.issue(actor, on=body.on, **body.fields())
    response.headers["Location"] = f"{router.prefix}/{outcome.aggregate.id}"
    return answer(response, outcome)


@router.post("/{instruction_id}/covert-check", response_model=m.CovertCheckAnswer, responses=problems(*ON_CASE),
             summary="Order a covert check of the answer (暗访核查): opens a covert-visit case")
async def order_covert_check(
    instruction_id: UUID, body: m.OrderCovertCheck, actor: ActorDep, node: NodeDep, expected: ExpectedVersion,
    response: Response,
) -> m.CovertCheckAnswer:
    outcome, case_id = await node.instructions.order_covert_check(
        node.cases, actor, instruction_id, on=body.on, expected_version=expected, **body.fields()
    )
    return m.CovertCheckAnswer(**answer(response, outcome).model_dump(), case_id=case_id)


@router.get("", responses=problems(401, 403), summary="The instruction board (批示办理台)")
async def instruction_board(
    actor: ActorDep, node: NodeDep, state: str | None = Query(None), limit: Limit = 50, offset: Offset = 0,
) -> dict[str, Any]:
    """A page of the board; `total` and `overdue` count every instruction the caller sees."""
    scope(node.registry, actor)
    today = node.clock.now().date()
    rows = await asyncio.to_thread(board, node.views, state)
    items = [decoded(r, today) for r in rows if visible(node, actor, r["lead_unit"])]
    page = page_of(items, limit, offset, key="items")
    named = [case for item in page["items"] for case in item["covert_checks"]]
    seen = await asyncio.to_thread(visible_cases, node.views, actor, node.registry, named)
    for item in page["items"]:  # the unit under a covert check must not learn of it from the board
        item["covert_checks"] = [case for case in item["covert_checks"] if case in seen]
    return {"today": today, **page, "overdue": sum(i["overdue_today"] for i in items)}


def _endpoint(command: str, model: type[m.Command]):
    optional = not any(f.is_required() for f in model.model_fields.values())
    body_type = model | None if optional else model

    async def endpoint(
        instruction_id: UUID, actor: ActorDep, node: NodeDep, expected: ExpectedVersion, response: Response,
        body: body_type = Body(None if optional else ...),  # type: ignore[valid-type]
    ) -> m.Answer:
        command_body = body or model()
        outcome = await node.instructions.run(
            command, actor, instruction_id, on=command_body.on, expected_version=expected, **command_body.fields()
        )
        return answer(response, outcome)

    endpoint.__name__ = f"{command}_instruction"
    return endpoint


for _command, (_model, _summary) in STEPS.items():
    _route = _endpoint(_command, _model)
    router.add_api_route(
        f"/{{instruction_id}}/{_command}", _route, methods=["POST"], response_model=m.Answer,
        responses=problems(*ON_CASE), summary=_summary, description=_model.__doc__, name=_route.__name__,
    )
