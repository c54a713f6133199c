"""Leads (线索) over HTTP: public submission with a receipt code, following it, the office's commands."""

from __future__ import annotations

import asyncio
from uuid import UUID

import pytest

from domain.actor import Role
from tests.e2e.steps import OFFICE, TARGET, Api

LEAD = {"channel": "platform", "content": "某街道违规收取办证费用", "about_unit": "220102",
        "informant": {"name": "张三", "contact": "13800000000"}}


@pytest.fixture
def store_url() -> None:
    return None


@pytest.fixture
def api(client, auth) -> Api:
    return Api(client, auth)


@pytest.fixture
def submit(client):
    async def run(body: dict | None = None) -> dict:
        response = await client.post("/v1/leads", json=body or LEAD)
        assert response.status_code == 201, response.text
        return response.json()

    return run


async def test_public_submits_a_lead_without_a_token_and_gets_a_receipt_code(client):
    response = await client.post("/v1/leads", json=LEAD)

    assert response.status_code == 201
    body = response.json()
    assert body["state"] == "submitted" and len(body["receipt_code"]) == 16
    assert response.headers["Location"] == f"/v1/leads/{body['receipt_code']}"


async def test_submission_is_recorded_as_the_public_with_the_informant_kept_on_the_lead(client, node, submit):
    receipt = await submit()

    lead = await asyncio.to_thread(node.app.repository.get, UUID(receipt["id"]))

    assert lead.informant == {"name": "张三", "contact": "13800000000"}
    history = await asyncio.to_thread(lambda: list(node.app.events.get(UUID(receipt["id"]))))
    assert history[0].actor == {"unit": "220000", "role": Role.PUBLIC.value, "person": "public"}


async def test_receipt_code_shows_the_status_and_nothing_else(client, submit):
    receipt = await submit()

    response = await client.get(f"/v1/leads/{receipt['receipt_code']}")

    assert response.status_code == 200
    assert response.json() == {"state": "submitted", "submitted_on": "2026-11-25", "updated_on": "2026-11-25"}


async def test_unknown_receipt_code_is_not_found(client):
    response = await client.get("/v1/leads/0123456789ABCDEF")

    assert response.status_code == 404
    assert response.json()["type"] == "urn:ducha:problem:not-found"


async def test_submission_with_an_unknown_field_is_refused(client):
    response = await client.post("/v1/leads", json=LEAD | {"priority": "high"})

    assert response.status_code == 422


async def test_office_sorts_and_hands_over_a_lead_and_the_submitter_sees_it(api, client, submit):
    receipt = await submit()
    lead = receipt["id"]

    await api.post(f"/v1/leads/{lead}/sort", {"category": "违规收费"}, OFFICE)
    handed = await api.post(f"/v1/leads/{lead}/hand-over", {"unit": "220100", "instructions": "请核实"}, OFFICE)

    assert handed.status_code == 200 and handed.json()["state"] == "handed-over"
    assert (await client.get(f"/v1/leads/{receipt['receipt_code']}")).json()["state"] == "handed-over"


async def test_office_commands_on_a_lead_need_a_token(client, submit):
    receipt = await submit()

    response = await client.post(f"/v1/leads/{receipt['id']}/sort", json={"category": "违规收费"})

    assert response.status_code == 401


async def test_a_target_may_not_sort_a_lead(api, submit):
    receipt = await submit()

    response = await api.post(f"/v1/leads/{receipt['id']}/sort", {"category": "违规收费"}, TARGET)

    assert response.status_code == 404  # the level's lead is outside a target's sight (api/authorization.py)


async def test_office_opens_a_lead_verification_case(api, node, submit):
    receipt = await submit()
    body = {"grounds": "线索具体", "title": "违规收费线索核查", "targets": ["220100"], "methods": ["covert-visit"],
            "window_start": "2026-12-01", "window_end": "2026-12-15"}

    response = await api.post(f"/v1/leads/{receipt['id']}/open-verification", body, OFFICE)

    assert response.status_code == 200, response.text
    assert response.json()["state"] == "under-verification"
    case = await asyncio.to_thread(node.app.repository.get, UUID(response.json()["case_id"]))
    assert case.case_type.value == "lead-verification" and case.state.value == "proposed"
