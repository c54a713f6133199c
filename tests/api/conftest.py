"""API fixtures: the app of a started node (real NATS, real store), an HTTP client, tokens."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from api.app import create_app
from domain.actor import Role
from ducha.bootstrap import Node
from ducha.keys import NodeKey
from ducha.tokens import issue_token
from tests.api.builders import AGENCY, proposal


@pytest.fixture
def app(node: Node) -> FastAPI:
    return create_app(node)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://ducha.test") as http:
        yield http


@pytest.fixture
def key(node: Node) -> NodeKey:
    return NodeKey.load_or_create(node.settings.data_dir)


@pytest.fixture
def auth(node: Node, key: NodeKey) -> Callable[..., dict[str, str]]:
    """Headers with a bearer token for (unit, role); keyword arguments go to `issue_token`."""

    def headers(who: tuple[str, Role], person: str = "王敏", **kwargs: Any) -> dict[str, str]:
        unit, role = who
        kwargs.setdefault("ttl", timedelta(hours=1))
        audience = kwargs.pop("node", node.settings.node)
        token = issue_token(key, audience, unit, role, person, kwargs.pop("ttl"), **kwargs)
        return {"Authorization": f"Bearer {token}"}

    return headers


@pytest.fixture
def propose(client: httpx.AsyncClient, auth) -> Callable[..., Any]:
    """Proposes a case and answers the response; asserts it was accepted."""

    async def run(body: dict[str, Any] | None = None, who: tuple[str, Role] = AGENCY) -> httpx.Response:
        response = await client.post("/v1/cases", json=body or proposal(), headers=auth(who))
        assert response.status_code == 201, response.text
        return response

    return run
