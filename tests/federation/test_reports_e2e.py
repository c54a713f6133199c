"""End to end on the real three-level federation (leaf-linked nats-servers, a node on each): Changchun's closed
case and Nanguan's burden reach the province's province-wide views, the county's through its city."""

from __future__ import annotations

from domain.actor import Actor, Role
from projections.province_board import board_page
from projections.province_burden import unit_burden
from tests.federation.builders import CITY, COUNTY, COUNTY_UNIT, DEADLINE, PROVINCE
from tests.federation.cases import city_case_closed
from tests.federation.test_federation_e2e import levels, until  # noqa: F401 (the servers and nodes fixture)

COUNTY_AGENCY = Actor("220102-DCS", Role.AGENCY, "区督查员")


def province_row(levels_, case_id) -> dict | None:
    return next((r for r in board_page(levels_.nodes[PROVINCE].views)[0] if r["case_id"] == str(case_id)), None)


async def nanguan_reports_progress(levels_) -> None:
    """Nanguan's own ledger: a task of its office, accepted and reported on by the district (one report received)."""
    tasks = levels_.nodes[COUNTY].tasks
    task = await tasks.register(
        COUNTY_AGENCY, title="背街小巷改造", source="work-report", responsible_unit=COUNTY, responsible_person="区经办",
        responsible_leader="副区长", deadline=DEADLINE, standard="改造30条",
    )
    await tasks.run("accept", COUNTY_UNIT, task.aggregate.id)
    await tasks.run("report-progress", COUNTY_UNIT, task.aggregate.id, percent=30, narrative="完成三成")


async def test_a_closed_changchun_case_and_nanguans_burden_reach_the_province(levels):  # noqa: F811
    case_id = await city_case_closed(levels.nodes[CITY])
    await nanguan_reports_progress(levels)

    await until(lambda: province_row(levels, case_id)["state"] == "closed", "the closed case is on the province's board")
    await until(
        lambda: unit_burden(levels.nodes[PROVINCE].views, COUNTY, 2026)["counts"]["reports"] == 1,
        "Nanguan's report is in the province's burden total",
    )
    row = province_row(levels, case_id)
    assert (row["level"], row["source"], row["sender"], row["closed_on"]) == (CITY, "reported", CITY, "2026-11-13")
    assert unit_burden(levels.nodes[PROVINCE].views, COUNTY, 2026)["reported_by"] == {
        CITY: {"on_site_visits": 0, "material_requests": 0, "reports": 1}
    }
