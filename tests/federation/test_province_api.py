"""GET /v1/province/cases and /v1/province/units/{code}/burden on a started node (real NATS, real store): what
the levels below reported, recorded as the inbox records it, read by the node's own offices only."""

from __future__ import annotations

import asyncio

from domain.actor import Role
from ducha.federation.apply import Applier
from tests.api.builders import AGENCY, DEPARTMENT
from tests.api.conftest import app, auth, client, key  # noqa: F401 (the HTTP fixtures)
from tests.federation.builders import CITY, COUNTY
from tests.federation.test_reports import burden, case_report

CITY_AGENCY = ("220100-DCS", Role.AGENCY)


async def eventually(fetch, check, what: str):
    """Polls (bounded) until the projector has caught up and `check` holds of what `fetch` answers."""
    deadline = asyncio.get_running_loop().time() + 30
    while True:
        found = await fetch()
        if check(found) or asyncio.get_running_loop().time() > deadline:
            assert check(found), f"never: {what}"
            return found
        await asyncio.sleep(0.05)


async def test_the_provinces_agency_sees_a_case_reported_from_below(node, client, auth):  # noqa: F811
    report = case_report(level=CITY)
    await Applier(node.tasks).apply(report, CITY)

    async def board() -> dict:
        return (await client.get("/v1/province/cases", headers=auth(AGENCY))).json()

    found = await eventually(board, lambda b: b["total"] > 0, "the reported case is on the board")

    assert [(c["case_id"], c["source"]) for c in found["cases"]] == [(str(report.case_id), "reported")]
    assert found["by_level"] == {CITY: {"closed": 1}}


async def test_a_department_may_not_read_the_province_wide_board(client, auth):  # noqa: F811
    response = await client.get("/v1/province/cases", headers=auth(DEPARTMENT))

    assert response.status_code == 403


async def test_another_levels_office_finds_no_province_wide_board_here(client, auth):  # noqa: F811
    response = await client.get("/v1/province/cases", headers=auth(CITY_AGENCY))

    assert response.status_code == 404


async def test_a_units_province_wide_burden_sums_what_the_levels_below_reported(node, client, auth):  # noqa: F811
    await Applier(node.tasks).apply(burden({COUNTY: {"on_site_visits": 2, "material_requests": 1, "reports": 4}}), CITY)

    async def unit() -> dict:
        return (await client.get(f"/v1/province/units/{COUNTY}/burden?year=2026", headers=auth(AGENCY))).json()

    found = await eventually(unit, lambda u: u["total"] > 0, "the reported burden is counted")

    assert (found["counts"], found["own"]["reports"]) == ({"on_site_visits": 2, "material_requests": 1, "reports": 4}, 0)


async def test_the_province_wide_board_pages_and_counts_every_matching_case(node, client, auth):  # noqa: F811
    for title in ("一", "二", "三"):
        await Applier(node.tasks).apply(case_report(level=CITY, title=title), CITY)

    async def page(offset: int) -> dict:
        return (await client.get(f"/v1/province/cases?limit=2&offset={offset}", headers=auth(AGENCY))).json()

    first = await eventually(lambda: page(0), lambda b: b["total"] == 3, "the three reported cases are on the board")
    second = await page(2)

    assert (len(first["cases"]), len(second["cases"]), second["total"]) == (2, 1, 3)
    assert {c["title"] for c in first["cases"] + second["cases"]} == {"一", "二", "三"}
    assert second["by_level"] == {CITY: {"closed": 3}}


async def test_a_province_wide_page_over_the_cap_is_refused(client, auth):  # noqa: F811
    response = await client.get("/v1/province/cases?limit=201", headers=auth(AGENCY))

    assert (response.status_code, response.headers["content-type"]) == (422, "application/problem+json")
