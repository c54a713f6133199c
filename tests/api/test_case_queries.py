"""Queries on the case board over HTTP: read-your-writes with ?after=, filters, paging."""

from __future__ import annotations

from domain.actor import Role
from tests.api.builders import AGENCY, LEADER, proposal


def _position(response) -> int:
    return int(response.headers["Ducha-Position"])


async def test_after_returns_the_case_just_written(client, auth, propose):
    created = await propose()
    case_id = created.json()["id"]

    response = await client.get(f"/v1/cases/{case_id}", params={"after": _position(created)}, headers=auth(AGENCY))

    assert response.status_code == 200
    assert response.headers["Ducha-Consistency"] == "fresh"
    assert response.json()["id"] == case_id and response.json()["state"] == "proposed"
    assert response.headers["ETag"] == '"1"'


async def test_after_a_position_not_yet_applied_answers_stale(client, auth, propose):
    created = await propose()
    await client.get("/v1/cases", params={"after": _position(created)}, headers=auth(AGENCY))  # caught up

    response = await client.get(
        "/v1/cases", params={"after": _position(created) + 1000, "wait": 0.2}, headers=auth(AGENCY)
    )

    assert response.status_code == 200
    assert response.headers["Ducha-Consistency"] == f"stale; applied={_position(created)}"


async def test_list_filters_by_state(client, auth, propose):
    approved_id = (await propose()).json()["id"]
    await propose()
    approval = await client.post(f"/v1/cases/{approved_id}/approve", headers=auth(LEADER))

    response = await client.get(
        "/v1/cases", params={"state": "approved", "after": _position(approval)}, headers=auth(AGENCY)
    )

    page = response.json()
    assert [item["id"] for item in page["items"]] == [approved_id]
    assert page["total"] == 1


async def test_list_filters_by_unit(client, auth, propose):
    await propose(proposal(targets=["220100"]))
    jilin_city = await propose(proposal(targets=["220200"]))

    response = await client.get(
        "/v1/cases", params={"unit": "220200", "after": _position(jilin_city)}, headers=auth(AGENCY)
    )

    assert [item["id"] for item in response.json()["items"]] == [jilin_city.json()["id"]]


async def test_list_pages_with_limit_and_offset(client, auth, propose):
    for _ in range(3):
        last = await propose()

    response = await client.get(
        "/v1/cases", params={"limit": 2, "offset": 2, "after": _position(last)}, headers=auth(AGENCY)
    )

    page = response.json()
    assert (len(page["items"]), page["total"], page["limit"], page["offset"]) == (1, 3, 2, 2)


async def test_page_size_above_the_cap_is_an_invalid_request(client, auth):
    response = await client.get("/v1/cases", params={"limit": 201}, headers=auth(AGENCY))

    assert response.status_code == 422
    assert response.json()["type"] == "urn:ducha:problem:invalid-request"
    assert response.json()["errors"][0]["loc"] == ["query", "limit"]


async def test_unknown_case_is_not_found(client, auth):
    response = await client.get("/v1/cases/00000000-0000-4000-8000-000000000000", headers=auth(AGENCY))

    assert response.status_code == 404
    assert response.json()["type"] == "urn:ducha:problem:not-found"


async def test_a_target_does_not_see_a_covert_case_before_its_visit(client, auth, propose):
    created = await propose(proposal(methods=["covert-visit"]))

    response = await client.get(
        f"/v1/cases/{created.json()['id']}", params={"after": _position(created)}, headers=auth(("220100", Role.TARGET))
    )

    assert response.status_code == 404  # the same answer as for no case at all (tests/api/test_secrecy.py)
    assert "covert" not in response.text and created.json()["id"] not in response.json()["detail"]


async def test_an_auditor_reads_the_case_board(client, auth):
    response = await client.get("/v1/cases", headers=auth(("220000", Role.AUDITOR)))

    assert response.status_code == 200


async def test_an_offset_beyond_the_store_s_integers_is_an_invalid_request(client, auth):
    response = await client.get("/v1/cases", params={"offset": 2**63}, headers=auth(AGENCY))

    assert (response.status_code, response.headers["content-type"]) == (422, "application/problem+json")
