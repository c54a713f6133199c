"""Secrecy, rule by rule: a covert case (暗访) does not exist for its target before the visit; a party sees only
its part; who gave a lead reaches the supervision office alone (Art. 26); a body naming a covert case, the past
board and the ledgers that name cases keep it too. That no answer of any operation carries a secret to anyone
outside its audience is swept, generated from the OpenAPI document, in tests/api/test_secrecy_of_every_operation.py."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import uuid4

import pytest

from domain.actor import Actor, Role
from domain.case import CaseType
from domain.lead import Lead
from tests.api.builders import AGENCY, GOVERNMENT, LEADER
from tests.projections.story import OFFICE, PROPOSED_ON, proposal, run_story_on

TARGET = ("220100", Role.TARGET)
OTHER_TARGET = ("220200", Role.TARGET)
INFORMANT = {"name": "张三", "phone": "13800000000"}


async def _caught_up(client, auth, position):
    """Waits until every projection read here has applied `position` (the routes' own ?after=)."""
    for path in ("/v1/cases", "/v1/units/220100/accountability"):
        response = await client.get(path, params={"after": position}, headers=auth(AGENCY))
        assert response.headers["Ducha-Consistency"] == "fresh"


def _without_instance(response):
    return response.status_code, {k: v for k, v in response.json().items() if k != "instance"}


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


async def test_a_target_cannot_read_a_lead_about_it(client, auth, node):
    lead_id, position = await _lead(node)

    response = await client.get(f"/v1/leads/{lead_id}/history", params={"after": position}, headers=auth(TARGET))

    assert response.status_code == 404 and "张三" not in response.text


# ---- a body naming a covert case, the past board, the ledgers that name cases ---------------------------------

CITY_OFFICE = ("220100-DCS", Role.AGENCY)
CITY_LEADER = Actor("220100", Role.LEADER, "市长")


async def _covert_on_nanguan(node) -> tuple[str, int]:
    """The province's covert case on 南关区, approved: Changchun (its superior) may not learn of it."""
    fields = proposal(covert=True) | {"targets": ["220102"], "title": "南关区暗访"}
    created = await node.cases.propose(OFFICE, on=PROPOSED_ON, **fields)
    approved = await node.cases.run("approve", Actor("220000", Role.LEADER, "省长"), created.aggregate.id,
                                    on=date(2026, 11, 3))
    return str(created.aggregate.id), approved.position


async def _city_case(node) -> str:
    fields = proposal() | {"targets": ["220102"], "title": "南关区供暖督查"}
    created = await node.cases.propose(Actor("220100-DCS", Role.AGENCY, "督查员陈"), on=PROPOSED_ON, **fields)
    await node.cases.run("approve", CITY_LEADER, created.aggregate.id, on=date(2026, 11, 3))
    return str(created.aggregate.id)


async def test_a_merger_naming_a_covert_case_answers_as_one_naming_no_case(client, auth, node):
    covert, _ = await _covert_on_nanguan(node)
    city = await _city_case(node)

    hidden = await client.post(f"/v1/cases/{city}/merge", json={"absorbed_id": covert, "grounds": "能合尽合"},
                               headers=auth(CITY_OFFICE))
    missing = await client.post(f"/v1/cases/{city}/merge", json={"absorbed_id": str(uuid4()), "grounds": "能合尽合"},
                                headers=auth(CITY_OFFICE))

    assert _without_instance(hidden) == _without_instance(missing) == (404, {
        "type": "urn:ducha:problem:not-found", "title": "Not found", "status": 404, "detail": "no such case"})


async def test_an_approval_outside_the_plan_naming_a_covert_case_answers_as_one_naming_no_case(client, auth, node):
    covert, _ = await _covert_on_nanguan(node)

    hidden = await client.post("/v1/plans/out-of-plan", json={"case_id": covert, "grounds": "一事一报"},
                               headers=auth(("220100", Role.LEADER)))
    missing = await client.post("/v1/plans/out-of-plan", json={"case_id": str(uuid4()), "grounds": "一事一报"},
                                headers=auth(("220100", Role.LEADER)))

    assert _without_instance(hidden) == _without_instance(missing)
    assert hidden.status_code == 404


async def test_another_level_s_office_travelling_in_time_finds_no_covert_case_in_the_past_board(client, auth, node):
    covert, position = await _covert_on_nanguan(node)

    city = await client.get("/v1/audit/as-of", params={"position": position}, headers=auth(CITY_OFFICE))
    province = await client.get("/v1/audit/as-of", params={"position": position}, headers=auth(AGENCY))

    assert (city.status_code, covert in city.text, "南关区暗访" in city.text) == (200, False, False)
    assert [c["id"] for c in province.json()["cases"]] == [covert]


async def _covert_on_the_department_visited_at_changchun(node) -> tuple[str, int]:
    """A covert case on the commission (220000-FGW) and Changchun, visited and deducted at Changchun only."""
    fields = proposal(covert=True) | {"targets": ["220000-FGW", "220100"], "title": "发改委暗访"}
    created = await node.cases.propose(OFFICE, on=PROPOSED_ON, **fields)
    case_id = created.aggregate.id
    for command, actor, fields in (
        ("approve", Actor("220000", Role.LEADER, "省长"), {}),
        ("adopt-plan", OFFICE, {"content": "暗访", "team": [OFFICE.person]}),
        ("conduct-site-visit", OFFICE, {"target": "220100"}),
        ("submit-report", OFFICE, {"summary": "长春段已暗访"}),
        ("deduct-performance", Actor("220000", Role.GOVERNMENT, "办公厅王"),
         {"unit": "220100", "points": 1, "period": "2026", "notice": "扣分通报"}),
    ):
        outcome = await node.cases.run(command, actor, case_id, on=date(2026, 11, 10), **fields)
    return str(case_id), outcome.position


@pytest.mark.parametrize("path", ["/v1/units/220100/burden?year=2026", "/v1/units/220100/scores?period=2026"])
async def test_a_ledger_counts_a_covert_visit_elsewhere_but_names_no_case_to_its_unvisited_target(
    client, auth, node, path
):
    case_id, position = await _covert_on_the_department_visited_at_changchun(node)
    for projector in node.projectors.values():  # the ledgers' routes take no ?after= yet
        assert await projector.wait_for(position, 10)

    department = await client.get(path, headers=auth(("220000-FGW", Role.DEPARTMENT)))
    office = await client.get(path, headers=auth(AGENCY))

    assert (department.status_code, case_id in department.text, case_id in office.text) == (200, False, True)
    assert "null" in department.text  # the item (or the points) is still counted, with no case named


async def test_the_province_wide_board_hides_a_covert_case_on_the_reading_office_itself(client, auth, node):
    fields = proposal(covert=True) | {"targets": ["220000-DCS"], "title": "督查室作风暗访", "case_type": CaseType.SPECIAL}
    created = await node.cases.propose(Actor("220000-FGW", Role.DEPARTMENT, "发改委李"), on=PROPOSED_ON, **fields)
    approved = await node.cases.run("approve", Actor("220000", Role.GOVERNMENT, "办公厅王"), created.aggregate.id,
                                    on=date(2026, 11, 3))
    await _caught_up(client, auth, approved.position)

    office = await client.get("/v1/province/cases", headers=auth(AGENCY))
    government = await client.get("/v1/province/cases", headers=auth(GOVERNMENT))

    assert (office.json()["total"], str(created.aggregate.id) in office.text) == (0, False)
    assert [c["case_id"] for c in government.json()["cases"]] == [str(created.aggregate.id)]
