"""Problem details (RFC 9457) for what no route expects, and in the OpenAPI document."""

from __future__ import annotations

import httpx

from api.authorization import POLICY, PUBLIC, Rule


async def test_unexpected_error_is_a_problem_without_internals(app, monkeypatch):
    async def boom() -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setitem(POLICY, "boom", Rule(PUBLIC))  # a route without a policy row is refused before it runs
    app.add_api_route("/boom", boom)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://ducha.test") as client:
        response = await client.get("/boom")

    assert response.status_code == 500
    assert response.json()["type"] == "urn:ducha:problem:internal"
    assert "secret" not in response.text


async def test_openapi_documents_problems_of_every_command(client):
    schema = (await client.get("/openapi.json")).json()

    approve = schema["paths"]["/v1/cases/{case_id}/approve"]["post"]["responses"]
    assert {"401", "403", "404", "409", "422"} <= approve.keys()
    problem_schema = {"schema": {"$ref": "#/components/schemas/Problem"}}
    assert approve["409"]["content"] == {"application/problem+json": problem_schema}
