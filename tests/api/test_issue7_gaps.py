"""Issue 7, item 5: the auditor (审计) role is read-only. An auditor's token is refused on command routes and changes
nothing, while the same token reads the board (a started node: real nats-server, real store).
"""

from __future__ import annotations

import pytest

from domain.actor import Role
from tests.api.builders import proposal

AUDITOR = ("220000", Role.AUDITOR)


async def test_auditor_may_not_propose_a_case(client, auth, node):
    response = await client.post("/v1/cases", json=proposal(), headers=auth(AUDITOR))

    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert node.reader.last_position() == 0


@pytest.mark.parametrize("command", ["approve", "reject", "file", "merge"])
async def test_auditor_may_not_act_on_a_case(client, auth, propose, node, command):
    created = (await propose()).json()

    response = await client.post(
        f"/v1/cases/{created['id']}/{command}", json={"reason": "审计不应能驳回"}, headers={**auth(AUDITOR), "If-Match": '"1"'}
    )

    assert response.status_code == 403
    assert node.reader.last_position() == created["position"]


async def test_auditor_reads_the_case_an_office_proposed(client, auth, propose):
    created = (await propose()).json()

    response = await client.get(f"/v1/cases/{created['id']}", params={"after": created["position"]}, headers=auth(AUDITOR))

    assert response.status_code == 200
