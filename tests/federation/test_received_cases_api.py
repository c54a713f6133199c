"""/v1/received-cases and /v1/received-instructions on a started county node (real NATS, real store): a case or an
instruction received from the province, as the inbox records it, read and answered by its own unit only."""

from __future__ import annotations

from uuid import UUID

import pytest

from domain.actor import Role
from domain.received import received_case_id
from ducha.federation.apply import Applier
from ducha.settings import Settings
from tests.api.conftest import app, auth, client, key  # noqa: F401 (the HTTP fixtures)
from tests.federation.builders import COUNTY, PROVINCE
from tests.federation.test_cases import CASE, concluded, notice
from tests.federation.test_instructions import INSTRUCTION
from tests.federation.test_instructions import RECORD as INSTRUCTION_RECORD
from tests.federation.test_instructions import assigned
from tests.federation.test_province_api import eventually
from tests.federation.test_refusals import refusal

NANGUAN = (COUNTY, Role.TARGET)
BUREAU = ("220102-DCS", Role.TARGET)  # another unit of the county, as a supervised unit
COUNTY_AGENCY = ("220102-DCS", Role.AGENCY)
RECORD = received_case_id(PROVINCE, str(CASE), COUNTY)


@pytest.fixture
def settings(tmp_path, nats_server, store_url) -> Settings:
    return Settings(data_dir=tmp_path / "data", nats_url=nats_server.url, store_url=store_url, node=COUNTY)


async def received(node, *contracts) -> UUID:
    applier = Applier(node.tasks, node.cases, COUNTY)
    for contract in contracts:
        await applier.apply(contract, PROVINCE)
    return RECORD


def record_events(node) -> list[str]:
    return [e.type for e in node.reader.envelopes(0, 10_000) if e.aggregate_id == RECORD]


async def test_the_target_finds_its_received_case_on_its_list(node, client, auth):  # noqa: F811
    await received(node, notice())

    async def mine() -> dict:
        return (await client.get("/v1/received-cases", headers=auth(NANGUAN))).json()

    found = await eventually(mine, lambda b: b["total"] == 1, "the notice is on Nanguan's list")

    assert [(c["id"], c["state"], c["notice"]["content"]) for c in found["cases"]] == [(str(RECORD), "notified", "供暖保障落实情况")]


async def test_the_county_office_reads_the_received_case(node, client, auth):  # noqa: F811
    await received(node, notice())

    async def one():
        return await client.get(f"/v1/received-cases/{RECORD}", headers=auth(COUNTY_AGENCY))

    answer = await eventually(one, lambda r: r.status_code == 200, "the office reads the case")

    assert answer.json()["target"] == COUNTY


async def test_another_unit_neither_lists_nor_reads_the_received_case(node, client, auth):  # noqa: F811
    await received(node, notice())
    await eventually(lambda: client.get(f"/v1/received-cases/{RECORD}", headers=auth(NANGUAN)),
                     lambda r: r.status_code == 200, "the target reads it")

    listed = (await client.get("/v1/received-cases", headers=auth(BUREAU))).json()
    one = await client.get(f"/v1/received-cases/{RECORD}", headers=auth(BUREAU))
    unknown = await client.get(f"/v1/received-cases/{CASE}", headers=auth(BUREAU))

    without_instance = lambda r: {k: v for k, v in r.json().items() if k != "instance"}  # noqa: E731
    assert (listed["total"], one.status_code, without_instance(one)) == (0, 404, without_instance(unknown))


async def test_the_target_reports_its_rectification(node, client, auth):  # noqa: F811
    await received(node, concluded())

    answer = await client.post(f"/v1/received-cases/{RECORD}/rectification", headers=auth(NANGUAN),
                               json={"requirement_id": "R1", "progress": "已完成三个小区改造", "percent": 40})

    assert (answer.status_code, answer.json()["state"]) == (200, "concluded")
    assert record_events(node)[-1] == "RectificationSent"


async def test_a_report_on_an_unknown_requirement_is_refused_and_changes_nothing(node, client, auth):  # noqa: F811
    await received(node, concluded())

    answer = await client.post(f"/v1/received-cases/{RECORD}/rectification", headers=auth(NANGUAN),
                               json={"requirement_id": "R9", "progress": "进展"})

    assert (answer.status_code, answer.headers["content-type"]) == (422, "application/problem+json")
    assert answer.json()["type"].endswith("invalid-command")
    assert record_events(node) == ["ReceivedCaseOpened", "ConclusionReceived"]


async def test_the_county_office_may_not_answer_for_the_target(node, client, auth):  # noqa: F811
    await received(node, concluded())

    answer = await client.post(f"/v1/received-cases/{RECORD}/review-request", headers=auth(COUNTY_AGENCY),
                               json={"grounds": "理由"})

    assert answer.status_code == 403
    assert record_events(node) == ["ReceivedCaseOpened", "ConclusionReceived"]


async def test_the_target_submits_its_self_inspection(node, client, auth):  # noqa: F811
    await received(node, notice())

    answer = await client.post(f"/v1/received-cases/{RECORD}/self-inspection", headers=auth(NANGUAN),
                               json={"report": "已逐项自查", "items": {"供暖": "基本达标"}})

    assert (answer.status_code, answer.json()["state"]) == (200, "notified")
    assert record_events(node)[-1] == "SelfInspectionSent"


