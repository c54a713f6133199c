"""Queries on the case board (督查事项台账): they read the projections only.

Read-your-writes: a client that sent a command gets its position (`Ducha-Position`) and may
ask `?after=<position>`; the query then waits, bounded by `wait` seconds, until the
projections it reads have applied that position. It answers in any case, saying which it is:
`Ducha-Consistency: fresh`, or `stale; applied=<n>` when the wait ran out.

Who sees which case is decided in `api/visibility.py` alone (jurisdiction, targets that know
of a case, covert cases 暗访 before their visit, protected fields), and each answer is the model
of the reader's sight of the case (`api/case_views.py`: the office's, or a party's). Counts are their own route,
`GET /v1/cases/counts` (per state, with the list's filters), so a page never costs a count
per state. Lights (红黄绿灯) are computed at query time from the stored due date, the node's
calendar and today's date (the node's clock).
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Response

from api import visibility
from api.auth import ActorDep
from api.deps import NodeDep
from api.as_of import as_of_moment, case_as_of
from api.case_views import MODELS, BoardCounts, BoardPage, CaseAsOf, CaseAsOfForParty, CaseForParty, CaseView
from api.paging import Limit, Offset
from api.preconditions import etag
from api.problems import problems
from domain.actor import Actor
from domain.case import CaseState, CaseType, Method, Topic
from ducha.bootstrap import Node
from projections.case_board import Audience, count_cases, get_case, light_of, list_cases
from projections.case_board_queries import Filters

router = APIRouter(prefix="/v1/cases", tags=["cases"])

PROJECTION = "case_board"
MAX_WAIT_SECONDS = 5.0


async def case_reader(actor: ActorDep) -> Actor:
    """The actor, when its role may read cases at all; 403 for every case alike otherwise."""
    return visibility.check_may_read(actor)


Reader = Annotated[Actor, Depends(case_reader)]
After = Annotated[int | None, Query(ge=0, description="Wait until the projections read have applied this position.")]
Wait = Annotated[float, Query(gt=0, le=MAX_WAIT_SECONDS, description="How long to wait for `after`, in seconds.")]


async def catch_up(node: Node, response: Response, after: int | None, wait: float, *names: str) -> None:
    """Waits (bounded) until each named projection has applied `after`, and says how fresh the answer is."""
    if after is None:
        return
    for name in names or (PROJECTION,):
        projector = node.projectors[name]
        if not await projector.wait_for(after, wait):
            response.headers["Ducha-Consistency"] = f"stale; applied={projector.position}"
            return
    response.headers["Ducha-Consistency"] = "fresh"


def view_of(node: Node, seen_by: Audience, row: dict[str, Any]) -> CaseForParty:
    """The row in the model of the reader's sight of it (a party's names neither its light nor what is due)."""
    model = MODELS[visibility.sight(seen_by, row)].case
    today = node.clock.now().date()
    light = light_of(row["next_due_on"], today, node.calendar, node.policy.yellow_within_working_days)
    return model.model_validate(visibility.shape_case(seen_by, row) | {"light": light})


async def filters_of(
    state: CaseState | None = None,
    unit: Annotated[str | None, Query(description="Cases whose sponsor or targets include this unit.")] = None,
    case_type: Annotated[CaseType | None, Query(alias="type")] = None,
    topic: Topic | None = None,
    method: Method | None = None,
    year: Annotated[int | None, Query(ge=1949, le=9999, description="The year of the proposal.")] = None,
) -> Filters:
    """The board's filters from the query string."""
    return Filters(
        state=state.value if state else None, unit=unit, case_type=case_type.value if case_type else None,
        topic=topic.value if topic else None, method=method.value if method else None, year=year,
    )


FiltersDep = Annotated[Filters, Depends(filters_of)]


@router.get("", response_model=BoardPage, responses=problems(401, 403, 422), summary="The case board, filtered and paged")
async def list_case_board(
    reader: Reader, node: NodeDep, response: Response, filters: FiltersDep,
    limit: Limit = 50, offset: Offset = 0,
    after: After = None, wait: Wait = MAX_WAIT_SECONDS,
) -> BoardPage:
    await catch_up(node, response, after, wait)
    seen_by = visibility.audience(reader, node.registry)
    rows, total = await asyncio.to_thread(
        list_cases, node.views, filters=filters, audience=seen_by, limit=limit, offset=offset
    )
    return BoardPage(items=[view_of(node, seen_by, r) for r in rows], total=total, limit=limit, offset=offset)


@router.get("/counts", response_model=BoardCounts, responses=problems(401, 403, 422), summary="How many cases, per state")
async def count_case_board(
    reader: Reader, node: NodeDep, response: Response, filters: FiltersDep, after: After = None, wait: Wait = MAX_WAIT_SECONDS,
) -> BoardCounts:
    await catch_up(node, response, after, wait)
    seen_by = visibility.audience(reader, node.registry)
    by_state = await asyncio.to_thread(count_cases, node.views, filters=filters, audience=seen_by)
    return BoardCounts(by_state=by_state, total=sum(by_state.values()))


async def visible_case(node: Node, reader: Actor, case_id: UUID) -> tuple[Audience, dict[str, Any]]:
    """The case's board row and the reader's audience; the one 404 when it does not exist or is not visible."""
    seen_by = visibility.audience(reader, node.registry)
    row = await node.views.call(get_case, node.views, case_id, seen_by)
    if row is None:
        raise visibility.not_found()
    return seen_by, row


@router.get(
    "/{case_id}", response_model=CaseView | CaseAsOf, responses=problems(401, 403, 404, 422),
    summary="One case as the board shows it, or (?as_of=) as it stood at a moment",
)
async def get_one_case(
    case_id: UUID, reader: Reader, node: NodeDep, response: Response,
    as_of: Annotated[str | None, Query(description="A datetime (UTC if no offset) or a date (its end, China time).")] = None,
    after: After = None, wait: Wait = MAX_WAIT_SECONDS,
) -> CaseForParty | CaseAsOfForParty:
    moment = as_of_moment(as_of) if as_of is not None else None
    await catch_up(node, response, after, wait)
    seen_by, row = await visible_case(node, reader, case_id)
    if moment is not None:
        return await case_as_of(node, seen_by, row, moment)
    response.headers["ETag"] = etag(int(row["version"]))
    return view_of(node, seen_by, row)
