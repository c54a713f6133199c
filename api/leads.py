"""Leads (线索, 互联网+督查) over HTTP.

Anyone may submit a lead without a token (the role `public`) and gets a receipt code
(回执码); with that code, and nothing else, the submitter follows where the lead stands,
never its content or anyone's identity. Who gave a lead is kept for the supervision office
alone (Art. 26). The office, with a token, sorts the lead, hands it over or opens a
lead-verification case (线索核查) on it.
"""

from __future__ import annotations

import asyncio
from typing import Annotated
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from fastapi import APIRouter, Path, Response, status

from api.auth import ActorDep
from api.case_command_routes import ON_CASE, ExpectedVersion
from api.deps import NodeDep
from api.lead_models import (
    HandOverLead, LeadAnswer, LeadReceipt, LeadStatus, OpenVerification, SortLead, SubmitLead, VerificationAnswer,
)
from api.preconditions import etag
from api.problems import problems
from domain.actor import Actor, Role
from domain.errors import NotFound
from domain.lead import Lead
from ducha.bootstrap import Node
from ducha.lead_commands import lead_id_of
from ducha.writer import Outcome

router = APIRouter(prefix="/v1/leads", tags=["leads"])

Receipt = Annotated[str, Path(pattern=r"^[0-9A-Fa-f]{16}$", description="The receipt code given on submission.")]


def _headers(response: Response, outcome: Outcome) -> None:
    response.headers["Ducha-Position"] = str(outcome.position)
    response.headers["ETag"] = etag(outcome.version)


def _answer(response: Response, outcome: Outcome) -> LeadAnswer:
    _headers(response, outcome)
    return LeadAnswer(id=outcome.aggregate.id, state=outcome.state, version=outcome.version, position=outcome.position)


def public_actor(node: Node) -> Actor:
    """Who submits without a token: the public, at this node. Never the informant's identity."""
    return Actor(unit=node.settings.node, role=Role.PUBLIC, person="public")


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=LeadReceipt,
    responses=problems(422),
    summary="Submit a lead (提交线索); no token needed",
)
async def submit_lead(body: SubmitLead, node: NodeDep, response: Response) -> LeadReceipt:
    informant = body.informant.model_dump() if body.informant else None
    outcome, code = await node.leads.submit(
        public_actor(node), channel=body.channel.value, content=body.content, about_unit=body.about_unit,
        informant=informant,
    )
    _headers(response, outcome)
    response.headers["Location"] = f"{router.prefix}/{code}"
    return LeadReceipt(id=outcome.aggregate.id, receipt_code=code, state=outcome.state, position=outcome.position)


@router.get(
    "/{receipt}",
    response_model=LeadStatus,
    responses=problems(404, 422),
    summary="Follow a lead by its receipt code (回执查询); no token needed",
)
async def follow_lead(receipt: Receipt, node: NodeDep) -> LeadStatus:
    lead = await asyncio.to_thread(_load, node, lead_id_of(receipt))
    return LeadStatus(state=lead.state, submitted_on=lead.submitted_on, updated_on=lead.last_on)


def _load(node: Node, lead_id: UUID) -> Lead:
    # One lead's own history is the answer here: there is no list to read, only the code's lead.
    try:
        lead = node.app.repository.get(lead_id)
    except AggregateNotFoundError:
        raise NotFound("no lead with this receipt code") from None
    if not isinstance(lead, Lead):
        raise NotFound("no lead with this receipt code")
    return lead


@router.post(
    "/{lead_id}/sort", response_model=LeadAnswer, responses=problems(*ON_CASE), summary="Sort a lead (分类)"
)
async def sort_lead(
    lead_id: UUID, body: SortLead, actor: ActorDep, node: NodeDep, expected: ExpectedVersion, response: Response
) -> LeadAnswer:
    outcome = await node.leads.run(
        "sort", actor, lead_id, on=body.on, expected_version=expected, category=body.category
    )
    return _answer(response, outcome)


@router.post(
    "/{lead_id}/hand-over",
    response_model=LeadAnswer,
    responses=problems(*ON_CASE),
    summary="Hand a lead to the responsible unit (转办)",
)
async def hand_over_lead(
    lead_id: UUID, body: HandOverLead, actor: ActorDep, node: NodeDep, expected: ExpectedVersion, response: Response
) -> LeadAnswer:
    outcome = await node.leads.run(
        "hand-over", actor, lead_id, on=body.on, expected_version=expected, unit=body.unit,
        instructions=body.instructions,
    )
    return _answer(response, outcome)


@router.post(
    "/{lead_id}/open-verification",
    response_model=VerificationAnswer,
    responses=problems(*ON_CASE),
    summary="Open a lead-verification case on a lead (线索核查)",
)
async def open_verification(
    lead_id: UUID, body: OpenVerification, actor: ActorDep, node: NodeDep, expected: ExpectedVersion,
    response: Response,
) -> VerificationAnswer:
    outcome, case_id = await node.leads.open_verification(
        actor, lead_id, on=body.on, expected_version=expected, **body.fields()
    )
    common = _answer(response, outcome)
    return VerificationAnswer(**common.model_dump(), case_id=case_id)
