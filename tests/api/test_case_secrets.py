"""Internal notes (内部备注) and unpublished drafts (督查结论草稿, 评估意见草稿): who reads them, and the answer models
per audience (a field a reader's model does not name never reaches it). That no other answer carries them to
anyone else is swept over every operation in tests/api/test_secrecy_of_every_operation.py."""

from __future__ import annotations

from datetime import date

from api.case_views import CaseAsOfForParty, CaseForOffice, CaseForParty
from domain.actor import Actor, Role
from domain.case import CaseType, Method, Topic
from tests.api.builders import AGENCY, GOVERNMENT
from tests.projections.story import EVALUATOR, OFFICE, run_story_on

D = date.fromisoformat
TARGET = ("220100", Role.TARGET)
AUDITOR = ("220000", Role.AUDITOR)
CITY_OFFICE = ("220100-DCS", Role.AGENCY)  # reads the province's case through its unit, a target
ENTRUSTED = (EVALUATOR.unit, Role.EVALUATOR)
NOTE, DRAFT, EVALUATION_DRAFT = "内部备注：补贴台账疑似补录", "结论草稿：建议通报批评", "评估初稿：数据存疑"
UNPUBLISHED_TYPES = ("InternalNoteRecorded", "ConclusionDrafted", "EvaluationDrafted")
PARTY_OMITS = set(CaseForOffice.model_fields) - set(CaseForParty.model_fields)


async def _caught_up(client, auth, case_id, position):
    for path in (f"/v1/cases/{case_id}/history", "/v1/units/220100/accountability"):
        response = await client.get(path, params={"after": position}, headers=auth(AGENCY))
        assert response.headers["Ducha-Consistency"] == "fresh"


async def _with_secrets(node, client, auth):
    """The story's case, reported, with an internal note, a conclusion draft and an evaluation draft on it."""
    case_id, _ = await run_story_on(node, "reported")
    await node.cases.run("record-internal-note", OFFICE, case_id, on=D("2026-11-14"), text=NOTE, target="220100")
    await node.cases.run("save-conclusion-draft", OFFICE, case_id, on=D("2026-11-14"), target="220100", summary=DRAFT)
    outcome = await node.cases.run(
        "save-evaluation-draft", EVALUATOR, case_id, on=D("2026-11-14"), target="220100", summary=EVALUATION_DRAFT
    )
    await _caught_up(client, auth, case_id, outcome.position)
    return case_id


async def _history(client, auth, who, case_id) -> dict:
    response = await client.get(f"/v1/cases/{case_id}/history", headers=auth(who))
    assert response.status_code == 200, response.text
    return response.json()


def _types(history: dict) -> list[str]:
    return [e["type"] for e in history["events"]]


async def test_the_supervision_office_of_the_level_reads_its_note_and_its_conclusion_draft(client, auth, node):
    case_id = await _with_secrets(node, client, auth)

    types = _types(await _history(client, auth, AGENCY, case_id))

    assert ("InternalNoteRecorded" in types, "ConclusionDrafted" in types) == (True, True)


async def test_the_government_reads_the_conclusion_draft_it_will_issue_but_not_the_note(client, auth, node):
    case_id = await _with_secrets(node, client, auth)

    types = _types(await _history(client, auth, GOVERNMENT, case_id))

    assert ("ConclusionDrafted" in types, "InternalNoteRecorded" in types, "EvaluationDrafted" in types) == (
        True, False, False)


async def test_an_evaluator_reads_its_own_draft_and_nothing_else_unpublished(client, auth, node):
    case_id = await _with_secrets(node, client, auth)

    types = _types(await _history(client, auth, ENTRUSTED, case_id))

    assert [t for t in UNPUBLISHED_TYPES if t in types] == ["EvaluationDrafted"]


async def test_an_auditor_reads_every_note_and_draft_in_its_jurisdiction(client, auth, node):
    case_id = await _with_secrets(node, client, auth)

    types = _types(await _history(client, auth, AUDITOR, case_id))

    assert set(UNPUBLISHED_TYPES) <= set(types)


