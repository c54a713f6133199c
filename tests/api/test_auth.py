"""Bearer authentication over HTTP: every command and case query needs a good token."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ducha.tokens import revoke, token_id
from tests.api.builders import AGENCY, proposal


def _token(headers: dict[str, str]) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


async def test_command_without_a_token_is_unauthenticated(client, node):
    response = await client.post("/v1/cases", json=proposal())

    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "urn:ducha:problem:unauthenticated"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert node.reader.last_position() == 0


async def test_query_without_a_token_is_unauthenticated(client):
    response = await client.get("/v1/cases")

    assert response.status_code == 401


async def test_token_for_another_node_is_unauthenticated(client, auth):
    response = await client.post("/v1/cases", json=proposal(), headers=auth(AGENCY, node="220100"))

    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


async def test_expired_token_is_unauthenticated(client, auth):
    expired = auth(AGENCY, now=datetime.now(UTC) - timedelta(hours=2))

    response = await client.post("/v1/cases", json=proposal(), headers=expired)

    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


async def test_revoked_token_is_unauthenticated(client, auth, node):
    headers = auth(AGENCY)
    assert (await client.get("/v1/cases", headers=headers)).status_code == 200

    revoke(node.settings.data_dir, token_id(_token(headers)))

    response = await client.get("/v1/cases", headers=headers)
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]


async def test_garbage_token_is_unauthenticated(client):
    response = await client.get("/v1/cases", headers={"Authorization": "Bearer not.a.token"})

    assert response.status_code == 401
