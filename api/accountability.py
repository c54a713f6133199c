"""Accountability records (督查结果运用) per unit and per person, each with its case.

Commendations (表扬), criticisms (批评、通报), accountability proposals and referrals (问责),
fault tolerance (容错纠错: state `excused`) and performance deductions (绩效考核减分), from the
`accountability` projection. What a reader sees of them is `api/visibility.record_visible`'s
answer: nothing on a case it may not see; a proposal not yet approved (`state: proposed`) only if
it is the office of the case's level, its government or head (who approve it, Art. 21) or an
auditor within its jurisdiction; an approved record everywhere within the case's jurisdiction,
and by its own unit on a case that unit knows of.
"""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Response
from pydantic import BaseModel

from api import visibility
from api.case_queries import MAX_WAIT_SECONDS, After, Reader, Wait, catch_up
from api.deps import NodeDep
from api.problems import problems
from domain.actor import Actor
from domain.errors import NotFound
from ducha.bootstrap import Node
from projections.accountability import records
from projections.case_board import Audience, get_case

router = APIRouter(tags=["accountability"])
PROJECTIONS = ("case_board", "accountability")


class AccountabilityRecord(BaseModel):
    """One use of results about a unit (and a person in it), with its case."""

    case_id: UUID
    case_title: str
    record_id: str
    kind: str
    unit: str
    person: str
    state: str
    grounds: str
    proposed_on: date | None = None
    approved_on: date | None = None
    excused_on: date | None = None
    excuse_grounds: str | None = None
    authority: str | None = None
    points: float | None = None
    period: str | None = None


class AccountabilityList(BaseModel):
    """A unit's or a person's records, oldest first."""

    items: list[AccountabilityRecord]


def _visible(node: Node, reader: Actor, seen_by: Audience, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    cases: dict[str, dict[str, Any] | None] = {}
    kept = []
    for row in rows:
        if row["case_id"] not in cases:
            cases[row["case_id"]] = get_case(node.views, UUID(row["case_id"]), seen_by)
        if visibility.record_visible(reader, node.registry, seen_by, row, cases[row["case_id"]]):
            kept.append(row)
    return kept


async def _answer(node: Node, reader: Actor, **who: str) -> AccountabilityList:
    seen_by = visibility.audience(reader, node.registry)
    rows = await asyncio.to_thread(records, node.views, **who)
    kept = await asyncio.to_thread(_visible, node, reader, seen_by, rows)
    return AccountabilityList(items=[AccountabilityRecord.model_validate(r) for r in kept])


@router.get(
    "/v1/units/{code}/accountability", response_model=AccountabilityList, responses=problems(401, 403, 404, 422),
    summary="A unit's commendations, criticisms, accountability, fault tolerance and deductions",
)
async def unit_accountability(
    code: str, reader: Reader, node: NodeDep, response: Response, after: After = None, wait: Wait = MAX_WAIT_SECONDS,
) -> AccountabilityList:
    if code not in node.registry:
        raise NotFound("no such unit")
    await catch_up(node, response, after, wait, *PROJECTIONS)
    return await _answer(node, reader, unit=code)


@router.get(
    "/v1/people/{person}/accountability", response_model=AccountabilityList, responses=problems(401, 403, 422),
    summary="A person's commendations, criticisms, accountability and fault tolerance",
)
async def person_accountability(
    person: str, reader: Reader, node: NodeDep, response: Response, after: After = None, wait: Wait = MAX_WAIT_SECONDS,
) -> AccountabilityList:
    await catch_up(node, response, after, wait, *PROJECTIONS)
    return await _answer(node, reader, person=person)
