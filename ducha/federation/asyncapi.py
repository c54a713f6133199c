"""The AsyncAPI document of a node's crossing of levels, as FastStream generates it from the inbox's
subscriber and the contracts' publishers (AsyncAPI 3.0.0)."""

from __future__ import annotations

from typing import Any

from faststream.specification import AsyncAPI
from faststream.nats import NatsBroker

import ducha


def asyncapi_document(broker: NatsBroker, node: str) -> dict[str, Any]:
    """The document as JSON-ready data."""
    spec = AsyncAPI(
        broker, title=f"ducha node {node}: messages between levels", version=getattr(ducha, "__version__", "0"),
        description="Integration contracts (交办 down; 承办, 进展, 办结申请 up), signed with the sender's Ed25519 key.",
        schema_version="3.0.0",
    )
    return spec.to_specification().to_jsonable()