async def test_a_higher_level_s_office_does_not_read_a_lower_level_s_internal_note(client, auth, node):
    city = Actor("220100-DCS", Role.AGENCY, "督查员陈")
    proposed = await node.cases.propose(
        city, on=D("2026-11-20"), case_type=CaseType.COMPREHENSIVE, topic=Topic.LIVELIHOOD, title="城区供暖督查",
        targets=["220102"], methods=[Method.INSPECTION], window_start=D("2026-12-01"), window_end=D("2026-12-20"), rationale="供暖投诉",
    )
    outcome = await node.cases.run("record-internal-note", city, proposed.aggregate.id, on=D("2026-11-21"), text=NOTE)
    await _caught_up(client, auth, proposed.aggregate.id, outcome.position)

    province = await _history(client, auth, AGENCY, proposed.aggregate.id)
    own = await _history(client, auth, CITY_OFFICE, proposed.aggregate.id)

    assert ("InternalNoteRecorded" in _types(province), "InternalNoteRecorded" in _types(own)) == (False, True)


async def test_a_conclusion_draft_reaches_its_target_only_as_the_conclusion_issued(client, auth, node):
    case_id = await _with_secrets(node, client, auth)
    await node.cases.run(
        "issue-conclusion", Actor("220000", Role.GOVERNMENT, "办公厅王"), case_id, on=D("2026-11-16"), target="220100",
        summary="存在滞后",
    )
    outcome = await node.cases.run("deliver-conclusion", OFFICE, case_id, on=D("2026-11-17"), target="220100")
    await _caught_up(client, auth, case_id, outcome.position)

    history = await _history(client, auth, TARGET, case_id)

    issued = [e["payload"]["summary"] for e in history["events"] if e["type"] == "ConclusionIssued"]
    assert (issued, DRAFT in str(history)) == (["存在滞后"], False)


async def test_a_party_s_case_names_none_of_the_office_s_fields(client, auth, node):
    case_id = await _with_secrets(node, client, auth)

    one = (await client.get(f"/v1/cases/{case_id}", headers=auth(TARGET))).json()
    listed = (await client.get("/v1/cases", headers=auth(TARGET))).json()["items"]

    assert [sorted(PARTY_OMITS & set(c)) for c in (one, *listed)] == [[], []]
    assert one["seen_as"] == "party"


async def test_a_party_s_case_as_of_a_moment_names_none_of_the_office_s_fields(client, auth, node):
    case_id = await _with_secrets(node, client, auth)

    one = (await client.get(f"/v1/cases/{case_id}", params={"as_of": "2026-11-25"}, headers=auth(TARGET))).json()

    assert set(one) == set(CaseAsOfForParty.model_fields)


async def test_the_office_s_case_names_every_step_and_what_is_due(client, auth, node):
    case_id = await _with_secrets(node, client, auth)

    one = (await client.get(f"/v1/cases/{case_id}", headers=auth(AGENCY))).json()

    assert (one["seen_as"], PARTY_OMITS <= set(one), one["reported_on"]) == ("office", True, "2026-11-13")


async def test_a_party_s_history_carries_only_the_payload_fields_its_models_name(client, auth, node):
    case_id, position = await run_story_on(node, "delivered")
    await _caught_up(client, auth, case_id, position)

    events = {e["type"]: e for e in (await _history(client, auth, TARGET, case_id))["events"]}

    assert "rationale" not in events["CaseProposed"]["payload"]
    assert "participants" not in events["ConclusionIssued"]["payload"]
    assert events["TargetsNotified"]["concerns"] == ["220100"]


async def test_the_office_records_a_note_over_http(client, auth, node):
    case_id, _ = await run_story_on(node, "approved")

    response = await client.post(
        f"/v1/cases/{case_id}/record-internal-note", json={"text": NOTE, "on": "2026-11-20"}, headers=auth(AGENCY)
    )

    assert response.status_code == 200, response.text


async def test_a_target_may_not_record_an_internal_note(client, auth, node):
    case_id, _ = await run_story_on(node, "notified")

    response = await client.post(f"/v1/cases/{case_id}/record-internal-note", json={"text": NOTE}, headers=auth(TARGET))

    assert (response.status_code, response.json()["type"]) == (403, "urn:ducha:problem:act-not-allowed")


async def test_a_draft_with_an_unknown_field_is_refused_and_records_nothing(client, auth, node):
    case_id, _ = await run_story_on(node, "reported")
    before = node.app.repository.get(case_id).version

    response = await client.post(
        f"/v1/cases/{case_id}/save-conclusion-draft",
        json={"target": "220100", "summary": DRAFT, "published": True}, headers=auth(AGENCY),
    )

    assert (response.status_code, node.app.repository.get(case_id).version) == (422, before)
