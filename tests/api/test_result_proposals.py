"""Proposals on results (表扬、批评、问责建议, Art. 21) stay inside until approved: the office that proposed one, the
government and its head who approve it, and auditors read it; no other department of the level, nor another
level's office, reads it — in a unit's or a person's records nor in the case's history. Once approved it is
a record like any other."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import pytest

from domain.actor import Role
from tests.api.builders import AGENCY, DEPARTMENT, GOVERNMENT, LEADER
from tests.federation.cases import CITY_AGENCY, city_case_reported
from tests.projections.story import LEADER as PROVINCE_LEADER
from tests.projections.story import OFFICE, run_story_on

AUDITOR = ("220000", Role.AUDITOR)
PROPOSAL = {"proposal_id": "p9", "unit": "220100", "person": "长春市王", "grounds": "拟通报：台账造假"}
READ_PATHS = ("/v1/units/220100/accountability", "/v1/people/长春市王/accountability")


async def _proposed(node, command: str = "propose-criticism") -> tuple[str, int]:
    """The story's case with its results, and one more proposal the government has not approved."""
    case_id, _ = await run_story_on(node, "results")
    outcome = await node.cases.run(command, OFFICE, case_id, on=date(2026, 11, 24), **PROPOSAL)
    return str(case_id), outcome.position


async def _records(client, auth, who, path: str, position: int) -> list[dict]:
    response = await client.get(path, params={"after": position}, headers=auth(who))
    assert response.status_code == 200, response.text
    return [r for r in response.json()["items"] if r["record_id"] == "p9"]


async def _history_types(client, auth, who, case_id: str, position: int) -> list[str]:
    response = await client.get(f"/v1/cases/{case_id}/history", params={"after": position}, headers=auth(who))
    assert response.status_code == 200, response.text
    return [e["type"] for e in response.json()["events"]]


@pytest.mark.parametrize("path", READ_PATHS)
@pytest.mark.parametrize("command", ["propose-criticism", "propose-accountability", "propose-commendation"])
async def test_another_department_of_the_level_does_not_read_a_proposal_not_yet_approved(
    client, auth, node, path, command
):
    _, position = await _proposed(node, command)

    assert await _records(client, auth, DEPARTMENT, path, position) == []


async def test_another_department_of_the_level_does_not_read_the_proposal_in_the_case_history(client, auth, node):
    case_id, position = await _proposed(node)

    types = await _history_types(client, auth, DEPARTMENT, case_id, position)

    assert "CriticismProposed" in await _history_types(client, auth, AGENCY, case_id, position)
    assert types.count("CriticismProposed") == 1  # the story's own, approved since; not p9


@pytest.mark.parametrize("who", [AGENCY, GOVERNMENT, LEADER, AUDITOR], ids=["office", "government", "leader", "auditor"])
@pytest.mark.parametrize("path", READ_PATHS)
async def test_the_office_its_approvers_and_auditors_read_the_proposal(client, auth, node, who, path):
    _, position = await _proposed(node)

    assert [r["state"] for r in await _records(client, auth, who, path, position)] == ["proposed"]


async def test_once_approved_the_department_reads_the_record_and_its_proposal(client, auth, node):
    case_id, _ = await _proposed(node)
    outcome = await node.cases.run("criticize", PROVINCE_LEADER, UUID(case_id), on=date(2026, 11, 24), proposal_id="p9")

    records = await _records(client, auth, DEPARTMENT, READ_PATHS[0], outcome.position)
    types = await _history_types(client, auth, DEPARTMENT, case_id, outcome.position)

    assert [r["state"] for r in records] == ["approved"]
    assert types.count("CriticismProposed") == 2


async def test_a_higher_level_s_office_does_not_read_a_lower_level_s_proposal(client, auth, node):
    case_id = await city_case_reported(node)
    outcome = await node.cases.run("propose-criticism", CITY_AGENCY, case_id, on=date(2026, 11, 11), **(
        PROPOSAL | {"unit": "220102"}))
    path = "/v1/units/220102/accountability"

    province = await _records(client, auth, AGENCY, path, outcome.position)
    city = await _records(client, auth, ("220100-DCS", Role.AGENCY), path, outcome.position)
    auditor = await _records(client, auth, AUDITOR, path, outcome.position)

    assert (len(province), len(city), len(auditor)) == (0, 1, 1)
