"""End to end on the real three-level federation (leaf-linked nats-servers, a node on each): the province's case on
a Nanguan (220102) unit reaches the county's node directly, across the city's server; Nanguan reads it and answers
over the county node's own HTTP API; its answer becomes the province case's own, and the office's check of it
(核查) comes back down. A covert case (暗访) leaves no trace on the county's node until it is conducted."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from typing import Any
from uuid import UUID

import httpx
import pytest

from api.app import create_app
from domain.actor import Actor, Role
from domain.received import received_case_id
from ducha.tokens import issue_token
from tests.federation.builders import COUNTY, PROVINCE
from tests.federation.cases import (
    NANGUAN,
    PROVINCE_AGENCY,
    PROVINCE_GOVERNMENT,
    province_case_concluded,
    province_case_notified,
    province_case_planned,
    visit_nanguan,
)
from tests.federation.test_federation_e2e import levels, until  # noqa: F401 (the servers and nodes fixture)

COUNTY_AGENCY = Actor("220102-DCS", Role.AGENCY, "区督查员")
COUNTY_AUDITOR = Actor("220102", Role.AUDITOR, "区审计")


@pytest.fixture
async def county_http(levels) -> AsyncIterator[Callable[..., Any]]:  # noqa: F811
    """Requests to the county node's own API, as a given actor."""
    node = levels.nodes[COUNTY]
    transport = httpx.ASGITransport(app=create_app(node))
    async with httpx.AsyncClient(transport=transport, base_url="http://county.test") as client:

        async def request(method: str, path: str, actor: Actor = NANGUAN, **kwargs: Any) -> httpx.Response:
            token = issue_token(node.key, COUNTY, actor.unit, actor.role, actor.person, timedelta(hours=1))
            return await client.request(method, path, headers={"Authorization": f"Bearer {token}"}, **kwargs)

        yield request


def record_id(case_id: UUID) -> UUID:
    return received_case_id(PROVINCE, str(case_id), COUNTY)


def listed(answer: httpx.Response) -> dict[str, dict[str, Any]]:
    assert answer.status_code == 200, answer.text
    return {c["case_id"]: c for c in answer.json()["cases"]}


async def until_answered(check: Callable[[], Awaitable[bool]], what: str) -> None:
    """Waits (bounded) for an asynchronous `check`, such as a request to a node's API, to hold."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"did not converge: {what}")


async def wait_listed(county_http, case_id: UUID, state: str) -> dict[str, Any]:
    """Polls Nanguan's list until the case stands there in `state`."""
    found: dict[str, Any] = {}

    async def check() -> bool:
        found.update(listed(await county_http("GET", "/v1/received-cases")))
        return found.get(str(case_id), {}).get("state") == state

    await until_answered(check, f"case {case_id} {state} on the county's list")
    return found[str(case_id)]


async def test_the_provinces_notice_reaches_the_county_and_nanguans_rectification_report_reaches_the_case(
    levels, county_http  # noqa: F811
):
    province = levels.nodes[PROVINCE]
    case_id = await province_case_notified(province)
    notified = await wait_listed(county_http, case_id, "notified")
    assert (notified["notice"]["site_work_starts"], notified["sender"]) == ("2026-11-12", PROVINCE)
    await visit_nanguan(province, case_id)
    await province.cases.run("submit-report", PROVINCE_AGENCY, case_id, summary="部分小区供暖不达标")
    await province.cases.run("issue-conclusion", PROVINCE_GOVERNMENT, case_id, target=COUNTY, summary="限期整改",
                             findings=[], requirements=[{"id": "R1", "text": "室温达标", "deadline": "2026-12-31"}])
    await province.cases.run("deliver-conclusion", PROVINCE_AGENCY, case_id, target=COUNTY)
    await wait_listed(county_http, case_id, "concluded")

    answer = await county_http("POST", f"/v1/received-cases/{record_id(case_id)}/rectification",
                               json={"requirement_id": "R1", "progress": "已完成三个小区改造", "percent": 40})

    assert answer.status_code == 200, answer.text
    case = lambda: province.writer.app.repository.get(case_id)  # noqa: E731
    await until(lambda: case().requirements["R1"].status.value == "in-progress", "the province case records the report")
    (reported,) = [e for e in province.reader.envelopes(0, 100_000) if e.type == "RectificationReported"]
    assert (reported.aggregate_id, reported.actor["unit"], reported.actor["role"], reported.payload["percent"]) == (
        case_id, COUNTY, "target", 40)


