"""GET /asyncapi.json: the AsyncAPI document of the node's messages to and from other levels."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.deps import NodeDep
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
