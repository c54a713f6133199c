"""Secrecy on every read path: a covert case (暗访) does not exist for its target before the visit;
a party sees only its part; who gave a lead reaches the supervision office alone (Art. 26)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import uuid4

import pytest

from domain.actor import Actor, Role
from domain.lead import Lead
from tests.api.builders import AGENCY, GOVERNMENT, LEADER
from tests.projections.story import OFFICE, PROPOSED_ON, proposal, run_story_on

TARGET = ("220100", Role.TARGET)
OTHER_TARGET = ("220200", Role.TARGET)
CASE_PATHS = ("/v1/cases/{}", "/v1/cases/{}/history", "/v1/cases/{}/comparison")
INFORMANT = {"name": "张三", "phone": "13800000000"}


async def _caught_up(client, auth, position):
    """Waits until every projection read here has applied `position` (the routes' own ?after=)."""
    for path in ("/v1/cases", "/v1/units/220100/accountability"):
        response = await client.get(path, params={"after": position}, headers=auth(AGENCY))
        assert response.headers["Ducha-Consistency"] == "fresh"


def _without_instance(response):
    return response.status_code, {k: v for k, v in response.json().items() if k != "instance"}


@pytest.mark.parametrize("path", CASE_PATHS)
async def test_a_covert_case_before_its_visit_answers_as_no_case_at_all(client, auth, node, path):
    case_id, position = await run_story_on(node, "planned", covert=True)
    await _caught_up(client, auth, position)

    hidden = await client.get(path.format(case_id), headers=auth(TARGET))
    missing = await client.get(path.format(uuid4()), headers=auth(TARGET))

    assert hidden.status_code == 404
    assert _without_instance(hidden) == _without_instance(missing)


async def test_a_covert_case_as_of_a_moment_answers_as_no_case_at_all(client, auth, node):
    case_id, position = await run_story_on(node, "planned", covert=True)
    await _caught_up(client, auth, position)

    hidden = await client.get(f"/v1/cases/{case_id}", params={"as_of": "2026-11-25"}, headers=auth(TARGET))
    missing = await client.get(f"/v1/cases/{uuid4()}", params={"as_of": "2026-11-25"}, headers=auth(TARGET))

    assert _without_instance(hidden) == _without_instance(missing)


async def test_a_covert_case_before_its_visit_is_not_listed_nor_counted(client, auth, node):
    _, position = await run_story_on(node, "planned", covert=True)
    await _caught_up(client, auth, position)

    listed = (await client.get("/v1/cases", headers=auth(TARGET))).json()
    counted = (await client.get("/v1/cases/counts", headers=auth(TARGET))).json()

    assert (listed["items"], listed["total"]) == ([], 0)
    assert counted == {"by_state": {}, "total": 0}


async def test_after_the_visit_the_target_sees_the_covert_case(client, auth, node):
    case_id, position = await run_story_on(node, "visited", covert=True)
    await _caught_up(client, auth, position)

    listed = (await client.get("/v1/cases", headers=auth(TARGET))).json()
    one = await client.get(f"/v1/cases/{case_id}", headers=auth(TARGET))

    assert [i["id"] for i in listed["items"]] == [str(case_id)]
    assert one.status_code == 200 and one.json()["targets"] == ["220100"]  # not the target still to be visited


async def test_a_target_not_yet_visited_still_does_not_see_the_covert_case(client, auth, node):
    case_id, position = await run_story_on(node, "visited", covert=True)
    await _caught_up(client, auth, position)

    response = await client.get(f"/v1/cases/{case_id}/history", headers=auth(OTHER_TARGET))

    assert response.status_code == 404


async def test_an_open_case_is_seen_by_its_target_only_after_the_notice(client, auth, node):
    planned, _ = await run_story_on(node, "planned")
    notified, position = await run_story_on(node, "notified")
    await _caught_up(client, auth, position)

    listed = (await client.get("/v1/cases", headers=auth(TARGET))).json()

    assert [i["id"] for i in listed["items"]] == [str(notified)]


async def test_a_government_below_sees_a_case_on_its_unit_only_once_notified(client, auth, node):
    await run_story_on(node, "planned")
    notified, position = await run_story_on(node, "notified")
    await _caught_up(client, auth, position)

    changchun = (await client.get("/v1/cases", headers=auth(("220100", Role.GOVERNMENT)))).json()
    jilin_city = (await client.get("/v1/cases", headers=auth(("220200", Role.GOVERNMENT)))).json()

    assert [i["id"] for i in changchun["items"]] == [str(notified)]
    assert jilin_city["total"] == 0


async def test_a_target_sees_only_the_history_addressed_to_it(client, auth, node):
    case_id, position = await run_story_on(node, "results")
    await _caught_up(client, auth, position)

    events = (await client.get(f"/v1/cases/{case_id}/history", headers=auth(TARGET))).json()["events"]
    types = {e["type"] for e in events}

    assert {"TargetsNotified", "ConclusionIssued", "Criticized", "SelfInspectionSubmitted"} <= types
    assert not types & {"ReportSubmitted", "CriticismProposed", "CommendationProposed", "PlanAdopted"}
    assert "220200" not in str(events)


async def test_a_target_reads_the_findings_its_delivered_conclusion_cites(client, auth, node):
    case_id, position = await run_story_on(node, "delivered")
    await _caught_up(client, auth, position)

    events = (await client.get(f"/v1/cases/{case_id}/history", headers=auth(TARGET))).json()["events"]

    assert [e["payload"] for e in events if e["type"] == "FindingRecorded"] == [
        {"finding_id": "f1", "target": "220100", "item": "补贴", "text": "发放滞后"}
    ]


async def test_a_target_reads_no_finding_before_its_conclusion_is_delivered(client, auth, node):
    case_id, position = await run_story_on(node, "concluded")
    await _caught_up(client, auth, position)

    events = (await client.get(f"/v1/cases/{case_id}/history", headers=auth(TARGET))).json()["events"]

    assert "FindingRecorded" not in {e["type"] for e in events}


async def test_a_party_may_not_read_the_comparison(client, auth, node):
    case_id, position = await run_story_on(node, "worked")
    await _caught_up(client, auth, position)

    response = await client.get(f"/v1/cases/{case_id}/comparison", headers=auth(TARGET))

    assert (response.status_code, response.json()["type"]) == (403, "urn:ducha:problem:act-not-allowed")


async def test_a_target_sees_its_approved_records_but_not_proposals(client, auth, node):
    case_id, _ = await run_story_on(node, "results")
    position = (await node.cases.run(
        "propose-criticism", OFFICE, case_id, on=date(2026, 11, 24), proposal_id="p4", unit="220100", grounds="再次滞后",
    )).position
    await _caught_up(client, auth, position)

    own = (await client.get("/v1/units/220100/accountability", headers=auth(TARGET))).json()
    office = (await client.get("/v1/units/220100/accountability", headers=auth(AGENCY))).json()

    assert sorted(r["record_id"][:9] for r in own["items"]) == ["deduction", "p1", "p3"]
    assert sorted(r["record_id"][:9] for r in office["items"]) == ["deduction", "p1", "p3", "p4"]


async def test_a_person_s_records_answer_with_their_case(client, auth, node):
    case_id, position = await run_story_on(node, "results")
    await _caught_up(client, auth, position)

    body = (await client.get("/v1/people/长春市刘/accountability", headers=auth(AGENCY))).json()

    assert [(r["record_id"], r["state"], r["case_id"]) for r in body["items"]] == [("p1", "excused", str(case_id))]


async def _lead(node) -> str:
    lead_id = uuid4()
    outcome = await node.writer.execute(None, lambda _: Lead.submit(
        lead_id=lead_id, actor=Actor("220000", Role.PUBLIC, "匿名"), on=date(2026, 11, 20),
        now=datetime(2026, 11, 25, 2, tzinfo=UTC), level="220000", receipt_code="R7X2K9QW", channel="platform",
        content="补贴未发放", about_unit="220100", informant=INFORMANT,
    ))
    return lead_id, outcome.position


async def test_the_office_reads_who_gave_a_lead(client, auth, node):
    lead_id, position = await _lead(node)

    body = (await client.get(f"/v1/leads/{lead_id}/history", params={"after": position}, headers=auth(AGENCY))).json()

    assert body["informant"] == INFORMANT


@pytest.mark.parametrize("who", [LEADER, GOVERNMENT, ("220000", Role.AUDITOR), ("220000-FGW", Role.DEPARTMENT)])
async def test_no_one_but_the_office_reads_who_gave_a_lead(client, auth, node, who):
    lead_id, position = await _lead(node)

    response = await client.get(f"/v1/leads/{lead_id}/history", params={"after": position}, headers=auth(who))

    assert response.status_code == 200 and response.json()["informant"] is None
    assert "张三" not in response.text and "13800000000" not in response.text and "R7X2K9QW" not in response.text


async def test_a_target_cannot_read_a_lead_about_it(client, auth, node):
    lead_id, position = await _lead(node)

    response = await client.get(f"/v1/leads/{lead_id}/history", params={"after": position}, headers=auth(TARGET))

    assert response.status_code == 404 and "张三" not in response.text


async def test_a_department_does_not_see_a_covert_case_on_itself_before_the_visit(client, auth, node):
    fields = proposal(covert=True) | {"targets": ["220000-FGW"]}
    created = await node.cases.propose(OFFICE, on=PROPOSED_ON, **fields)
    await _caught_up(client, auth, created.position)

    department = await client.get(f"/v1/cases/{created.aggregate.id}", headers=auth(("220000-FGW", Role.DEPARTMENT)))
    office = await client.get(f"/v1/cases/{created.aggregate.id}", headers=auth(AGENCY))

    assert (department.status_code, office.status_code) == (404, 200)
