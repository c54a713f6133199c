"""A department's special supervision (部门专项督查) and a covert case (暗访) over HTTP."""

from __future__ import annotations

import pytest

from tests.e2e import steps
from tests.e2e.steps import DEPARTMENT, GOVERNMENT, OFFICE


async def _approved_department_case(api: steps.Api) -> str:
    body = steps.proposal(case_type="special", topic="livelihood", title="农村饮水安全专项督查")
    case_id = await steps.propose(api, body, DEPARTMENT)
    await steps.approve(api, case_id, GOVERNMENT)
    return case_id


async def test_department_case_cannot_be_planned_before_filing(api):
    case_id = await _approved_department_case(api)

    refused = await api.post(
        f"/v1/cases/{case_id}/adopt-plan", {"on": "2026-09-03", "content": "检查饮水工程"}, DEPARTMENT
    )

    assert refused.status_code == 409
    assert refused.json()["type"] == "urn:ducha:problem:wrong-state"


@pytest.mark.parametrize(
    "store_url", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
async def test_department_case_filed_with_the_office_is_planned_by_the_department(api):
    case_id = await _approved_department_case(api)
    await api.act(case_id, "file", {"on": "2026-09-03", "remarks": "已备案"}, OFFICE)

    planned = await steps.adopt_plan(api, case_id, DEPARTMENT)

    assert planned["state"] == "planned"


async def test_covert_case_is_never_notified(api):
    case_id = await steps.planned(api, methods=["covert-visit", "inspection"])

    refused = await steps.notify(api, case_id)

    assert refused.status_code == 403
    assert refused.json()["type"] == "urn:ducha:problem:act-not-allowed"


async def test_covert_case_is_visited_without_notice(api):
    case_id = await steps.planned(api, methods=["covert-visit"])

    visited = await api.act(case_id, "conduct-site-visit", {"on": "2026-09-08", "target": "220100"})

    assert visited["state"] == "planned"
