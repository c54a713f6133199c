"""The history, accountability and comparison routes over HTTP, as the office reads them."""

from __future__ import annotations

from domain.actor import Role
from tests.api.builders import AGENCY
from tests.projections.story import run_story_on

EVALUATOR = ("220000-CBS", Role.EVALUATOR)


async def test_history_answers_every_event_with_who_when_and_where(client, auth, node):
    case_id, position = await run_story_on(node, "delivered")

    body = (await client.get(f"/v1/cases/{case_id}/history", params={"after": position}, headers=auth(AGENCY))).json()
    approved = body["events"][1]

    assert len(body["events"]) == 11 and body["events"][-1]["position"] == position
    assert (approved["type"], approved["version"], approved["on"]) == ("CaseApproved", 2, "2026-11-03")
    assert approved["actor"] == {"unit": "220000", "role": "leader", "person": "省长"}
    assert approved["recorded_at"].startswith("2026-11-25T02:00:00") and approved["payload"] == {"remarks": "同意"}


async def test_unit_accountability_answers_each_record_with_its_case_and_state(client, auth, node):
    case_id, position = await run_story_on(node, "results")

    body = (await client.get("/v1/units/220100/accountability", params={"after": position}, headers=auth(AGENCY))).json()
    states = {r["kind"]: r["state"] for r in body["items"]}

    assert states == {"criticism": "excused", "accountability": "approved", "performance-deduction": "approved"}
    assert {r["case_id"] for r in body["items"]} == {str(case_id)}


async def test_accountability_of_an_unknown_unit_is_not_found(client, auth):
    response = await client.get("/v1/units/999999/accountability", headers=auth(AGENCY))

    assert (response.status_code, response.json()["type"]) == (404, "urn:ducha:problem:not-found")


async def test_comparison_answers_each_item_side_by_side(client, auth, node):
    case_id, position = await run_story_on(node, "worked")

    body = (await client.get(f"/v1/cases/{case_id}/comparison", params={"after": position}, headers=auth(AGENCY))).json()
    [target] = body["targets"]
    subsidy = next(i for i in target["items"] if i["item"] == "补贴")

    assert target["target"] == "220100" and target["self_report"]["text"] == "自查报告"
    assert (subsidy["self_inspection"]["text"], subsidy["findings"][0]["finding_id"]) == ("已发放", "f1")
    assert subsidy["evaluations"] == {"220000-CBS": {"text": "部分滞后", "on": "2026-11-12"}}


async def test_an_entrusted_evaluator_sees_the_case_and_its_own_evaluation(client, auth, node):
    case_id, position = await run_story_on(node, "worked", covert=True)
    await client.get(f"/v1/cases/{case_id}/history", params={"after": position}, headers=auth(AGENCY))

    events = (await client.get(f"/v1/cases/{case_id}/history", headers=auth(EVALUATOR))).json()["events"]

    assert "EvaluationSubmitted" in {e["type"] for e in events}
    assert "FindingRecorded" not in {e["type"] for e in events}
