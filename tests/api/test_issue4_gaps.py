"""Issue 4 over HTTP on a real node (real NATS, real store): the steps of the task ledger (工作台账) and of
leaders' instructions (领导批示) that no other test drove over HTTP, the instruction clock, the burden's change
against the year before (较上年压减) and the performance score (绩效考核) endpoint."""

from __future__ import annotations

from datetime import UTC, datetime

from domain.actor import Role
from tests.api.builders import AGENCY, LEADER
from tests.api.test_ledger import CITY, CITY_OFFICE, post, settled, task_body
from tests.projections.story import run_story_on

UNIT = ("220200", Role.TARGET)


async def _accepted_task(client, auth, **changes):
    task = await post(client, auth, "/v1/tasks", task_body(**changes), AGENCY, 201)
    await post(client, auth, f"/v1/tasks/{task['id']}/accept", {}, CITY)
    return task["id"]


async def _claimed_task(client, auth):
    task_id = await _accepted_task(client, auth, milestones=[])
    await post(client, auth, f"/v1/tasks/{task_id}/claim-completion", {"summary": "已完成"}, CITY)
    return task_id


def _events(node, aggregate_id):
    return [e for e in node.reader.iter_envelopes() if str(e.aggregate_id) == str(aggregate_id)]


# ---- the task ledger -------------------------------------------------------------------------


async def test_returned_task_goes_back_to_work_over_http(client, auth):
    task_id = await _claimed_task(client, auth)

    returned = await post(client, auth, f"/v1/tasks/{task_id}/return", {"reason": "佐证材料不全"}, AGENCY)

    assert returned["state"] == "accepted"


async def test_task_return_without_a_reason_is_refused_over_http(client, auth):
    task_id = await _claimed_task(client, auth)

    response = await client.post(f"/v1/tasks/{task_id}/return", json={}, headers=auth(AGENCY))

    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_responsible_unit_cannot_return_its_own_claim_over_http(client, auth, node):
    task_id = await _claimed_task(client, auth)

    response = await client.post(f"/v1/tasks/{task_id}/return", json={"reason": "自己退回"}, headers=auth(CITY))

    assert response.status_code == 403
    assert [e.type for e in _events(node, task_id)][-1] == "TaskCompletionClaimed"


async def test_office_urges_the_responsible_unit_over_http(client, auth, node):
    task_id = await _accepted_task(client, auth)

    urged = await post(client, auth, f"/v1/tasks/{task_id}/urge", {"message": "请加快进度"}, AGENCY)

    (event,) = [e for e in _events(node, task_id) if e.type == "TargetUrged"]
    assert urged["position"] == event.position
    assert (event.payload["target"], event.payload["message"]) == ("220100", "请加快进度")


async def test_task_is_not_urged_again_within_the_urging_interval_over_http(client, auth, node):
    task_id = await _accepted_task(client, auth)
    await post(client, auth, f"/v1/tasks/{task_id}/urge", {"message": "请加快进度"}, AGENCY)

    again = await client.post(f"/v1/tasks/{task_id}/urge", json={"message": "再次催办"}, headers=auth(AGENCY))

    assert (again.status_code, again.json()["type"]) == (422, "urn:ducha:problem:invalid-command")
    assert [e.type for e in _events(node, task_id)].count("TargetUrged") == 1


async def test_responsible_unit_does_not_urge_itself_over_http(client, auth):
    task_id = await _accepted_task(client, auth)

    response = await client.post(f"/v1/tasks/{task_id}/urge", json={"message": "自我催办"}, headers=auth(CITY))

    assert response.status_code == 403


async def test_milestone_reached_over_http_keeps_the_light_from_red(client, auth, node, clock):
    task_id = await _accepted_task(client, auth)  # milestone m1 due 2026-12-15, deadline 2026-12-31
    reached = await post(client, auth, f"/v1/tasks/{task_id}/reach-milestone", {"milestone_id": "m1"}, CITY)
    await settled(node, reached["position"])
    clock.set(datetime(2026, 12, 16, 2, 0, tzinfo=UTC))

    tree = (await client.get(f"/v1/tasks/{task_id}/tree", headers=auth(AGENCY))).json()

    assert tree["light"] != "red"


