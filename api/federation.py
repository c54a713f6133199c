"""GET /asyncapi.json: the AsyncAPI document of the node's messages to and from other levels; and
GET /v1/federation/dead-letters: the messages from other levels this node refused (死信), for its office."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Query

from api.auth import ActorDep
from api.deps import NodeDep
from api.problems import problems
from domain.errors import NotFound
from ducha.federation import state
from ducha.federation.apply import Applier
from ducha.federation.asyncapi import asyncapi_document
from ducha.federation.inbox import Inbox
from ducha.federation.runner import federation_broker
from ducha.federation.trust import TrustStore

router = APIRouter(tags=["federation"])


@router.get("/asyncapi.json", summary="The AsyncAPI 3.0 document of the integration messages between levels")
def asyncapi(node: NodeDep) -> dict[str, Any]:
    federation = getattr(node, "federation", None)
    if federation is not None and federation.broker is not None:
        broker = federation.broker
    else:  # not federated: the document is the same, generated from an unconnected broker
        inbox = Inbox(node.settings.node, node.registry, TrustStore({}), node.views, Applier(node.tasks))
        broker = federation_broker(inbox)
    return asyncapi_document(broker, node.settings.node)


@router.get(
    "/v1/federation/dead-letters", responses=problems(401, 403, 404, 422),
    summary="The messages from other levels this node refused, with their reasons (oldest first)",
)
async def federation_dead_letters(
    actor: ActorDep, node: NodeDep, limit: int = Query(1000, ge=1, le=10_000)
) -> dict[str, Any]:
    """Message id, sender, contract, reason and time of each; only for this node's own office (the policy row:
    its agency), another level's office gets 404 as for anything it may not see."""
    if node.registry.government_of(actor.unit) != node.settings.node:
        raise NotFound("no federation dead letters here")
    await asyncio.to_thread(state.install, node.views)  # a node that never federated has none: the tables, empty
    letters = await asyncio.to_thread(state.dead_letters, node.views, limit=limit)
    keep = ("message_id", "sender", "contract", "reason", "at")
    return {"dead_letters": [{k: letter[k] for k in keep} for letter in letters], "total": len(letters)}
