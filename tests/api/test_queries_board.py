"""The case board over HTTP: state, due date and light, filters, counts, as_of, read-your-writes."""

from __future__ import annotations

from datetime import UTC, datetime

from domain.actor import Role
from tests.api.builders import AGENCY
from tests.projections.story import run_story_on, steps


async def _get(client, auth, path, position, **params):
    response = await client.get(path, params={"after": position, **params}, headers=auth(AGENCY))
    assert response.status_code == 200, response.text
    return response


async def test_a_case_answers_its_state_due_date_and_light(client, auth, node):
    case_id, position = await run_story_on(node, "delivered")

    body = (await _get(client, auth, f"/v1/cases/{case_id}", position)).json()

    assert (body["state"], body["next_due_kind"], body["next_due_on"]) == ("reported", "rectification", "2026-12-31")
    assert body["light"] == "green"


async def test_the_light_follows_the_node_clock(client, auth, node, clock):
    case_id, position = await run_story_on(node, "delivered")
    clock.set(datetime(2027, 1, 4, 2, tzinfo=UTC))

    body = (await _get(client, auth, f"/v1/cases/{case_id}", position)).json()

    assert body["light"] == "red"


async def test_the_list_filters_by_method(client, auth, node):
    covert, _ = await run_story_on(node, "approved", covert=True)
    _, position = await run_story_on(node, "approved")

    page = (await _get(client, auth, "/v1/cases", position, method="covert-visit")).json()

    assert ([i["id"] for i in page["items"]], page["total"]) == ([str(covert)], 1)


async def test_the_list_filters_by_type_topic_and_year(client, auth, node):
    _, position = await run_story_on(node, "approved")

    matching = (await _get(client, auth, "/v1/cases", position, type="comprehensive", topic="work-report", year=2026)).json()
    other_year = (await _get(client, auth, "/v1/cases", position, year=2025)).json()

    assert (matching["total"], other_year["total"]) == (1, 0)


async def test_counts_answer_per_state_with_the_filters(client, auth, node):
    await run_story_on(node, "approved")
    _, position = await run_story_on(node, "reported")

    body = (await _get(client, auth, "/v1/cases/counts", position)).json()

    assert body == {"by_state": {"approved": 1, "reported": 1}, "total": 2}


async def test_as_of_a_moment_answers_the_case_as_it_stood(client, auth, node, clock):
    case_id, _ = await run_story_on(node, "approved")
    clock.set(datetime(2026, 11, 25, 3, tzinfo=UTC))
    plan = next(step for step in steps() if step[0] == "planned")
    position = (await node.cases.run(plan[1], plan[2], case_id, on=plan[3], **plan[4])).position

    before = (await _get(client, auth, f"/v1/cases/{case_id}", position, as_of="2026-11-25T02:30:00Z")).json()
    now = (await _get(client, auth, f"/v1/cases/{case_id}", position, as_of="2026-11-25")).json()

    assert (before["state"], before["version"]) == ("approved", 2)
    assert (now["state"], now["version"]) == ("planned", 3)


async def test_as_of_before_the_case_existed_is_not_found(client, auth, node):
    case_id, position = await run_story_on(node, "approved")

    response = await client.get(
        f"/v1/cases/{case_id}", params={"as_of": "2026-11-01", "after": position}, headers=auth(AGENCY)
    )

    assert response.status_code == 404


async def test_an_invalid_as_of_is_an_invalid_request(client, auth, node):
    case_id, position = await run_story_on(node, "approved")

    response = await client.get(f"/v1/cases/{case_id}", params={"as_of": "yesterday"}, headers=auth(AGENCY))

    assert (response.status_code, response.json()["type"]) == (422, "urn:ducha:problem:invalid-request")


async def test_a_new_route_waits_for_the_position_asked(client, auth, node):
    case_id, position = await run_story_on(node, "approved")

    response = await client.get(f"/v1/cases/{case_id}/history", params={"after": position}, headers=auth(AGENCY))

    assert response.headers["Ducha-Consistency"] == "fresh"
    assert [e["type"] for e in response.json()["events"]] == ["CaseProposed", "CaseApproved"]


async def test_the_public_reads_no_case(client, auth):
    response = await client.get("/v1/cases/counts", headers=auth(("220000", Role.PUBLIC)))

    assert response.status_code == 403

