"""Problem details (RFC 9457) for what no route expects, and in the OpenAPI document."""

from __future__ import annotations

import errno

import httpx
from structlog.testing import capture_logs

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


async def test_an_unexpected_error_is_answered_not_raised_to_the_server_and_logged_once(app, monkeypatch):
    async def boom() -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setitem(POLICY, "boom", Rule(PUBLIC))
    app.add_api_route("/boom", boom)
    transport = httpx.ASGITransport(app=app)  # an error raised to the server fails the request here
    with capture_logs() as logs:
        async with httpx.AsyncClient(transport=transport, base_url="http://ducha.test") as client:
            response = await client.get("/boom")

    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert [entry["event"] for entry in logs if entry["log_level"] == "error"] == ["unhandled error"]


async def test_a_full_store_met_by_a_route_is_answered_507_with_retry_after(app, monkeypatch):
    async def full() -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setitem(POLICY, "full", Rule(PUBLIC))
    app.add_api_route("/full", full)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://ducha.test") as client:
        response = await client.get("/full")

    assert response.status_code == 507
    assert response.json()["type"] == "urn:ducha:problem:store-full"
    assert int(response.headers["Retry-After"]) > 0


async def test_openapi_documents_problems_of_every_command(client):
    schema = (await client.get("/openapi.json")).json()

    approve = schema["paths"]["/v1/cases/{case_id}/approve"]["post"]["responses"]
    assert {"401", "403", "404", "409", "422"} <= approve.keys()
    problem_schema = {"schema": {"$ref": "#/components/schemas/Problem"}}
    assert approve["409"]["content"] == {"application/problem+json": problem_schema}
