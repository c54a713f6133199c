"""The task ledger (工作台账) over HTTP: register, decompose (分解), accept (承办), report progress, reach a
milestone, claim completion, verify (照单验收) or return, urge (催办), close (销号); the tree with its
lights and roll-up, and the overdue list.

Lights are judged at query time from the stored dates (the node's clock's today), with the
domain's rule; `recorded_light` is the last one the clock recorded. Reads show only tasks whose
responsible unit lies in the caller's jurisdiction (`api/ledger_common.py`).
"""

# No `from __future__ import annotations`: the factory's endpoint annotations must be real models.

import asyncio
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Body, Response, status

from api import ledger_models as m
from api.auth import ActorDep
from api.case_command_routes import ON_CASE, ExpectedVersion
from api.deps import NodeDep
from api.ledger_common import answer, scope, visible
from api.paging import Limit, Offset, page_of
from api.problems import problems
from domain.errors import NotFound
from ducha.bootstrap import Node
from projections.ledger_overdue import overdue_tasks
from projections.ledger_tree import light_today, subtree

router = APIRouter(prefix="/v1/tasks", tags=["tasks"])

STEPS: dict[str, tuple[type[m.Command], str]] = {
    "accept": (m.AcceptTask, "Accept a task (承办)"),
    "report-progress": (m.ReportProgress, "Report progress with evidence (进展报送); rolled up to the parent"),
    "reach-milestone": (m.ReachMilestone, "Record a milestone reached (阶段目标)"),
    "claim-completion": (m.ClaimCompletion, "Claim the task done (申请验收)"),
    "verify": (m.VerifyTask, "Verify a claimed task (照单验收); rolled up to the parent"),
    "return": (m.ReturnTask, "Return a claimed task (退回)"),
    "urge": (m.UrgeTask, "Urge the responsible unit (催办)"),
    "close": (m.CloseTask, "Close a verified task (销号)"),
}


@router.post("", status_code=status.HTTP_201_CREATED, response_model=m.Answer, responses=problems(401, 403, 422),
             summary="Register a ledger task (登记)")
async def register_task(body: m.RegisterTask, actor: ActorDep, node: NodeDep, response: Response) -> m.Answer:
    fields = body.fields()
    outcome = await node.tasks.register(actor, on=body.on, **fields)
    response.headers["Location"] = f"{router.prefix}/{outcome.aggregate.id}"
    return answer(response, outcome)


@router.post("/{task_id}/decompose", response_model=m.DecomposeAnswer, responses=problems(*ON_CASE),
             summary="Decompose a task into child tasks for lower units (分解)")
async def decompose_task(
    task_id: UUID, body: m.DecomposeTask, actor: ActorDep, node: NodeDep, expected: ExpectedVersion, response: Response
) -> m.DecomposeAnswer:
    outcome, children = await node.tasks.decompose(
        actor, task_id, children=[c.model_dump() for c in body.children], on=body.on, expected_version=expected
    )
    return m.DecomposeAnswer(**answer(response, outcome).model_dump(), children=children)


def _endpoint(command: str, model: type[m.Command]):
    optional = not any(f.is_required() for f in model.model_fields.values())
    body_type = model | None if optional else model

    async def endpoint(
        task_id: UUID, actor: ActorDep, node: NodeDep, expected: ExpectedVersion, response: Response,
        body: body_type = Body(None if optional else ...),  # type: ignore[valid-type]
    ) -> m.Answer:
        command_body = body or model()
        outcome = await node.tasks.run(
            command, actor, task_id, on=command_body.on, expected_version=expected, **command_body.fields()
        )
        return answer(response, outcome)

    endpoint.__name__ = f"{command.replace('-', '_')}_task"
    return endpoint


@router.get("/overdue", responses=problems(401, 403), summary="Open tasks past their deadline today (逾期清单)")
async def list_overdue(actor: ActorDep, node: NodeDep, limit: Limit = 50, offset: Offset = 0) -> dict[str, Any]:
    scope(node.registry, actor)
    today = node.clock.now().date()
    rows = await asyncio.to_thread(overdue_tasks, node.views, today)
    items = [r for r in rows if visible(node, actor, r["responsible_unit"])]
    return {"today": today, **page_of(items, limit, offset, key="items")}


@router.get("/{task_id}/tree", responses=problems(401, 403, 404),
            summary="A task and its children with lights and roll-up progress (台账树)")
async def task_tree(task_id: UUID, actor: ActorDep, node: NodeDep) -> dict[str, Any]:
    rows = await asyncio.to_thread(subtree, node.views, str(task_id))
    if not rows or not visible(node, actor, rows[0]["responsible_unit"]):
        raise NotFound(f"no task {task_id}")
    return _tree(node, actor, rows)


def _tree(node: Node, actor: Any, rows: list[dict[str, Any]]) -> dict[str, Any]:
    today = node.clock.now().date()
    shown: dict[str, dict[str, Any]] = {}
    for row in rows:
        if row["parent_id"] is not None and (row["parent_id"] not in shown or not visible(node, actor, row["responsible_unit"])):
            continue
        light, reason = light_today(row, today, node.calendar, node.policy)
        shown[row["task_id"]] = {
            **row, "recorded_light": row["light"], "light": light, "light_reason": reason, "children": [],
        }
        if row["parent_id"] is not None:
            shown[row["parent_id"]]["children"].append(shown[row["task_id"]])
    return shown[rows[0]["task_id"]]


for _command, (_model, _summary) in STEPS.items():
    _route = _endpoint(_command, _model)
    router.add_api_route(
        f"/{{task_id}}/{_command}", _route, methods=["POST"], response_model=m.Answer, responses=problems(*ON_CASE),
        summary=_summary, description=_model.__doc__, name=_route.__name__,
    )