async def test_unreached_milestone_turns_the_light_red_over_http(client, auth, node, clock):
    task_id = await _accepted_task(client, auth)
    await settled(node, max(e.position for e in _events(node, task_id)))
    clock.set(datetime(2026, 12, 16, 2, 0, tzinfo=UTC))

    tree = (await client.get(f"/v1/tasks/{task_id}/tree", headers=auth(AGENCY))).json()

    assert tree["light"] == "red"


async def test_milestone_is_reached_once_over_http(client, auth):
    task_id = await _accepted_task(client, auth)
    await post(client, auth, f"/v1/tasks/{task_id}/reach-milestone", {"milestone_id": "m1"}, CITY)

    again = await client.post(f"/v1/tasks/{task_id}/reach-milestone", json={"milestone_id": "m1"}, headers=auth(CITY))

    assert again.status_code == 409


# ---- leaders' instructions -------------------------------------------------------------------


async def _answered_instruction(client, auth, urgency="normal"):
    issued = await post(client, auth, "/v1/instructions",
                        {"text": "抓紧解决供暖问题", "lead_unit": "220100", "urgency": urgency}, LEADER, 201)
    path = f"/v1/instructions/{issued['id']}"
    await post(client, auth, f"{path}/assign", {}, AGENCY)
    await post(client, auth, f"{path}/answer", {"text": "已解决"}, CITY)
    return path


async def test_returned_answer_is_answered_again_over_http(client, auth):
    path = await _answered_instruction(client, auth)

    returned = await post(client, auth, f"{path}/return", {"reason": "未说明整改时限"}, AGENCY)
    again = await post(client, auth, f"{path}/answer", {"text": "补充整改时限"}, CITY)

    assert (returned["state"], again["state"]) == ("returned", "answered")


async def test_answer_return_without_a_reason_is_refused_over_http(client, auth):
    path = await _answered_instruction(client, auth)

    response = await client.post(f"{path}/return", json={}, headers=auth(AGENCY))

    assert response.status_code == 422


async def test_office_closes_an_answered_instruction_over_http_and_the_board_shows_it(client, auth, node):
    path = await _answered_instruction(client, auth)

    closed = await post(client, auth, f"{path}/close", {"summary": "办结"}, AGENCY)
    await settled(node, closed["position"])
    board = (await client.get("/v1/instructions", params={"state": "closed"}, headers=auth(AGENCY))).json()

    assert closed["state"] == "closed"
    assert [(i["instruction_id"], i["closed_on"]) for i in board["items"]] == [(path.rsplit("/", 1)[1], "2026-11-25")]


async def test_lead_unit_does_not_close_the_instruction_over_http(client, auth):
    path = await _answered_instruction(client, auth)

    response = await client.post(f"{path}/close", json={}, headers=auth(CITY))

    assert response.status_code == 403


async def test_unanswered_instruction_cannot_be_closed_over_http(client, auth):
    issued = await post(client, auth, "/v1/instructions",
                        {"text": "抓紧解决供暖问题", "lead_unit": "220100", "urgency": "normal"}, LEADER, 201)

    response = await client.post(f"/v1/instructions/{issued['id']}/close", json={}, headers=auth(AGENCY))

    assert response.status_code == 409


async def test_the_clock_marks_an_unanswered_instruction_overdue_once(client, auth, node, clock):
    # urgent: 5 days from Wednesday 2026-11-25 is Monday 2026-11-30, a working day
    issued = await post(client, auth, "/v1/instructions",
                        {"text": "立即处置", "lead_unit": "220100", "urgency": "urgent"}, LEADER, 201)
    await settled(node, issued["position"])
    clock.set(datetime(2026, 12, 1, 2, 0, tzinfo=UTC))

    first = await node.ledger_clock.tick()
    await settled(node, max(first.recorded.values()))
    second = await node.ledger_clock.tick()
    board = (await client.get("/v1/instructions", headers=auth(AGENCY))).json()

    assert [e.type for e in _events(node, issued["id"])] == ["InstructionIssued", "InstructionOverdue"]
    assert second.recorded == {}
    assert (board["items"][0]["overdue_on"], board["items"][0]["overdue_today"], board["overdue"]) == ("2026-12-01", True, 1)


