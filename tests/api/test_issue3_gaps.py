"""Issue 3 over HTTP on a real node (real NATS, real store): the lifecycle commands no other test drove over
HTTP (the story of tests/projections/story.py told through the routes, then the remaining work and result
commands), and secrecy (保密) on the read paths the secrecy tests did not reach: a command's error text, the
instruction board (批示办理台) and plan against actual (计划与实际)."""

from __future__ import annotations

from datetime import date
from typing import Any

from domain.actor import Actor, Role
from tests.api.builders import AGENCY, GOVERNMENT, LEADER
from tests.api.test_ledger import post, settled
from tests.projections.story import OFFICE, PROPOSED_ON, TARGET, proposal, run_story_on, steps

CITY = ("220100", Role.TARGET)


def _json(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    return getattr(value, "value", value)


async def _act(client, auth, case_id, command, actor: Actor, on: date, **fields) -> dict[str, Any]:
    body = _json(fields) | {"on": on.isoformat()}
    response = await client.post(f"/v1/cases/{case_id}/{command}", json=body,
                                 headers=auth((actor.unit, actor.role), person=actor.person))
    assert response.status_code == 200, f"{command}: {response.text}"
    return response.json()


async def _story_over_http(client, auth, propose_body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    created = await client.post("/v1/cases", json=propose_body | {"on": PROPOSED_ON.isoformat()}, headers=auth(AGENCY))
    assert created.status_code == 201, created.text
    case_id, last = created.json()["id"], created.json()
    for _, command, actor, on, fields in steps():
        last = await _act(client, auth, case_id, command, actor, on, **fields)
    return case_id, last


def _story_proposal() -> dict[str, Any]:
    return _json(proposal())


def _types(node, case_id) -> list[str]:
    return [e.type for e in node.reader.iter_envelopes() if str(e.aggregate_id) == str(case_id)]


# ---- every lifecycle command over HTTP --------------------------------------------------------


async def test_the_whole_story_runs_over_http_through_results_and_fault_tolerance(client, auth, node):
    case_id, last = await _story_over_http(client, auth, _story_proposal())

    types = _types(node, case_id)

    assert {"SelfInspectionSubmitted", "EvaluationSubmitted", "CriticismProposed", "Criticized", "AccountabilityProposed",
            "AccountabilityReferred", "FaultTolerated", "PerformanceDeducted"} <= set(types)
    assert last["version"] == len(types)


async def test_the_remaining_work_commands_run_over_http(client, auth, node):
    case_id, position = await run_story_on(node, "worked")
    on = date(2026, 11, 12)

    await _act(client, auth, case_id, "attach-evidence", OFFICE, on, digest="sha256:ab", title="照片", finding_id="f1")
    await _act(client, auth, case_id, "record-survey-result", OFFICE, on, survey="满意度调查", result="满意率92%", target="220100")
    await _act(client, auth, case_id, "hold-talk", OFFICE, on, target="220100", person="长春市刘", summary="约谈")

    assert _types(node, case_id)[-3:] == ["EvidenceAttached", "SurveyResultRecorded", "TalkHeld"]


async def test_supervisor_recused_over_http_may_not_act_on_that_target(client, auth, node):
    case_id, _ = await run_story_on(node, "planned")
    await _act(client, auth, case_id, "recuse-supervisor", OFFICE, date(2026, 11, 4),
               supervisor="督查员李", target="220200", grounds="近亲属任职")

    refused = await client.post(f"/v1/cases/{case_id}/record-finding", json={
        "on": "2026-11-11", "finding_id": "f9", "target": "220200", "item": "补贴", "text": "滞后"},
        headers=auth(AGENCY, person="督查员李"))

    assert refused.status_code == 403
    assert _types(node, case_id)[-1] == "SupervisorRecused"


async def test_rectification_returned_over_http_is_completed_again(client, auth, node):
    case_id, _ = await run_story_on(node, "delivered")
    await _act(client, auth, case_id, "complete-rectification", TARGET, date(2026, 11, 18), requirement_id="r1", summary="已补发")

    await _act(client, auth, case_id, "return-rectification", OFFICE, date(2026, 11, 19), requirement_id="r1", reason="未见凭证")
    again = await _act(client, auth, case_id, "complete-rectification", TARGET, date(2026, 11, 20), requirement_id="r1",
                       summary="补交凭证")

    assert _types(node, case_id)[-2:] == ["RectificationReturned", "RectificationCompleted"]
    assert again["version"] == len(_types(node, case_id))


async def test_office_urges_the_target_over_http(client, auth, node):
    case_id, _ = await run_story_on(node, "delivered")

    await _act(client, auth, case_id, "urge-target", OFFICE, date(2026, 11, 24), target="220100", message="请加快整改",
               requirement_id="r2")

    assert _types(node, case_id)[-1] == "TargetUrged"


async def test_document_revision_and_lead_referral_are_proposed_over_http(client, auth, node):
    case_id, _ = await run_story_on(node, "reported")
    on = date(2026, 11, 14)

    await _act(client, auth, case_id, "propose-document-revision", OFFICE, on, document="长政发〔2025〕3号",
               issuer="220100", action="revoke", grounds="与上位法不一致")
    await _act(client, auth, case_id, "refer-lead", OFFICE, on, to="supervisory-commission", unit="220100",
               person="长春市某", grounds="涉嫌失职")

    assert _types(node, case_id)[-2:] == ["DocumentRevisionProposed", "LeadReferred"]


# ---- a covert case's own audience sees it (no one else: tests/api/test_secrecy_of_every_operation.py) --------


async def _covert_check(client, auth):
    issued = await post(client, auth, "/v1/instructions",
                        {"text": "抓紧解决供暖问题", "lead_unit": "220100", "urgency": "urgent"}, LEADER, 201)
    path = f"/v1/instructions/{issued['id']}"
    await post(client, auth, f"{path}/assign", {}, AGENCY)
    await post(client, auth, f"{path}/answer", {"text": "已解决"}, CITY)
    return await post(client, auth, f"{path}/covert-check", {
        "grounds": "核实反馈", "title": "供暖暗访", "targets": ["220100"], "window_start": "2026-12-01",
        "window_end": "2026-12-05"}, AGENCY)


async def test_the_office_sees_the_covert_check_on_the_instruction_board(client, auth, node):
    check = await _covert_check(client, auth)
    await settled(node, check["position"])

    board = (await client.get("/v1/instructions", headers=auth(AGENCY))).json()

    assert board["items"][0]["covert_checks"] == [check["case_id"]]


async def _covert_case_on_the_department(client, auth, node) -> str:
    await post(client, auth, "/v1/plans", {"year": 2026}, AGENCY, 201)
    await post(client, auth, "/v1/plans/220000/2026/plan-activity", {
        "activity_id": "a1", "kind": "supervision", "title": "发改委暗访", "units": ["220000-FGW"],
        "window_start": "2026-11-01", "window_end": "2026-12-31"}, AGENCY)
    await post(client, auth, "/v1/plans/220000/2026/file", {}, AGENCY)
    fields = proposal(covert=True) | {"targets": ["220000-FGW"]}
    created = await node.cases.propose(OFFICE, on=PROPOSED_ON, **fields)
    approved = await node.cases.run("approve", Actor(*LEADER, "省长"), created.aggregate.id, on=date(2026, 11, 3))
    await settled(node, approved.position)
    return str(created.aggregate.id)


async def test_the_office_sees_a_covert_case_in_plan_against_actual(client, auth, node):
    case_id = await _covert_case_on_the_department(client, auth, node)

    plan = await client.get("/v1/plans/220000/2026", headers=auth(GOVERNMENT))

    assert case_id in plan.text
