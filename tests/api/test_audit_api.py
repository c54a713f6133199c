"""Time travel over HTTP: GET /v1/audit/as-of and /v1/audit/as-of/cases/{id}, auditors and the office only."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.actor import Role
from projections.base import digest
from tests.api.builders import AGENCY, DEPARTMENT, LEADER, proposal

WAIT_SECONDS = 10.0


def _position(response) -> int:
    return int(response.headers["Ducha-Position"])


@pytest.fixture
def auditor():
    """An auditor (unit, role); the role, not the unit, is what lets it travel in time."""
    return ("220000", Role.AUDITOR)


async def test_board_as_of_a_position_shows_the_cases_proposed_by_then(client, auth, propose, auditor):
    first = await propose(proposal(title="事项 甲"))
    await propose(proposal(title="事项 乙"))

    response = await client.get("/v1/audit/as-of", params={"position": _position(first)}, headers=auth(auditor))

    assert response.status_code == 200, response.text
    body = response.json()
    assert [case["title"] for case in body["cases"]] == ["事项 甲"]
    assert body["position"] == _position(first)


async def test_digests_at_the_head_equal_the_live_views(client, auth, propose, node):
    last = await propose()
    assert await node.projectors["case_board"].wait_for(_position(last), WAIT_SECONDS)

    response = await client.get("/v1/audit/as-of", params={"position": _position(last)}, headers=auth(AGENCY))

    assert response.json()["digests"]["case_board"] == digest(node.views, node.case_board)


async def test_board_as_of_a_moment_leaves_out_what_was_recorded_later(client, auth, propose, clock):
    first = await propose(proposal(title="事项 甲"))
    moment = clock.now()
    clock.set(moment + timedelta(hours=1))
    await propose(proposal(title="事项 乙"))

    response = await client.get(
        "/v1/audit/as-of", params={"at": (moment + timedelta(minutes=30)).isoformat()}, headers=auth(AGENCY)
    )

    assert [case["title"] for case in response.json()["cases"]] == ["事项 甲"]
    assert response.json()["position"] == _position(first)


async def test_unit_filter_answers_only_that_units_cases(client, auth, propose):
    await propose(proposal(targets=["220100"]))
    jilin_city = await propose(proposal(targets=["220200"]))

    response = await client.get(
        "/v1/audit/as-of", params={"position": _position(jilin_city), "unit": "220200"}, headers=auth(AGENCY)
    )

    assert [case["id"] for case in response.json()["cases"]] == [jilin_city.json()["id"]]


async def test_one_case_as_of_before_its_approval_is_proposed(client, auth, propose, auditor):
    created = await propose()
    case_id = created.json()["id"]
    await client.post(f"/v1/cases/{case_id}/approve", headers=auth(LEADER))

    response = await client.get(
        f"/v1/audit/as-of/cases/{case_id}", params={"position": _position(created)}, headers=auth(auditor)
    )

    assert response.status_code == 200
    assert response.json()["case"]["state"] == "proposed"


async def test_one_case_before_it_existed_is_not_found(client, auth, propose):
    earlier = await propose()
    later = await propose()

    response = await client.get(
        f"/v1/audit/as-of/cases/{later.json()['id']}", params={"position": _position(earlier)}, headers=auth(AGENCY)
    )

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize("who", [LEADER, DEPARTMENT, ("220100", Role.TARGET)])
async def test_other_roles_are_refused(client, auth, propose, who):
    created = await propose()

    response = await client.get("/v1/audit/as-of", params={"position": _position(created)}, headers=auth(who))

    assert response.status_code == 403
    assert response.json()["type"] == "urn:ducha:problem:act-not-allowed"


async def test_without_a_token_it_is_unauthenticated(client):
    response = await client.get("/v1/audit/as-of", params={"position": 1})

    assert response.status_code == 401


@pytest.mark.parametrize("params", [{}, {"position": 1, "at": "2026-11-25T10:00:00+08:00"}])
async def test_exactly_one_of_position_or_moment_is_required(client, auth, params):
    response = await client.get("/v1/audit/as-of", params=params, headers=auth(AGENCY))

    assert response.status_code == 422
    assert response.json()["type"] == "urn:ducha:problem:invalid-request"


@pytest.mark.parametrize("name", ["position", "offset"])
async def test_a_position_or_offset_beyond_the_store_s_integers_is_an_invalid_request(client, auth, auditor, name):
    response = await client.get("/v1/audit/as-of", params={name: 2**63}, headers=auth(auditor))

    assert (response.status_code, response.headers["content-type"]) == (422, "application/problem+json")
