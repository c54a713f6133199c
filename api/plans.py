"""The annual plan (年度督查检查考核计划) over HTTP: draft, plan activities, cap what units receive, file with
the level above (报备), approve one case outside the plan (一事一报), and plan against actual."""

import asyncio
from typing import Any

from fastapi import APIRouter, Body, Response, status

from api import ledger_models as m
from api.auth import ActorDep
from api.authorization import check_case_in_sight
from api.case_command_routes import ON_CASE, ExpectedVersion
from api.deps import NodeDep
from api.ledger_common import answer, check_visible
from api.problems import problems
from api.visibility import hidden_cases
from domain.errors import NotFound
from projections.plan_actual import plan_against_actual

router = APIRouter(prefix="/v1/plans", tags=["plans"])

STEPS: dict[str, tuple[type[m.Command], str]] = {
    "plan-activity": (m.PlanActivity, "Plan an activity (督查检查考核事项)"),
    "set-cap": (m.SetCap, "Cap what a unit may receive in the year (减负上限)"),
    "file": (m.FilePlan, "File the plan with the level above (报备)"),
}


@router.post("", status_code=status.HTTP_201_CREATED, response_model=m.Answer, responses=problems(401, 403, 409, 422),
             summary="Draft the annual plan of the caller's government")
async def draft_plan(body: m.DraftPlan, actor: ActorDep, node: NodeDep, response: Response) -> m.Answer:
    outcome = await node.plans.draft(actor, on=body.on, **body.fields())
    response.headers["Location"] = f"{router.prefix}/{outcome.aggregate.government}/{outcome.aggregate.year}"
    return answer(response, outcome)


@router.post("/out-of-plan", response_model=m.Answer, responses=problems(*ON_CASE),
             summary="Approve one case outside the filed plan (一事一报)")
async def approve_out_of_plan(
    body: m.ApproveOutOfPlan, actor: ActorDep, node: NodeDep, expected: ExpectedVersion, response: Response
) -> m.Answer:
    await check_case_in_sight(node, actor, body.case_id)
    outcome = await node.plans.approve_out_of_plan(
        actor, body.case_id, grounds=body.grounds, on=body.on, expected_version=expected
    )
    return answer(response, outcome)


@router.get("/{government}/{year}", responses=problems(401, 403, 404), summary="Plan against actual (计划与实际)")
async def plan_actual(government: str, year: int, actor: ActorDep, node: NodeDep) -> dict[str, Any]:
    check_visible(node, actor, government)
    found = await asyncio.to_thread(plan_against_actual, node.views, government, year)
    if found is None:
        raise NotFound(f"no plan of {government!r} for {year}")
    return await asyncio.to_thread(_seen_by, node, actor, found)


def _seen_by(node: Any, actor: Any, found: dict[str, Any]) -> dict[str, Any]:
    """The plan as the actor may see it: cases it may not see (a covert case on itself) are left out."""
    named = [case["case_id"] for case in found["actual"]] + [e["ref"] for e in found["out_of_plan_approved"]]
    hidden = hidden_cases(node.views, actor, node.registry, named)
    actual = [case for case in found["actual"] if case["case_id"] not in hidden]
    activities = [a | {"cases": [c for c in a["cases"] if c not in hidden]} for a in found["activities"]]
    exceptions = [e for e in found["out_of_plan_approved"] if e["ref"] not in hidden]
    return found | {
        "actual": actual, "activities": activities, "out_of_plan_approved": exceptions,
        "counts": found["counts"] | _counts(actual),
    }


def _counts(actual: list[dict[str, Any]]) -> dict[str, int]:
    standings = ("in-plan", "approved-out-of-plan", "out-of-plan")
    return {"actual": len(actual)} | {s.replace("-", "_"): sum(c["standing"] == s for c in actual) for s in standings}


def _endpoint(command: str, model: type[m.Command]):
    optional = not any(f.is_required() for f in model.model_fields.values())
    body_type = model | None if optional else model

    async def endpoint(
        government: str, year: int, actor: ActorDep, node: NodeDep, expected: ExpectedVersion, response: Response,
        body: body_type = Body(None if optional else ...),  # type: ignore[valid-type]
    ) -> m.Answer:
        command_body = body or model()
        outcome = await node.plans.run(
            command, actor, government, year, on=command_body.on, expected_version=expected, **command_body.fields()
        )
        return answer(response, outcome)

    endpoint.__name__ = f"{command.replace('-', '_')}_plan"
    return endpoint


for _command, (_model, _summary) in STEPS.items():
    _route = _endpoint(_command, _model)
    router.add_api_route(
        f"/{{government}}/{{year}}/{_command}", _route, methods=["POST"], response_model=m.Answer,
        responses=problems(*ON_CASE), summary=_summary, description=_model.__doc__, name=_route.__name__,
    )
