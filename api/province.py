"""The province-wide views (全省督查事项台账、全省基层负担台账): the node's own cases beside the cases every level
below reported up, and a unit's burden summed over this node's own ledger and every level's reports.

Both are the node's office's views: its leader, government, agency and auditor (the policy row); the
board only for the node's own offices (another level's office, above or beside, gets 404 as for
anything it may not see), and of the own cases those the reader may see (`api/visibility.py`: a covert
case on the reader's own body stays hidden until its visit); the burden for a unit within their jurisdiction.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Query

from api import visibility
from api.auth import ActorDep
from api.deps import NodeDep
from api.ledger_common import check_visible
from api.paging import Limit, Offset
from api.problems import problems
from domain.errors import NotFound
from projections.case_board_queries import light_of
from projections.province_board import board_page
from projections.province_burden import unit_burden

router = APIRouter(prefix="/v1/province", tags=["province"])


@router.get("/cases", responses=problems(401, 403, 404, 422), summary="Every case of this node and of the levels below it")
async def province_cases(
    actor: ActorDep, node: NodeDep, level: str | None = Query(None, max_length=20), state: str | None = Query(None, max_length=40),
    limit: Limit = 50, offset: Offset = 0,
) -> dict[str, Any]:
    """A page of the board (by level, then newest proposal first); `total` and `by_level` count every matching case."""
    if node.registry.government_of(actor.unit) != node.settings.node:
        raise NotFound("no province-wide board here")
    seen_by = visibility.audience(actor, node.registry)
    rows, by_level = await asyncio.to_thread(
        board_page, node.views, level=level, state=state, limit=limit, offset=offset, audience=seen_by,
    )
    today = node.clock.now().date()
    cases = [r | {"light": light_of(r["next_due_on"], today, node.calendar, node.policy.yellow_within_working_days)} for r in rows]
    total = sum(n for states in by_level.values() for n in states.values())
    return {"cases": cases, "total": total, "limit": limit, "offset": offset, "by_level": by_level}


@router.get("/units/{code}/burden", responses=problems(401, 403, 404, 422), summary="A unit's burden for a year, over every level")
async def province_burden(code: str, actor: ActorDep, node: NodeDep, year: int = Query(ge=2000, le=2100)) -> dict[str, Any]:
    check_visible(node, actor, code)
    return await asyncio.to_thread(unit_burden, node.views, code, year)