def county_mentions(levels, case_id: UUID) -> list[str]:  # noqa: F811
    """The county store's events whose content names the case at all."""
    return [e.type for e in levels.nodes[COUNTY].reader.envelopes(0, 100_000) if str(case_id) in json.dumps(e.payload)]


async def test_a_covert_case_is_invisible_on_the_countys_node_until_it_is_conducted(levels, county_http):  # noqa: F811
    province = levels.nodes[PROVINCE]
    covert = await province_case_planned(province, covert=True)
    open_case = await province_case_notified(province)  # sent after the covert case: the county receives in order
    await wait_listed(county_http, open_case, "notified")

    for reader in (NANGUAN, COUNTY_AGENCY, COUNTY_AUDITOR):
        assert str(covert) not in listed(await county_http("GET", "/v1/received-cases", reader))
        assert (await county_http("GET", f"/v1/received-cases/{record_id(covert)}", reader)).status_code == 404
    refused = await county_http("POST", f"/v1/received-cases/{record_id(covert)}/review-request", json={"grounds": "理由"})
    assert refused.status_code == 404 and str(covert) not in refused.text
    assert county_mentions(levels, covert) == []

    await visit_nanguan(province, covert)

    visited = await wait_listed(county_http, covert, "visited")
    assert (visited["covert"], visited["visited_on"]) == (True, "2026-11-12")


async def test_nanguans_self_inspection_from_its_own_node_becomes_the_province_cases_own(levels, county_http):  # noqa: F811
    province = levels.nodes[PROVINCE]
    case_id = await province_case_notified(province)
    await wait_listed(county_http, case_id, "notified")

    answer = await county_http("POST", f"/v1/received-cases/{record_id(case_id)}/self-inspection",
                               json={"report": "已逐项自查", "items": {"供暖": "基本达标"}})

    assert answer.status_code == 200, answer.text
    submitted = lambda: [e for e in province.reader.envelopes(0, 100_000) if e.type == "SelfInspectionSubmitted"]  # noqa: E731
    await until(lambda: len(submitted()) == 1, "the province case records the self-inspection")
    assert (submitted()[0].aggregate_id, submitted()[0].actor["unit"], submitted()[0].payload["report"]) == (
        case_id, COUNTY, "已逐项自查")


async def test_the_provinces_verification_of_nanguans_rectification_reaches_nanguans_node(levels, county_http):  # noqa: F811
    province = levels.nodes[PROVINCE]
    case_id = await province_case_concluded(province)
    await wait_listed(county_http, case_id, "concluded")
    claimed = await county_http("POST", f"/v1/received-cases/{record_id(case_id)}/rectification",
                                json={"requirement_id": "R1", "progress": "全部达标", "completed": True})
    assert claimed.status_code == 200, claimed.text
    case = lambda: province.writer.app.repository.get(case_id)  # noqa: E731
    await until(lambda: case().requirements["R1"].status.value == "completed", "the province case records the claim")

    await province.cases.run("verify-rectification", PROVINCE_AGENCY, case_id, requirement_id="R1", remarks="核查属实")

    found: dict[str, Any] = {}

    async def verified() -> bool:
        found.update(listed(await county_http("GET", "/v1/received-cases")))
        return found[str(case_id)]["requirements"][0]["status"] == "verified"

    await until_answered(verified, "R1 verified on Nanguan's node")
    assert found[str(case_id)]["requirements"][0]["remarks"] == "核查属实"


async def test_a_self_inspection_the_province_refuses_comes_back_refused_to_nanguans_node(levels, county_http):  # noqa: F811
    province = levels.nodes[PROVINCE]
    case_id = await province_case_notified(province)
    await visit_nanguan(province, case_id)
    await wait_listed(county_http, case_id, "visited")
    await province.cases.run("submit-report", PROVINCE_AGENCY, case_id, summary="供暖达标")
    await province.cases.run("issue-conclusion", PROVINCE_GOVERNMENT, case_id, target=COUNTY, summary="总体良好",
                             findings=[], requirements=[])
    await province.cases.run("close", PROVINCE_AGENCY, case_id, summary="办结")

    answer = await county_http("POST", f"/v1/received-cases/{record_id(case_id)}/self-inspection",
                               json={"report": "已逐项自查"})

    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = {}

    async def refused() -> bool:
        found.update(listed(await county_http("GET", "/v1/received-cases")))
        return [s["status"] for s in found[str(case_id)]["sent"]] == ["refused"]

    await until_answered(refused, "the self-inspection refused on Nanguan's node")
    assert found[str(case_id)]["sent"][0]["refusal"]["reason"] == "wrong-state"
