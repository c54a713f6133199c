"""GET /v1/policy: the node's policy (本地规定) as JSON."""

from __future__ import annotations

from dataclasses import fields

import pytest

from api.policy import PolicyView
from domain.policy import Policy
from tests.e2e.steps import TARGET


@pytest.fixture
def store_url() -> None:
    return None


def test_policy_view_names_every_setting_of_the_policy():
    assert set(PolicyView.model_fields) == {f.name for f in fields(Policy)}


async def test_policy_answers_the_nodes_own_settings(client, auth, node):
    node.policy = Policy(notice_working_days=5, urging_interval_days=10)

    response = await client.get("/v1/policy", headers=auth(TARGET))

    assert response.status_code == 200
    assert response.json()["notice_working_days"] == 5 and response.json()["urging_interval_days"] == 10


async def test_policy_needs_a_token(client):
    response = await client.get("/v1/policy")

    assert response.status_code == 401
