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
        description=(
            "Integration contracts, signed with the sender's Ed25519 key: down 交办, a case's 督查通知, 暗访, 督查结论, "
            "复核决定, 核查, 逾期 and 催办 to its target's node, and a leader's 批示交办, 退回 and 办结 to its lead unit's node; "
            "up 承办, 进展, 办结申请, 督查事项报告, 基层负担, a target's 自查, 整改报告 and 复核申请, and a lead unit's 反馈; "
            "and down again, 退件: such an act the receiving node refused by a rule of its domain. "
            "A contract's channel names its version; an older version is listed while it is still read."
        ),
        schema_version="3.0.0",
    )
    return spec.to_specification().to_jsonable()
