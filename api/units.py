"""A unit's burden ledger (基层负担台账) and performance scores (绩效考核) over HTTP, and written demands for
material (最多报一次): a demand for a form the unit already reported this year answers the earlier report.

The burden: on-site visits, material demands and reports the unit received in the year, the cap of
each (the lowest any plan of that year sets on it) with a warning per measure over it, and the
change against the year before in percent; an item from a case the reader may not see is counted but
names no case (`source_id` null). The scores: the base of the unit's government's plan
for the period's year (100 without one) less the deductions, with the case behind each point (none named
for a case the reader may not see).
"""

import asyncio
from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Query, Response, status

from api import ledger_models as m
from api.auth import ActorDep
from api.deps import NodeDep
from api.ledger_common import check_visible
from api.visibility import hidden_cases
from api.problems import problems
from domain.annual_plan import BURDEN_MEASURES, DEFAULT_PERFORMANCE_BASE
from domain.performance import performance_score
from projections.burden import change, counts, items
from projections.plan_actual import base_of, caps_of
from projections.scores import deductions

router = APIRouter(prefix="/v1/units", tags=["units"])


@router.get("/{code}/burden", responses=problems(401, 403, 404, 422), summary="The burden ledger of a unit for a year")
async def burden(code: str, actor: ActorDep, node: NodeDep, year: int = Query(ge=2000, le=2100)) -> dict[str, Any]:
    check_visible(node, actor, code)
    this, before = await asyncio.gather(
        asyncio.to_thread(counts, node.views, code, year), asyncio.to_thread(counts, node.views, code, year - 1)
    )
    caps = await asyncio.to_thread(caps_of, node.views, code, year)
    cap = {m_: min(c[m_] for c in caps) for m_ in BURDEN_MEASURES} if caps else None
    warnings = [
        {"measure": m_, "count": this[m_], "cap": cap[m_], "why": f"{this[m_]} {m_.replace('_', ' ')} pass the cap of {cap[m_]}"}
        for m_ in BURDEN_MEASURES if cap is not None and this[m_] > cap[m_]
    ]
    total, total_before = sum(this.values()), sum(before.values())
    return {
        "unit": code, "year": year, "counts": this, "previous_year": before, "caps": cap, "capped_by": caps,
        "warnings": warnings,
        "change_percent": {**{m_: change(this[m_], before[m_]) for m_ in BURDEN_MEASURES}, "total": change(total, total_before)},
        "items": await asyncio.to_thread(_items_seen_by, node, actor, code, year),
    }


def _items_seen_by(node: Any, actor: Any, code: str, year: int) -> list[dict[str, Any]]:
    """The items behind the counts; one that came from a case the reader may not see (a covert case on the
    reader itself, visited here already) is counted but names no case."""
    found = items(node.views, code, year)
    hidden = hidden_cases(node.views, actor, node.registry, sorted({i["source_id"] for i in found}))
    return [item | {"source_id": None} if item["source_id"] in hidden else item for item in found]


@router.get("/{code}/scores", responses=problems(401, 403, 404, 422), summary="The performance score of a unit for a period")
async def scores(
    code: str, actor: ActorDep, node: NodeDep, period: str = Query(min_length=4, max_length=20, pattern=r"^\d{4}")
) -> dict[str, Any]:
    check_visible(node, actor, code)
    government = node.registry.government_of(code)
    base = await asyncio.to_thread(base_of, node.views, government, int(period[:4]))
    found = await asyncio.to_thread(deductions, node.views, code, period)
    score = performance_score(base if base is not None else DEFAULT_PERFORMANCE_BASE, found, code, period)
    hidden = await asyncio.to_thread(hidden_cases, node.views, actor, node.registry, [c for c, _ in score.cases])
    cases = [{"case_id": None if case in hidden else case, "points": points} for case, points in score.cases]
    return {**asdict(score), "cases": cases}


@router.post("/{code}/material-demands", status_code=status.HTTP_200_OK, response_model=m.MaterialAnswer,
             responses=problems(401, 403, 404, 422) | {201: {"model": m.MaterialAnswer, "description": "Demanded."}},
             summary="Demand a form of a unit (最多报一次)")
async def demand_material(code: str, body: m.DemandMaterial, actor: ActorDep, node: NodeDep, response: Response) -> m.MaterialAnswer:
    demanded, outcome = await node.plans.demand_material(actor, code, form=body.form, due=body.due, on=body.on)
    if demanded.earlier is not None:
        return m.MaterialAnswer(outcome="already-reported", earlier_report=asdict(demanded.earlier))
    position = outcome.position if outcome is not None else 0
    response.headers["Ducha-Position"] = str(position)
    if outcome is not None:
        response.status_code = status.HTTP_201_CREATED
    return m.MaterialAnswer(
        outcome="demanded" if outcome is not None else "pending", request=asdict(demanded.request), position=position
    )


@router.post("/{code}/material-reports", status_code=status.HTTP_201_CREATED, response_model=m.MaterialAnswer,
             responses=problems(401, 403, 404, 409, 422), summary="Report the form a demand asked for")
async def report_form(code: str, body: m.ReportForm, actor: ActorDep, node: NodeDep, response: Response) -> m.MaterialAnswer:
    report, outcome = await node.plans.report_form(
        actor, code, body.year, request_id=body.request_id, digest=body.digest, title=body.title, on=body.on
    )
    response.headers["Ducha-Position"] = str(outcome.position)
    return m.MaterialAnswer(outcome="reported", earlier_report=asdict(report), position=outcome.position)
