"""Limits: a body over the limit answers 413, a caller over its rate 429 with Retry-After; neither changes anything."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest

from api.app import create_app
from ducha.bootstrap import bootstrap
from ducha.tokens import issue_token
from tests.api.builders import AGENCY, proposal


@pytest.fixture
async def tight_node(settings, clock, registry):
    tight = settings.model_copy(update={"max_body_bytes": 2048, "rate_limit": "3/minute"})
    node = bootstrap(tight, clock=clock, registry=registry)
    await node.start()
    yield node
    await node.stop()


@pytest.fixture
async def client(tight_node) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(tight_node))
    async with httpx.AsyncClient(transport=transport, base_url="http://ducha.test") as http:
        yield http


@pytest.fixture
def auth(tight_node):
    def make(who):
        unit, role = who
        token = issue_token(tight_node.key, tight_node.settings.node, unit, role, "王敏", timedelta(hours=1))
        return {"Authorization": f"Bearer {token}"}

    return make


@pytest.fixture
def headers(auth) -> dict[str, str]:
    return auth(AGENCY)


async def test_body_over_the_limit_is_refused_with_413_and_records_nothing(client, headers, tight_node):
    body = proposal() | {"rationale": "理由" * 2000}
    response = await client.post("/v1/cases", json=body, headers=headers)
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "urn:ducha:problem:payload-too-large"
    assert tight_node.reader.last_position() == 0


async def test_caller_over_its_rate_gets_429_with_retry_after(client, headers):
    answers = [await client.get("/v1/cases", headers=headers) for _ in range(4)]
    assert [a.status_code for a in answers[:3]] == [200, 200, 200]
    assert answers[3].status_code == 429
    assert int(answers[3].headers["retry-after"]) >= 1
    assert answers[3].json()["type"] == "urn:ducha:problem:rate-limited"


async def test_rate_is_counted_per_token(client, headers, auth):
    for _ in range(3):
        await client.get("/v1/cases", headers=headers)
    other = auth(("220000-DCS", AGENCY[1]))
    assert (await client.get("/v1/cases", headers=other)).status_code == 200
