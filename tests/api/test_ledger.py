"""The task ledger, instructions, annual plan, burden and scores over HTTP on a real node (real NATS, real store)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.actor import Role
from projections.base import digest, rebuild
from tests.api.builders import AGENCY, LEADER, proposal

CITY = ("220100", Role.TARGET)
CITY_OFFICE = ("220100-DCS", Role.AGENCY)
DISTRICT = ("220102", Role.TARGET)


def task_body(**changes):
    body = {
        "title": "新增城镇就业", "source": "work-report", "responsible_unit": "220100", "responsible_person": "长春市刘",
        "responsible_leader": "副市长马", "supporting_units": ["220000-FGW"], "standard": "新增就业2万人",
        "milestones": [{"id": "m1", "title": "完成一半", "due": "2026-12-15", "percent": 50}], "deadline": "2026-12-31",
    }
    return body | changes


async def settled(node, position: int) -> None:
    """Waits until every projection has applied `position` (read-your-writes for the checks below)."""
    import asyncio

    for _ in range(500):
        if all(node.views.tracked_position(name, node.settings.node) >= position for name in node.projections):
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"projections did not reach {position}")


async def post(client, auth, path, body, who, status=200):
    response = await client.post(path, json=body, headers=auth(who))
    assert response.status_code == status, response.text
    return response.json()


async def decomposed(client, auth, weights=(None, None)):
    task = await post(client, auth, "/v1/tasks", task_body(milestones=[]), AGENCY, 201)
    await post(client, auth, f"/v1/tasks/{task['id']}/accept", {}, CITY)
    children = [
        {"unit": unit, "person": f"{unit}经办", "leader": f"{unit}领导", "title": "分解任务", "standard": "新增就业5千人",
         "deadline": "2026-12-20", "weight": weight}
        for unit, weight in zip(("220102", "220103"), weights)
    ]
    answer = await post(client, auth, f"/v1/tasks/{task['id']}/decompose", {"children": children}, CITY)
    return task["id"], answer["children"]


async def test_child_progress_rolls_up_into_the_parent_tree(client, auth, node):
    parent, (south, _) = await decomposed(client, auth)
    await post(client, auth, f"/v1/tasks/{south}/accept", {}, DISTRICT)
    done = await post(client, auth, f"/v1/tasks/{south}/report-progress",
                      {"percent": 60, "narrative": "新增3千人", "evidence": [{"digest": "sha256:ab", "title": "台账"}]}, DISTRICT)
    await settled(node, done["position"])
    tree = (await client.get(f"/v1/tasks/{parent}/tree", headers=auth(AGENCY))).json()
    assert tree["percent"] == 30.0
    assert [c["percent"] for c in tree["children"]] == [60.0, 0.0]


async def test_grandchild_progress_rolls_up_through_every_level_to_the_root(client, auth, node):
    root = await post(client, auth, "/v1/tasks", task_body(responsible_unit="220000-FGW", supporting_units=[], milestones=[]), AGENCY, 201)
    child = {"unit": "220100", "person": "长春市刘", "leader": "副市长马", "title": "长春分解", "standard": "新增就业1万人",
             "deadline": "2026-12-20"}
    (city_task,) = (await post(client, auth, f"/v1/tasks/{root['id']}/decompose", {"children": [child]}, AGENCY))["children"]
    await post(client, auth, f"/v1/tasks/{city_task}/accept", {}, CITY)
    grandchild = child | {"unit": "220102", "person": "南关区王", "leader": "区长赵", "title": "南关分解"}
    (district_task,) = (await post(client, auth, f"/v1/tasks/{city_task}/decompose", {"children": [grandchild]}, CITY))["children"]
    await post(client, auth, f"/v1/tasks/{district_task}/accept", {}, DISTRICT)
    done = await post(client, auth, f"/v1/tasks/{district_task}/report-progress",
                      {"percent": 60, "narrative": "新增6千人", "evidence": []}, DISTRICT)
    await settled(node, done["position"])
    tree = (await client.get(f"/v1/tasks/{root['id']}/tree", headers=auth(AGENCY))).json()
    assert (tree["percent"], tree["children"][0]["percent"]) == (60.0, 60.0)


async def test_a_parent_claims_completion_only_after_every_child_is_verified(client, auth, node):
    parent, (south, north) = await decomposed(client, auth)
    refused = await client.post(f"/v1/tasks/{parent}/claim-completion", json={"summary": "完成"}, headers=auth(CITY))
    assert refused.status_code == 409
    for child, unit in ((south, "220102"), (north, "220103")):
        await post(client, auth, f"/v1/tasks/{child}/accept", {}, (unit, Role.TARGET))
        await post(client, auth, f"/v1/tasks/{child}/claim-completion", {"summary": "完成"}, (unit, Role.TARGET))
        await post(client, auth, f"/v1/tasks/{child}/verify", {}, CITY_OFFICE)
    await post(client, auth, f"/v1/tasks/{parent}/claim-completion", {"summary": "完成"}, CITY)
    verified = await post(client, auth, f"/v1/tasks/{parent}/verify", {"remarks": "照单验收"}, AGENCY)
    closed = await post(client, auth, f"/v1/tasks/{parent}/close", {}, AGENCY)
    assert (verified["state"], closed["state"]) == ("verified", "closed")


async def test_tree_is_not_shown_outside_the_callers_jurisdiction(client, auth):
    task = await post(client, auth, "/v1/tasks", task_body(), AGENCY, 201)
    response = await client.get(f"/v1/tasks/{task['id']}/tree", headers=auth(("220200", Role.TARGET)))
    assert response.status_code == 404


async def test_clock_turns_a_task_red_past_its_deadline_marks_it_overdue_and_warns(client, auth, node, clock):
    task = await post(client, auth, "/v1/tasks", task_body(milestones=[], deadline="2026-11-30"), AGENCY, 201)
    clock.set(datetime(2026, 12, 2, 2, 0, tzinfo=UTC))
    await settled(node, task["position"])
    tick = await node.ledger_clock.tick()
    await settled(node, max(tick.recorded.values()))
    again = await node.ledger_clock.tick()
    overdue = (await client.get("/v1/tasks/overdue", headers=auth(AGENCY))).json()
    events = [e.type for e in node.reader.iter_envelopes() if str(e.aggregate_id) == task["id"]]
    assert ("TaskOverdue", "TargetUrged", "LightChanged", "TaskWarningRaised") == tuple(events[1:])
    assert again.recorded == {}
    assert [i["task_id"] for i in overdue["items"]] == [task["id"]]


async def test_overdue_list_is_paged_with_the_total_of_every_overdue_task(client, auth, node, clock):
    tasks = [await post(client, auth, "/v1/tasks", task_body(milestones=[], deadline="2026-11-30"), AGENCY, 201) for _ in range(2)]
    clock.set(datetime(2026, 12, 2, 2, 0, tzinfo=UTC))
    await settled(node, tasks[-1]["position"])
    tick = await node.ledger_clock.tick()
    await settled(node, max(tick.recorded.values()))
    first = (await client.get("/v1/tasks/overdue?limit=1", headers=auth(AGENCY))).json()
    second = (await client.get("/v1/tasks/overdue?limit=1&offset=1", headers=auth(AGENCY))).json()
    assert (first["total"], len(first["items"]), len(second["items"])) == (2, 1, 1)
    assert {first["items"][0]["task_id"], second["items"][0]["task_id"]} == {t["id"] for t in tasks}


async def test_instruction_board_is_paged_with_the_total_of_every_instruction_seen(client, auth, node):
    issued = [await post(client, auth, "/v1/instructions", {"text": text, "lead_unit": "220100", "urgency": "urgent"},
                         LEADER, 201) for text in ("一", "二")]
    await settled(node, issued[-1]["position"])
    first = (await client.get("/v1/instructions?limit=1", headers=auth(AGENCY))).json()
    second = (await client.get("/v1/instructions?limit=1&offset=1", headers=auth(AGENCY))).json()
    assert (first["total"], len(first["items"]), len(second["items"])) == (2, 1, 1)
    assert {first["items"][0]["instruction_id"], second["items"][0]["instruction_id"]} == {i["id"] for i in issued}


@pytest.mark.parametrize("path", ["/v1/tasks/overdue", "/v1/instructions"])
async def test_a_ledger_list_page_over_the_cap_is_refused(client, auth, path):
    response = await client.get(f"{path}?limit=201", headers=auth(AGENCY))
    assert (response.status_code, response.headers["content-type"]) == (422, "application/problem+json")


async def test_instruction_is_answered_once_by_the_lead_unit_and_checked_covertly(client, auth, node):
    issued = await post(client, auth, "/v1/instructions",
                        {"text": "抓紧解决供暖问题", "lead_unit": "220100", "urgency": "urgent"}, LEADER, 201)
    path = f"/v1/instructions/{issued['id']}"
    await post(client, auth, f"{path}/assign", {}, AGENCY)
    await post(client, auth, f"{path}/answer", {"text": "已解决"}, CITY)
    second = await client.post(f"{path}/answer", json={"text": "再报"}, headers=auth(CITY))
    check = await post(client, auth, f"{path}/covert-check", {
        "grounds": "核实反馈", "title": "供暖暗访", "targets": ["220100"], "window_start": "2026-12-01",
        "window_end": "2026-12-05"}, AGENCY)
    await settled(node, check["position"])
    proposed = [e.payload for e in node.reader.iter_envelopes() if str(e.aggregate_id) == check["case_id"]]
    board = (await client.get("/v1/instructions", headers=auth(AGENCY))).json()
    assert second.status_code == 409
    assert board["items"][0]["covert_checks"] == [check["case_id"]]
    assert (proposed[0]["topic"], proposed[0]["methods"]) == ("instruction", ["covert-visit"])


async def _filed_plan(client, auth):
    await post(client, auth, "/v1/plans", {"year": 2026}, AGENCY, 201)
    await post(client, auth, "/v1/plans/220000/2026/plan-activity", {
        "activity_id": "a1", "kind": "supervision", "title": "重点任务督查", "units": ["220100"],
        "window_start": "2026-12-01", "window_end": "2026-12-20"}, AGENCY)
    await post(client, auth, "/v1/plans/220000/2026/set-cap",
               {"unit": "220200", "on_site_visits": 0, "material_requests": 1, "reports": 5}, AGENCY)
    return await post(client, auth, "/v1/plans/220000/2026/file", {}, AGENCY)


async def test_case_outside_the_filed_plan_is_not_approved_without_its_own_approval(client, auth, propose):
    await _filed_plan(client, auth)
    case = (await propose(proposal(targets=["220200"]))).json()
    refused = await client.post(f"/v1/cases/{case['id']}/approve", json={}, headers=auth(LEADER))
    await post(client, auth, "/v1/plans/out-of-plan", {"case_id": case["id"], "grounds": "突发情况"}, LEADER)
    approved = await client.post(f"/v1/cases/{case['id']}/approve", json={}, headers=auth(LEADER))
    assert (refused.status_code, refused.json()["type"]) == (403, "urn:ducha:problem:out-of-plan")
    assert approved.status_code == 200


async def test_a_plan_filed_after_an_approval_without_one_is_checked_by_the_next_approval(client, auth, propose):
    earlier = (await propose(proposal(targets=["220200"]))).json()
    await post(client, auth, f"/v1/cases/{earlier['id']}/approve", {}, LEADER)  # no plan yet: nothing to check
    await _filed_plan(client, auth)
    case = (await propose(proposal(targets=["220200"]))).json()
    refused = await client.post(f"/v1/cases/{case['id']}/approve", json={}, headers=auth(LEADER))
    assert (refused.status_code, refused.json()["type"]) == (403, "urn:ducha:problem:out-of-plan")


async def test_case_in_the_filed_plan_is_approved_and_counted_in_plan(client, auth, propose, node):
    await _filed_plan(client, auth)
    case = (await propose(proposal(targets=["220100"]))).json()
    approved = await post(client, auth, f"/v1/cases/{case['id']}/approve", {}, LEADER)
    await settled(node, approved["position"])
    plan = (await client.get("/v1/plans/220000/2026", headers=auth(AGENCY))).json()
    assert [(c["case_id"], c["standing"]) for c in plan["actual"]] == [(case["id"], "in-plan")]


async def test_a_form_reported_this_year_is_answered_with_the_earlier_report(client, auth, node):
    first = await post(client, auth, "/v1/units/220200/material-demands", {"form": "就业统计表"}, AGENCY, 201)
    await post(client, auth, "/v1/units/220200/material-reports", {
        "year": 2026, "request_id": first["request"]["request_id"], "digest": "sha256:cd", "title": "就业统计表"},
        ("220200", Role.TARGET), 201)
    again = await post(client, auth, "/v1/units/220200/material-demands", {"form": "就业统计表"}, ("220000-FGW", Role.DEPARTMENT))
    assert again["outcome"] == "already-reported"
    assert again["earlier_report"]["request_id"] == first["request"]["request_id"]


async def test_burden_warns_over_the_cap(client, auth, node):
    await _filed_plan(client, auth)
    await post(client, auth, "/v1/units/220200/material-demands", {"form": "表一"}, AGENCY, 201)
    last = await post(client, auth, "/v1/units/220200/material-demands", {"form": "表二"}, AGENCY, 201)
    await settled(node, last["position"])
    burden = (await client.get("/v1/units/220200/burden?year=2026", headers=auth(AGENCY))).json()
    assert burden["counts"]["material_requests"] == 2
    assert [w["measure"] for w in burden["warnings"]] == ["material_requests"]


async def test_every_ledger_projection_rebuilds_to_its_live_digest(client, auth, node):
    await _filed_plan(client, auth)
    parent, (south, _) = await decomposed(client, auth)
    await post(client, auth, f"/v1/tasks/{south}/accept", {}, DISTRICT)
    last = await post(client, auth, f"/v1/tasks/{south}/report-progress", {"percent": 40, "narrative": "进展"}, DISTRICT)
    await settled(node, last["position"])
    for name in ("ledger_tree", "instructions", "plan_actual", "burden", "scores"):
        projection = node.projections[name]
        live = digest(node.views, projection)
        rebuild(node.views, projection, node.reader.iter_envelopes())
        assert digest(node.views, projection) == live, name


def test_a_demand_documents_every_status_it_answers(app):
    responses = app.openapi()["paths"]["/v1/units/{code}/material-demands"]["post"]["responses"]

    assert {"200", "201"} <= set(responses)
