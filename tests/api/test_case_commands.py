"""Commands over HTTP: propose (立项), approve (同意), reject; problems; If-Match."""

from __future__ import annotations

import asyncio
from uuid import UUID

from tests.api.builders import AGENCY, DEPARTMENT, GOVERNMENT, LEADER, department_proposal, proposal

PROBLEM_JSON = "application/problem+json"


async def stored_version(node, case_id: str) -> int:
    """The case's version in the event store itself (not a projection)."""
    case = await asyncio.to_thread(node.app.repository.get, UUID(case_id))
    return case.version


async def test_propose_answers_201_with_position_header(client, auth):
    response = await client.post("/v1/cases", json=proposal(), headers=auth(AGENCY))

    assert response.status_code == 201
    body = response.json()
    assert body["state"] == "proposed" and body["version"] == 1
    assert int(response.headers["Ducha-Position"]) == body["position"] >= 1
    assert response.headers["ETag"] == '"1"'
    assert response.headers["Location"] == f"/v1/cases/{body['id']}"


async def test_leader_approves_a_government_case(client, auth, propose):
    case_id = (await propose()).json()["id"]

    response = await client.post(f"/v1/cases/{case_id}/approve", json={"remarks": "同意"}, headers=auth(LEADER))

    assert response.status_code == 200
    assert response.json()["state"] == "approved"
    assert response.headers["ETag"] == '"2"'


async def test_government_approves_a_department_case_without_a_body(client, auth, propose):
    case_id = (await propose(department_proposal(), who=DEPARTMENT)).json()["id"]

    response = await client.post(f"/v1/cases/{case_id}/approve", headers=auth(GOVERNMENT))

    assert response.status_code == 200
    assert response.json()["state"] == "approved"


async def test_department_case_approved_by_leader_is_refused_and_changes_nothing(client, auth, propose, node):
    case_id = (await propose(department_proposal(), who=DEPARTMENT)).json()["id"]

    response = await client.post(f"/v1/cases/{case_id}/approve", json={}, headers=auth(LEADER))

    assert response.status_code == 403
    assert response.headers["content-type"] == PROBLEM_JSON
    problem = response.json()
    assert problem["type"] == "urn:ducha:problem:act-not-allowed"
    assert problem["status"] == 403 and problem["instance"] == f"/v1/cases/{case_id}/approve"
    assert await stored_version(node, case_id) == 1


async def test_leader_rejects_a_government_case_with_a_reason(client, auth, propose):
    case_id = (await propose()).json()["id"]

    response = await client.post(f"/v1/cases/{case_id}/reject", json={"reason": "与年度计划重复"}, headers=auth(LEADER))

    assert response.status_code == 200
    assert response.json()["state"] == "rejected"


async def test_agency_may_not_approve_its_own_case(client, auth, propose, node):
    case_id = (await propose()).json()["id"]

    response = await client.post(f"/v1/cases/{case_id}/approve", headers=auth(AGENCY))

    assert response.json()["type"] == "urn:ducha:problem:act-not-allowed"
    assert await stored_version(node, case_id) == 1


async def test_stale_if_match_is_a_version_conflict(client, auth, propose, node):
    case_id = (await propose()).json()["id"]

    response = await client.post(f"/v1/cases/{case_id}/approve", headers=auth(LEADER) | {"If-Match": '"7"'})

    assert response.status_code == 409
    assert response.json()["type"] == "urn:ducha:problem:version-conflict"
    assert await stored_version(node, case_id) == 1


async def test_matching_if_match_runs_the_command(client, auth, propose):
    created = await propose()

    response = await client.post(
        f"/v1/cases/{created.json()['id']}/approve", headers=auth(LEADER) | {"If-Match": created.headers["ETag"]}
    )

    assert response.status_code == 200


async def test_malformed_if_match_is_a_bad_request(client, auth, propose, node):
    case_id = (await propose()).json()["id"]

    response = await client.post(f"/v1/cases/{case_id}/approve", headers=auth(LEADER) | {"If-Match": "W/\"1\""})

    assert response.status_code == 400
    assert response.json()["type"] == "urn:ducha:problem:invalid-if-match"
    assert await stored_version(node, case_id) == 1


async def test_unknown_field_in_the_body_is_an_invalid_request(client, auth, node):
    response = await client.post("/v1/cases", json=proposal(sponsor="government"), headers=auth(AGENCY))

    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM_JSON
    problem = response.json()
    assert problem["type"] == "urn:ducha:problem:invalid-request"
    assert [e["loc"] for e in problem["errors"]] == [["body", "sponsor"]]
    assert await asyncio.to_thread(node.reader.last_position) == 0


async def test_unknown_enum_value_is_an_invalid_request(client, auth):
    response = await client.post("/v1/cases", json=proposal(methods=["telepathy"]), headers=auth(AGENCY))

    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "methods", 0]


async def test_act_dated_in_the_future_is_refused(client, auth, node):
    response = await client.post("/v1/cases", json=proposal(on="2027-01-04"), headers=auth(AGENCY))

    assert response.status_code == 422
    assert response.json()["type"] == "urn:ducha:problem:act-date-invalid"
    assert await asyncio.to_thread(node.reader.last_position) == 0


async def test_approving_an_unknown_case_is_not_found(client, auth):
    response = await client.post("/v1/cases/00000000-0000-4000-8000-000000000000/approve", headers=auth(LEADER))

    assert response.status_code == 404
    assert response.json()["type"] == "urn:ducha:problem:not-found"
