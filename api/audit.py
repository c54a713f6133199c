"""Time travel over HTTP (回溯查询): the case board, one case and every view's digest as of a position or a moment.

Each answer is replayed from the node's events into temporary views (`ducha.audit.time_travel`),
never read from the live views, so it shows what the history says. Only the supervision
office (督查机构) and auditors may travel in time: the past board shows covert cases (暗访) and
withdrawn ones that other roles must not see; every other role is refused alike (403). Each
traveller sees the past board as its own audience saw it then (`api/visibility.py`): the cases
of its jurisdiction, and those it had access to; another level's covert case before its visit
is no more in the past board than in today's.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query

from api import visibility
from api.auth import ActorDep
from api.deps import NodeDep
from api.problems import ProblemError, problems
from domain.actor import Actor, Role
from domain.errors import ActNotAllowed, NotFound
from ducha.audit.time_travel import Cut, as_of, case_as_of

router = APIRouter(prefix="/v1/audit", tags=["audit"])

TIME_TRAVELLERS = frozenset({Role.AUDITOR, Role.AGENCY})
MAX_PAGE = 1000


async def time_traveller(actor: ActorDep) -> Actor:
    """The actor, when its role may see the past views; 403 otherwise."""
    if actor.role not in TIME_TRAVELLERS:
        raise ActNotAllowed(f"the role {actor.role.value!r} may not read the node's past views")
    return actor


Traveller = Annotated[Actor, Depends(time_traveller)]
Position = Annotated[
    int | None, Query(ge=0, le=2**63 - 1, description="Replay every event up to this position, included.")
]  # a position is a 64-bit integer in the store
At = Annotated[
    datetime | None,
    Query(description="Replay every event recorded at or before this moment (RFC 3339, with its offset)."),
]


def _cut(position: int | None, at: datetime | None) -> Cut:
    try:
        return Cut(position=position, at=at)
    except ValueError as error:
        raise ProblemError("invalid-request", "The request is not valid", 422, str(error)) from None


@router.get("/as-of", responses=problems(401, 403, 422), summary="The case board and view digests as of a moment")
async def board_as_of(
    traveller: Traveller,
    node: NodeDep,
    position: Position = None,
    at: At = None,
    unit: Annotated[str | None, Query(description="Only the cases whose sponsor or targets include this unit.")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 200,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> dict[str, Any]:
    cut = _cut(position, at)
    seen_by = visibility.audience(traveller, node.registry)
    return await asyncio.to_thread(as_of, node.reader, cut, unit=unit, limit=limit, offset=offset, audience=seen_by)


@router.get("/as-of/cases/{case_id}", responses=problems(401, 403, 404, 422), summary="One case as of a moment")
async def one_case_as_of(
    case_id: UUID, traveller: Traveller, node: NodeDep, position: Position = None, at: At = None
) -> dict[str, Any]:
    cut = _cut(position, at)
    seen_by = visibility.audience(traveller, node.registry)
    answer = await asyncio.to_thread(case_as_of, node.reader, cut, case_id, seen_by)
    if answer["case"] is None:
        raise NotFound(f"no case {case_id} as of position {answer['position']}")
    return answer
