"""schemathesis against the app in-process, with its default checks: no server error, no ignored auth, no answer
outside the OpenAPI document. Bounded here (`DUCHA_FUZZ_EXAMPLES`, default 5 per operation); `make fuzz` runs more.

The node runs on its own event loop in a thread (its NATS connection and writer live there); schemathesis calls the
app from its own loop, so each request is carried over to the node's loop whole (`OnNodeLoop`).
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings

from schemathesis.specs.openapi.checks import positive_data_acceptance

from api.app import create_app
from domain.actor import Role
from ducha.bootstrap import bootstrap
from ducha.keys import NodeKey
from ducha.settings import Settings
from ducha.tokens import issue_token

EXAMPLES = int(os.environ.get("DUCHA_FUZZ_EXAMPLES", "5"))
CALLS: dict[str, int] = {}


class OnNodeLoop:
    """An ASGI app that runs each request on the node's loop: the body is read here, the answer sent back here."""

    def __init__(self, app: Any, loop: asyncio.AbstractEventLoop) -> None:
        self.app, self.loop = app, loop

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body, more = b"", True
        while more:
            message = await receive()
            body, more = body + message.get("body", b""), message.get("more_body", False)
        sent: list[dict] = []
        future = asyncio.run_coroutine_threadsafe(self._run(scope, body, sent), self.loop)
        await asyncio.wrap_future(future)
        for message in sent:
            await send(message)

    async def _run(self, scope: dict, body: bytes, sent: list[dict]) -> None:
        delivered = False

        async def receive() -> dict:
            nonlocal delivered
            if delivered:
                await asyncio.Event().wait()  # a disconnect never comes: the whole body was given
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict) -> None:
            sent.append(message)

        await self.app(scope, receive, send)


@pytest.fixture
def served(tmp_path, nats_server, registry) -> Iterator[tuple[Any, dict[str, str]]]:
    """A started node on its own loop, its app wrapped for schemathesis, and an agency's token header."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    config = Settings(data_dir=tmp_path / "data", nats_url=nats_server.url, node="220000", rate_limit="")
    node = bootstrap(config, registry=registry)
    asyncio.run_coroutine_threadsafe(node.start(), loop).result(30)
    key = NodeKey.load_or_create(config.data_dir)
    token = issue_token(key, "220000", "220000-DCS", Role.AGENCY, "王敏", timedelta(hours=1))
    try:
        yield OnNodeLoop(create_app(node), loop), {"Authorization": f"Bearer {token}"}
    finally:
        asyncio.run_coroutine_threadsafe(node.stop(), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        print(f"\nschemathesis: {sum(CALLS.values())} examples over {len(CALLS)} operations")


@pytest.fixture
def store_url() -> None:
    return None


def run_operation(operation: Any, headers: dict[str, str]) -> str | None:
    """Runs schemathesis' default checks on one operation; the failure's text, or None."""

    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
              database=None, phases=[Phase.explicit, Phase.generate])
    def check(case: Any) -> None:
        CALLS[operation.label] = CALLS.get(operation.label, 0) + 1
        # Schema-valid data may still break a domain rule (an unknown unit, a date order): that answers 422 by design.
        case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])

    try:
        check()
    except (Exception, BaseExceptionGroup) as failure:  # noqa: BLE001 - every operation runs; failures reported together
        return f"{operation.label}: {failure}"
    return None


def test_the_api_conforms_to_its_openapi_document(served):
    app, headers = served
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures = [run_operation(result.ok(), headers) for result in schema.get_all_operations()]

    assert [f for f in failures if f] == []