async def test_instruction_is_not_overdue_on_its_deadline_day_by_the_clock(client, auth, node, clock):
    issued = await post(client, auth, "/v1/instructions",
                        {"text": "立即处置", "lead_unit": "220100", "urgency": "urgent"}, LEADER, 201)
    await settled(node, issued["position"])
    clock.set(datetime(2026, 11, 30, 2, 0, tzinfo=UTC))

    tick = await node.ledger_clock.tick()

    assert tick.recorded == {}
    assert [e.type for e in _events(node, issued["id"])] == ["InstructionIssued"]


async def test_instruction_deadline_past_the_calendars_known_years_is_shown_provisional(client, auth, node, clock):
    clock.set(datetime(2026, 12, 21, 2, 0, tzinfo=UTC))  # difficult: 30 days later lies in 2027

    issued = await post(client, auth, "/v1/instructions",
                        {"text": "研究解决", "lead_unit": "220100", "urgency": "difficult"}, LEADER, 201)
    await settled(node, issued["position"])
    (item,) = (await client.get("/v1/instructions", headers=auth(AGENCY))).json()["items"]

    assert (item["deadline"], item["deadline_provisional"]) == ("2027-01-20", True)


# ---- the burden ledger: the change against the year before ----------------------------------


async def _demands(client, auth, unit, days):
    last = None
    for n, day in enumerate(days):
        last = await post(client, auth, f"/v1/units/{unit}/material-demands",
                          {"form": f"统计表{n}", "on": day}, AGENCY, 201)
    return last["position"]


async def test_burden_shows_the_reduction_against_the_year_before(client, auth, node):
    await _demands(client, auth, "220200", ["2025-03-02", "2025-04-01", "2025-05-06", "2025-06-02"])
    position = await _demands(client, auth, "220200", ["2026-03-02"])
    await settled(node, position)

    burden = (await client.get("/v1/units/220200/burden", params={"year": 2026}, headers=auth(AGENCY))).json()

    assert burden["previous_year"]["material_requests"] == 4
    assert burden["change_percent"]["material_requests"] == -75.0
    assert burden["change_percent"]["total"] == -75.0


async def test_burden_change_is_none_when_nothing_was_received_the_year_before(client, auth, node):
    position = await _demands(client, auth, "220200", ["2026-03-02"])
    await settled(node, position)

    burden = (await client.get("/v1/units/220200/burden", params={"year": 2026}, headers=auth(AGENCY))).json()

    assert burden["change_percent"]["material_requests"] is None


async def test_burden_of_a_unit_outside_the_callers_jurisdiction_is_not_found(client, auth, node):
    position = await _demands(client, auth, "220200", ["2026-03-02"])
    await settled(node, position)

    response = await client.get("/v1/units/220200/burden", params={"year": 2026}, headers=auth(CITY))

    assert response.status_code == 404


# ---- performance scores ----------------------------------------------------------------------


async def test_score_is_the_base_less_the_deductions_with_the_case_behind_each_point(client, auth, node):
    case_id, position = await run_story_on(node, "results")  # deducts 2 points of 220100 for period 2026
    await settled(node, position)

    score = (await client.get("/v1/units/220100/scores", params={"period": "2026"}, headers=auth(AGENCY))).json()

    assert score["cases"] == [{"case_id": str(case_id), "points": 2}]
    assert score["score"] == 98


async def test_score_of_another_period_keeps_the_base(client, auth, node):
    _, position = await run_story_on(node, "results")
    await settled(node, position)

    score = (await client.get("/v1/units/220100/scores", params={"period": "2025"}, headers=auth(AGENCY))).json()

    assert (score["score"], score["cases"]) == (100, [])


async def test_score_uses_the_base_of_the_units_own_governments_plan(client, auth, node):
    await post(client, auth, "/v1/plans", {"year": 2026, "performance_base": 120}, CITY_OFFICE, 201)
    _, position = await run_story_on(node, "results")
    await settled(node, position)

    score = (await client.get("/v1/units/220100/scores", params={"period": "2026"}, headers=auth(AGENCY))).json()

    assert score["score"] == 118


async def test_a_unit_reads_its_own_score_but_not_anothers(client, auth, node):
    _, position = await run_story_on(node, "results")
    await settled(node, position)

    own = await client.get("/v1/units/220100/scores", params={"period": "2026"}, headers=auth(CITY))
    other = await client.get("/v1/units/220100/scores", params={"period": "2026"}, headers=auth(UNIT))

    assert (own.status_code, other.status_code) == (200, 404)

