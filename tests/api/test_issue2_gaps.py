"""Issue 2 behaviours the other API tests leave open: a token signed by another key (401), readiness of the store and of the projections' lag, and the
metrics an operator alerts on (refused commands, events published, projection lag, dead letters).

Every test runs on a started node: a real embedded nats-server and a real SQLite file (and PostgreSQL).
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from datetime import timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families

from api import ops
from ducha.keys import NodeKey
from ducha.tokens import issue_token
from tests.api.builders import DEPARTMENT, LEADER, department_proposal, proposal

WAIT = 10.0  # seconds a background effect (relay, projector) may take before a test gives up


def sample(metrics_text: str, name: str, labels: dict[str, str] | None = None) -> float | None:
    """The value of one sample of the exposition, None when it is not exposed."""
    for family in text_string_to_metric_families(metrics_text):
        for item in family.samples:
            if item.name == name and item.labels == (labels or {}):
                return item.value
    return None


async def metric(client, name: str, labels: dict[str, str] | None = None) -> float:
    return sample((await client.get("/metrics")).text, name, labels) or 0.0


async def metric_reaches(client, name: str, labels: dict[str, str] | None, at_least: float) -> float:
    """Polls /metrics until the sample reaches `at_least` (bounded by WAIT); answers the last value seen."""
    deadline = asyncio.get_running_loop().time() + WAIT
    value = await metric(client, name, labels)
    while value < at_least and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.05)
        value = await metric(client, name, labels)
    return value


async def stop_projectors(node) -> None:
    """Cancels the node's projector tasks (as Node.stop does), so that new events stay unapplied."""
    projectors = [task for task in node._tasks if task.get_name().startswith("projector")]
    for task in projectors:
        while not (await asyncio.wait({task}, timeout=1.0))[0]:
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task


async def test_readyz_answers_503_naming_the_store_when_it_cannot_be_read(client, node, monkeypatch):
    def broken() -> int:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(node.reader, "last_position", broken)

    response = await client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["checks"]["store"] == {"ok": False, "detail": "OperationalError"}


async def test_readyz_answers_503_naming_a_projection_that_lags_too_far(client, node, propose, monkeypatch):
    await stop_projectors(node)
    await propose()
    monkeypatch.setattr(ops, "MAX_READY_LAG", 0)  # one unapplied event is too far behind

    response = await client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["checks"]["projection:case_board"] == {"ok": False, "lag": 1}


async def test_command_the_domain_refuses_is_counted_under_its_problem(client, auth, propose):
    labels = {"command": "approve", "outcome": "act-not-allowed"}
    before = await metric(client, "ducha_commands_total", labels)
    case = (await propose(department_proposal(), who=DEPARTMENT)).json()

    refused = await client.post(f"/v1/cases/{case['id']}/approve", json={}, headers=auth(LEADER))  # a government's act

    assert refused.status_code == 403
    assert await metric(client, "ducha_commands_total", labels) == before + 1


async def test_events_published_by_the_relay_are_counted(client, propose):
    before = await metric(client, "ducha_events_published_total")

    await propose()

    assert await metric_reaches(client, "ducha_events_published_total", None, before + 1) == before + 1


async def test_projection_lag_is_exposed_for_every_projection_once_it_applies(client, node, propose):
    response = await propose()
    for projector in node.projectors.values():
        assert await projector.wait_for(int(response.headers["Ducha-Position"]), WAIT)

    text = (await client.get("/metrics")).text

    lags = {name: sample(text, "ducha_projection_lag_events", {"projection": name}) for name in node.projectors}
    assert lags == dict.fromkeys(node.projectors, 0.0)


async def test_projection_lag_metric_grows_while_the_projector_is_stalled(client, node, propose):
    await stop_projectors(node)

    await propose()

    assert await metric(client, "ducha_projection_lag_events", {"projection": "case_board"}) == 1


async def test_message_a_projection_cannot_read_is_counted_as_a_dead_letter(client, node):
    labels = {"projection": "case_board"}
    before = await metric(client, "ducha_dead_letters_total", labels)

    await node.js.publish(f"ducha.{node.settings.node}.evt.case.CaseProposed", b"not an envelope")

    assert await metric_reaches(client, "ducha_dead_letters_total", labels, before + 1) == before + 1


async def test_command_with_a_token_signed_by_another_key_is_unauthenticated_and_records_nothing(client, node, tmp_path):
    forger = NodeKey.load_or_create(tmp_path / "forger")
    token = issue_token(forger, node.settings.node, "220000-DCS", "agency", "王敏", timedelta(hours=1))

    response = await client.post("/v1/cases", json=proposal(), headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert node.reader.last_position() == 0
