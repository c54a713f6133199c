"""The lifecycle's commands over HTTP: one route per command, each with its own schema; bodies,
consent, If-Match and merging."""

from __future__ import annotations

import asyncio
from uuid import UUID

import pytest

from ducha.commands import CASE_COMMANDS
from tests.e2e import steps
from tests.e2e.steps import LEADER, OFFICE, Api


@pytest.fixture
def store_url() -> None:
    """SQLite only here: tests/e2e runs the lifecycle on PostgreSQL too."""
    return None


@pytest.fixture
def api(client, auth) -> Api:
    return Api(client, auth)


async def stored(node, case_id: str):
    return await asyncio.to_thread(node.app.repository.get, UUID(case_id))


def test_every_case_command_and_merge_has_a_post_route(app):
    paths = app.openapi()["paths"]

    missing = [c for c in [*CASE_COMMANDS, "merge"] if "post" not in paths.get(f"/v1/cases/{{case_id}}/{c}", {})]

    assert missing == []


def test_each_command_route_documents_its_own_request_schema_and_problems(app):
    operation = app.openapi()["paths"]["/v1/cases/{case_id}/issue-conclusion"]["post"]

    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    assert schema["$ref"].endswith("/IssueConclusion")
    assert "督查结论" in operation["summary"]
    assert {"400", "401", "403", "404", "409", "422"} <= set(operation["responses"])


async def test_unknown_field_is_refused_and_changes_nothing(api, node):
    case_id = await steps.propose(api)
    await steps.approve(api, case_id)

    response = await api.post(f"/v1/cases/{case_id}/adopt-plan", {"content": "检查", "budget": 10}, OFFICE)

    assert response.status_code == 422
    assert response.json()["type"] == "urn:ducha:problem:invalid-request"
    assert (await stored(node, case_id)).version == 2


async def test_stale_if_match_is_a_version_conflict(api):
    case_id = await steps.propose(api)
    await steps.approve(api, case_id)

    response = await api.post(
        f"/v1/cases/{case_id}/adopt-plan", {"on": "2026-09-03", "content": "检查"}, OFFICE, **{"If-Match": '"1"'}
    )

    assert response.status_code == 409
    assert response.json()["type"] == "urn:ducha:problem:version-conflict"


async def test_command_answers_state_version_position_and_etag(api):
    case_id = await steps.propose(api)
    await steps.approve(api, case_id)

    response = await api.post(
        f"/v1/cases/{case_id}/adopt-plan", {"on": "2026-09-03", "content": "检查"}, OFFICE, **{"If-Match": '"2"'}
    )

    body = response.json()
    assert response.status_code == 200 and body["state"] == "planned" and body["version"] == 3
    assert response.headers["ETag"] == '"3"' and int(response.headers["Ducha-Position"]) == body["position"]


async def test_plan_amended_with_the_approvers_consent(api, node):
    case_id = await steps.planned(api)
    body = {
        "on": "2026-09-04", "changes": {"scope": "全市", "methods": ["records"]}, "grounds": "扩大范围",
        "consent": {"unit": "220000", "role": "leader", "person": "省长"},
    }

    await api.act(case_id, "amend-plan", body)

    plan = (await stored(node, case_id)).plan
    assert plan["scope"] == "全市" and plan["methods"] == ["records"] and plan["content"] == "检查就业补贴发放"


async def test_plan_amendment_consented_by_someone_not_the_approver_is_refused(api):
    case_id = await steps.planned(api)
    body = {
        "on": "2026-09-04", "changes": {"scope": "全市"}, "grounds": "扩大范围",
        "consent": {"unit": "220000-DCS", "role": "agency", "person": "督查员周"},
    }

    response = await api.post(f"/v1/cases/{case_id}/amend-plan", body, OFFICE)

    assert response.status_code == 403
    assert response.json()["type"] == "urn:ducha:problem:act-not-allowed"


async def test_office_merges_a_case_into_another(api, node):
    survivor = await steps.propose(api)
    absorbed = await steps.propose(api, steps.proposal(targets=["220200"], title="吉林市稳就业督查"))
    await steps.approve(api, survivor)
    await steps.approve(api, absorbed)

    merged = await api.act(survivor, "merge", {"on": "2026-09-05", "absorbed_id": absorbed, "grounds": "能合尽合"})

    assert merged["id"] == survivor
    assert (await stored(node, absorbed)).state.value == "merged"
    assert (await stored(node, survivor)).targets == ["220100", "220200"]


async def test_case_command_on_a_lead_id_is_not_found(api, client):
    lead = (await client.post("/v1/leads", json={"content": "某街道违规收费"})).json()

    response = await api.post(f"/v1/cases/{lead['id']}/file", {}, OFFICE)

    assert response.status_code == 404


async def test_leader_may_not_record_a_finding(api):
    case_id = await steps.planned(api)
    body = {"on": "2026-09-05", "finding_id": "f1", "target": "220100", "item": "补贴", "text": "滞后"}

    response = await api.post(f"/v1/cases/{case_id}/record-finding", body, LEADER)

    assert response.status_code == 403
