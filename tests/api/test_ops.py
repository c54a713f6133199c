"""Operations endpoints: liveness, readiness, metrics, the access log, unknown routes."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families
from structlog.testing import capture_logs

from domain.actor import Role
from tests.api.builders import AGENCY, proposal

TARGET = ("220100", Role.TARGET)  # a supervised unit: no row lets it propose


def _sample(metrics_text: str, name: str, labels: dict[str, str]) -> float:
    for family in text_string_to_metric_families(metrics_text):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return sample.value
    return 0.0


def _propose_ok(metrics_text: str) -> float:
    return _sample(metrics_text, "ducha_commands_total", {"command": "propose", "outcome": "ok"})


def _refused(metrics_text: str, route: str, outcome: str) -> float:
    return _sample(metrics_text, "ducha_requests_refused_total", {"route": route, "outcome": outcome})


async def test_healthz_answers_ok(client):
    response = await client.get("/healthz")

    assert response.status_code == 200


async def test_readyz_answers_200_when_running(client):
    response = await client.get("/readyz")

    assert response.status_code == 200
    assert response.json()["checks"]["nats"]["ok"] is True


async def test_readyz_answers_503_when_nats_is_disconnected(client, node):
    await node.nc.close()

    response = await client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["type"] == "urn:ducha:problem:not-ready"
    assert response.json()["checks"]["nats"]["ok"] is False


async def test_metrics_count_the_commands(client, propose):
    before = _propose_ok((await client.get("/metrics")).text)

    await propose()

    assert _propose_ok((await client.get("/metrics")).text) == before + 1


async def test_metrics_give_the_store_position_of_the_last_command(client, propose):
    position = int((await propose()).headers["Ducha-Position"])

    assert _sample((await client.get("/metrics")).text, "ducha_store_position", {}) == position


async def test_metrics_say_whether_nats_is_connected(client, node):
    connected = _sample((await client.get("/metrics")).text, "ducha_nats_connected", {})
    await node.nc.close()

    assert (connected, _sample((await client.get("/metrics")).text, "ducha_nats_connected", {})) == (1, 0)


async def test_metrics_count_a_command_the_policy_refuses_before_it_runs(client, auth):
    before = _refused((await client.get("/metrics")).text, "propose_case", "act-not-allowed")

    refused = await client.post("/v1/cases", json=proposal(), headers=auth(TARGET))

    assert refused.status_code == 403
    assert _refused((await client.get("/metrics")).text, "propose_case", "act-not-allowed") == before + 1


async def test_metrics_count_a_request_without_a_token(client):
    before = _refused((await client.get("/metrics")).text, "propose_case", "unauthenticated")

    await client.post("/v1/cases", json=proposal())

    assert _refused((await client.get("/metrics")).text, "propose_case", "unauthenticated") == before + 1


async def test_access_log_names_the_actor_and_never_the_token(client, auth):
    headers = auth(AGENCY)
    with capture_logs() as logs:
        await client.get("/v1/cases", headers=headers)

    line = next(entry for entry in logs if entry["event"] == "request")
    assert (line["method"], line["path"], line["status"]) == ("GET", "/v1/cases", 200)
    assert (line["unit"], line["role"]) == ("220000-DCS", "agency")
    token = headers["Authorization"].removeprefix("Bearer ")
    assert not any(token in str(value) for entry in logs for value in entry.values())


async def test_unknown_route_is_a_not_found_problem(client):
    response = await client.get("/v1/nothing-here")

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "urn:ducha:problem:not-found"
