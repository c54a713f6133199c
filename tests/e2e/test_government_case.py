"""A government case (以政府名义) over HTTP, from its proposal (立项) to its closure (办结)."""

from __future__ import annotations

import pytest

from tests.e2e import steps


async def _whole_lifecycle(api: steps.Api) -> dict:
    case_id = await steps.delivered(api)
    await steps.review_amended(api, case_id)
    await steps.rectify(api, case_id, "r1")
    await steps.commend(api, case_id)
    response = await steps.close(api, case_id)
    assert response.status_code == 200, response.text
    return response.json()


async def test_government_case_runs_from_proposal_to_closure(api):
    closed = await _whole_lifecycle(api)

    assert closed["state"] == "closed"


@pytest.mark.postgres
@pytest.mark.parametrize("store_url", ["postgres"], indirect=True)
async def test_government_case_runs_from_proposal_to_closure_on_postgresql(api):
    closed = await _whole_lifecycle(api)

    assert closed["state"] == "closed"


async def test_notice_counts_working_days_not_weekdays_across_national_day(api):
    case_id = await steps.planned(api)

    # 2026-10-01, 02 and 05 are weekdays but holidays: no working day lies between.
    refused = await steps.notify(api, case_id, on="2026-09-30", starts="2026-10-05")

    assert refused.status_code == 422
    assert refused.json()["type"] == "urn:ducha:problem:invalid-command"


async def test_notice_counts_the_adjusted_working_saturday(api):
    case_id = await steps.planned(api)

    # 10-08, 10-09 and the adjusted working Saturday 10-10 (调休) are three working days.
    accepted = await steps.notify(api, case_id, on="2026-09-30", starts="2026-10-10")

    assert accepted.status_code == 200, accepted.text


async def test_case_cannot_close_while_a_requirement_is_open(api):
    case_id = await steps.delivered(api)

    refused = await steps.close(api, case_id)

    assert refused.status_code == 409
    assert refused.json()["type"] == "urn:ducha:problem:wrong-state"
    assert "r1" in refused.json()["detail"]
