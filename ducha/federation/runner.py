"""The federation of one node: its inbox (a FastStream broker on the node's NATS) and its outbox task.

Started by `Node.start()` when the node has a trust store (`DUCHA_TRUST_STORE`); stopped before the
node's NATS connection closes.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Any

import structlog
from faststream.nats import NatsBroker

from domain.units import UnitRegistry
from ducha.federation import state
from ducha.federation.apply import Applier
from ducha.federation.inbox import Inbox, inbox_router
from ducha.federation.outbox import Outbox
from ducha.federation.trust import TrustStore

if TYPE_CHECKING:
    from ducha.bootstrap import Node

log = structlog.get_logger(__name__)


def federation_broker(inbox: Inbox, url: str | None = None) -> NatsBroker:
    """The node's broker for other levels' messages (also what the AsyncAPI document is generated from)."""
    broker = NatsBroker(url or "nats://127.0.0.1:4222", max_reconnect_attempts=-1, connect_timeout=5)
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
        self.inbox = Inbox(code, node.registry, trust, node.views, Applier(node.tasks))
        self.outbox = Outbox(
            code, node.registry, node.reader, node.views, node.key, parent=parent_node(node.registry, code, trust),
            clock=node.clock,
        )
        self.broker: NatsBroker | None = None
        self._task: asyncio.Task[Any] | None = None

    async def start(self) -> None:
        self.outbox.js = self.node.js
        self.broker = federation_broker(self.inbox, self.node.nats_url)
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
