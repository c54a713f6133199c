"""The federation of one node: its inbox (a FastStream broker on the node's NATS) and its outbox task.

Started by `Node.start()` when the node has a trust store (`DUCHA_TRUST_STORE`); stopped before the
node's NATS connection closes.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import structlog
from faststream.nats import NatsBroker, NatsNKey

from domain.ledger_tree import serving_node
from domain.units import UnitRegistry
from ducha.federation import state
from ducha.federation.apply import Applier
from ducha.federation.cases import CasesAcross
from ducha.federation.instructions import InstructionsAcross
from ducha.federation.inbox import Inbox, inbox_router
from ducha.federation.outbox import Outbox
from ducha.federation.trust import TrustStore
from ducha.nats_auth import reply_inbox

if TYPE_CHECKING:
    from ducha.bootstrap import Node

log = structlog.get_logger(__name__)


def federation_broker(inbox: Inbox, url: str | None = None, seed: Path | None = None) -> NatsBroker:
    """The node's broker for other levels' messages (also what the AsyncAPI document is generated from); with the
    node's nkey `seed` (`DUCHA_NATS_NKEY_SEED`) it authenticates as the node. It replies on the node's own inbox
    prefix either way (`ducha.nats_auth`)."""
    broker = NatsBroker(
        url or "nats://127.0.0.1:4222", max_reconnect_attempts=-1, connect_timeout=5,
        security=NatsNKey(seed) if seed is not None else None, inbox_prefix=reply_inbox(inbox.node),
    )
    broker.include_router(inbox_router(inbox))
    return broker


def parent_node(registry: UnitRegistry, node: str, trust: TrustStore) -> str | None:
    """The node this one reports to: the nearest level above it that the trust store knows (None at the top)."""
    return next((code for code in registry.ancestors(node) if code in trust.keys), None)


class Federation:
    """The inbox and outbox of a started node."""

    def __init__(self, node: Node, trust: TrustStore) -> None:
        assert node.tasks is not None
        self.node = node
        state.install(node.views)
        code = node.settings.node
        applier = Applier(node.tasks, node.cases, code, node.instructions)
        self.inbox = Inbox(code, node.registry, trust, node.views, applier)
        # A case's target, or an instruction's lead unit, is served by the nearest node at or above its division
        # that the trust store knows, which may lie more than one level below (a province case on a county unit
        # goes to the county's node).
        serving = serving_node(node.registry, {code, *trust.keys})
        self.outbox = Outbox(
            code, node.registry, node.reader, node.views, node.key, parent=parent_node(node.registry, code, trust),
            clock=node.clock, cases=CasesAcross(code, node.reader, serving, node.calendar, node.policy),
            instructions=InstructionsAcross(code, node.reader, serving),
        )
        self.broker: NatsBroker | None = None
        self._task: asyncio.Task[Any] | None = None

    async def start(self) -> None:
        self.outbox.js = self.node.js
        self.broker = federation_broker(self.inbox, self.node.nats_url, self.node.settings.nats_nkey_seed)
        await self.broker.start()
        self._task = asyncio.create_task(self.outbox.run(), name="federation-outbox")
        log.info("federation started", node=self.node.settings.node)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None
        if self.broker is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.broker.stop(), timeout=10)
            self.broker = None


async def start_federation(node: Node) -> Federation:
    """Starts the inbox and outbox of a node whose settings name a trust store."""
    assert node.settings.trust_store is not None
    federation = Federation(node, TrustStore.load(node.settings.trust_store))
    await federation.start()
    return federation