async def test_an_empty_self_inspection_is_refused_and_changes_nothing(node, client, auth):  # noqa: F811
    await received(node, notice())

    answer = await client.post(f"/v1/received-cases/{RECORD}/self-inspection", headers=auth(NANGUAN), json={"report": ""})

    assert (answer.status_code, answer.headers["content-type"]) == (422, "application/problem+json")
    assert record_events(node) == ["ReceivedCaseOpened", "NoticeReceived"]


async def test_the_county_office_may_not_self_inspect_for_the_target(node, client, auth):  # noqa: F811
    await received(node, notice())

    answer = await client.post(f"/v1/received-cases/{RECORD}/self-inspection", headers=auth(COUNTY_AGENCY),
                               json={"report": "已逐项自查"})

    assert answer.status_code == 403
    assert record_events(node) == ["ReceivedCaseOpened", "NoticeReceived"]


# ---- instructions received from above (批示交办) ------------------------------------------


async def test_the_lead_unit_answers_its_received_instruction(node, client, auth):  # noqa: F811
    await Applier(node.tasks, node.cases, COUNTY).apply(assigned(), PROVINCE)

    answer = await client.post(f"/v1/received-instructions/{INSTRUCTION_RECORD}/answer", headers=auth(NANGUAN),
                               json={"text": "已完成供暖改造"})

    assert (answer.status_code, answer.json()["state"]) == (200, "answered")


async def test_another_unit_may_not_read_a_received_instruction(node, client, auth):  # noqa: F811
    await Applier(node.tasks, node.cases, COUNTY).apply(assigned(), PROVINCE)

    answer = await client.get(f"/v1/received-instructions/{INSTRUCTION_RECORD}", headers=auth(BUREAU))

    assert (answer.status_code, answer.json()["detail"]) == (404, "nothing received from above by that id")


# ---- an act the province refused (退件) ------------------------------------------------------


async def test_the_target_reads_its_self_inspection_refused_by_the_province(node, client, auth):  # noqa: F811
    await received(node, notice())
    sent = await client.post(f"/v1/received-cases/{RECORD}/self-inspection", headers=auth(NANGUAN),
                             json={"report": "已逐项自查"})
    await received(node, refusal(f"{RECORD}:{sent.json()['version']}"))

    async def one():
        return await client.get(f"/v1/received-cases/{RECORD}", headers=auth(NANGUAN))

    answer = await eventually(one, lambda r: r.status_code == 200 and r.json()["sent"] and r.json()["sent"][0]["status"] == "refused",
                              "the refusal is on the target's view")

    (act,) = answer.json()["sent"]
    assert (act["kind"], act["refusal"]["reason"], act["refusal"]["text"]) == (
        "self-inspection", "wrong-state", "The act does not fit the present state")


async def test_the_lead_unit_reads_its_answer_refused_by_the_province(node, client, auth):  # noqa: F811
    await Applier(node.tasks, node.cases, COUNTY).apply(assigned(), PROVINCE)
    sent = await client.post(f"/v1/received-instructions/{INSTRUCTION_RECORD}/answer", headers=auth(NANGUAN),
                             json={"text": "已完成供暖改造"})
    await Applier(node.tasks, node.cases, COUNTY).apply(
        refusal(f"{INSTRUCTION_RECORD}:{sent.json()['version']}", "InstructionAnswered", instruction_id=INSTRUCTION),
        PROVINCE)

    async def one():
        return await client.get(f"/v1/received-instructions/{INSTRUCTION_RECORD}", headers=auth(NANGUAN))

    answer = await eventually(one, lambda r: r.status_code == 200 and r.json()["history"] and r.json()["history"][-1]["status"] == "refused",
                              "the refusal is on the lead unit's view")

    assert (answer.json()["state"], answer.json()["history"][-1]["refusal"]["reason"]) == ("assigned", "wrong-state")


async def test_the_received_cases_list_is_paged_with_the_total_of_the_callers_cases(node, client, auth):  # noqa: F811
    await received(node, notice())

    async def page(offset: int) -> dict:
        return (await client.get(f"/v1/received-cases?limit=1&offset={offset}", headers=auth(NANGUAN))).json()

    first = await eventually(lambda: page(0), lambda b: b["total"] == 1, "the notice is on Nanguan's list")
    second = await page(1)

    assert ([c["id"] for c in first["cases"]], second["cases"], second["total"]) == ([str(RECORD)], [], 1)


async def test_the_received_instructions_list_is_paged_with_the_total_of_the_callers_instructions(node, client, auth):  # noqa: F811
    await Applier(node.tasks, node.cases, COUNTY).apply(assigned(), PROVINCE)

    async def page(offset: int) -> dict:
        return (await client.get(f"/v1/received-instructions?limit=1&offset={offset}", headers=auth(NANGUAN))).json()

    first = await eventually(lambda: page(0), lambda b: b["total"] == 1, "the instruction is on Nanguan's list")
    second = await page(1)

    assert ([i["id"] for i in first["instructions"]], second["instructions"], second["total"]) == (
        [str(INSTRUCTION_RECORD)], [], 1)


@pytest.mark.parametrize("path", ["/v1/received-cases", "/v1/received-instructions"])
async def test_a_received_list_page_over_the_cap_is_refused(client, auth, path):  # noqa: F811
    response = await client.get(f"{path}?limit=201", headers=auth(NANGUAN))

    assert (response.status_code, response.headers["content-type"]) == (422, "application/problem+json")
