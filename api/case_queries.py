"""Queries on the case board (督查事项台账): they read the projection only.

Read-your-writes: a client that sent a command gets its position (`Ducha-Position`) and may
ask `?after=<position>`; the query then waits, bounded by `wait` seconds, until the case
board has applied that position. It answers in any case, saying which it is:
`Ducha-Consistency: fresh`, or `stale; applied=<n>` when the wait ran out.

Who may read the board: the node's own offices (leader, government, agency, department) and
auditors. A target (督查对象) must not learn of a covert case (暗访) before it is conducted,
and an evaluator or the public sees only what is addressed to it; until views of their own
exist (notices, conclusions, entrusted cases), those roles are refused the whole board
alike, so the refusal itself says nothing about any case.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Response

from api.auth import ActorDep
from api.case_models import CasePage
from api.deps import NodeDep
from api.preconditions import etag
from api.problems import problems
from domain.actor import Actor, Role
from domain.case import CaseState
from domain.errors import ActNotAllowed, NotFound
from ducha.bootstrap import Node
from projections.case_board import get_case, list_cases

router = APIRouter(prefix="/v1/cases", tags=["cases"])

PROJECTION = "case_board"
MAX_PAGE = 200
MAX_WAIT_SECONDS = 5.0

BOARD_READERS = frozenset({Role.LEADER, Role.GOVERNMENT, Role.AGENCY, Role.DEPARTMENT, Role.AUDITOR})


def board_reader(actor: ActorDep) -> Actor:
    """The actor, when its role may read the case board; 403 otherwise."""
    if actor.role not in BOARD_READERS:
        raise ActNotAllowed(f"the role {actor.role.value!r} may not read the case board")
    return actor


Reader = Annotated[Actor, Depends(board_reader)]
After = Annotated[int | None, Query(ge=0, description="Wait until the case board has applied this position.")]
Wait = Annotated[float, Query(gt=0, le=MAX_WAIT_SECONDS, description="How long to wait for `after`, in seconds.")]


async def _catch_up(node: Node, response: Response, after: int | None, wait: float) -> None:
    """Waits (bounded) for the case board to reach `after`, and says how fresh the answer is."""
    if after is None:
        return
    projector = node.projectors[PROJECTION]
    if await projector.wait_for(after, wait):
        response.headers["Ducha-Consistency"] = "fresh"
    else:
        response.headers["Ducha-Consistency"] = f"stale; applied={projector.position}"


@router.get(
    "", response_model=CasePage, responses=problems(401, 403, 422), summary="The case board, filtered and paged"
)
async def list_case_board(
    _reader: Reader,
    node: NodeDep,
    response: Response,
    state: CaseState | None = None,
    unit: Annotated[str | None, Query(description="Cases whose sponsor or targets include this unit.")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
    after: After = None,
    wait: Wait = MAX_WAIT_SECONDS,
) -> CasePage:
    await _catch_up(node, response, after, wait)
    rows, total = await asyncio.to_thread(
        list_cases, node.views, state=state.value if state else None, unit=unit, limit=limit, offset=offset
    )
    return CasePage(items=rows, total=total, limit=limit, offset=offset)


@router.get("/{case_id}", responses=problems(401, 403, 404, 422), summary="One case as the case board shows it")
async def get_one_case(
    case_id: UUID,
    _reader: Reader,
    node: NodeDep,
    response: Response,
    after: After = None,
    wait: Wait = MAX_WAIT_SECONDS,
) -> dict[str, Any]:
    await _catch_up(node, response, after, wait)
    row = await asyncio.to_thread(get_case, node.views, case_id)
    if row is None:
        raise NotFound(f"no case {case_id}")
    if "version" in row:
        response.headers["ETag"] = etag(int(row["version"]))
    return row
