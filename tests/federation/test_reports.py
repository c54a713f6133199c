"""Case reports and burden counts going up (上报): made by the outbox, recorded by the inbox (FastStream's
in-memory broker where a message is delivered), summed by the province-wide views."""

from __future__ import annotations

from uuid import uuid4

from ducha.federation import state
from ducha.federation.contracts import ActorRef, BurdenReported, CaseReported, SignedMessage
from projections.province_board import board_page
from projections.province_burden import unit_burden
from tests.federation.builders import CITY, COUNTY, DAY, PROVINCE, message
from tests.federation.cases import CITY_AGENCY, CITY_GOVERNMENT, CITY_LEADER, D, city_case_closed, city_case_reported
from tests.federation.test_inbox import deliver

COUNTY_AGENCY = ActorRef(unit="220102-DCS", role="agency", person="区督查员")


def outbox(level) -> list[SignedMessage]:
    with level.node.views.transaction() as tx:
        rows = tx.query("SELECT data FROM fed_outbox ORDER BY receiver, seq")
    return [SignedMessage.model_validate_json(row["data"]) for row in rows]


def project(level) -> None:
    """Runs the node's views over its whole history (what its projectors do when the node runs)."""
    envelopes = level.node.reader.envelopes(0, 100_000)
    with level.node.views.transaction() as tx:
        for name in ("burden", "province_board", "province_burden"):
            for envelope in envelopes:
                level.node.projections[name].apply(tx, envelope)


def case_report(*, level: str = COUNTY, state_: str = "closed", title: str = "南关区专项督查") -> CaseReported:
    return CaseReported(
        actor=COUNTY_AGENCY, on=DAY, case_id=uuid4(), level=level, title=title, case_type="special", topic="work-report",
        covert=False, targets=["220102-JYJ"], state=state_, proposed_on=DAY, findings=2, requirements=1,
        requirements_done=1, summary="办结",
    )


def burden(counts: dict, year: int = 2026) -> BurdenReported:
    return BurdenReported(actor=COUNTY_AGENCY, on=DAY, year=year, counts=counts)


def reported_events(level) -> list[str]:
    return [e.type for e in level.node.reader.envelopes(0, 10_000) if e.aggregate_type.startswith("reported")]


async def test_a_closed_city_case_is_reported_up_at_its_report_conclusion_and_closing(make_level):
    city = make_level(CITY, [COUNTY])
    city.outbox.parent = PROVINCE
    case_id = await city_case_closed(city.node)

    city.outbox.collect()

    sent = outbox(city)
    assert [(m.receiver, m.body["name"], m.body["state"], m.body["concluded_on"]) for m in sent] == [
        (PROVINCE, "CaseReported", "reported", None), (PROVINCE, "CaseReported", "reported", "2026-11-12"),
        (PROVINCE, "CaseReported", "closed", "2026-11-12"),
    ]
    assert (sent[-1].body["case_id"], sent[-1].body["level"], sent[-1].body["closed_on"]) == (str(case_id), CITY, "2026-11-13")


async def test_a_case_report_counts_the_uses_of_results_approved_not_the_proposals_waiting(make_level):
    city = make_level(CITY, [COUNTY])
    city.outbox.parent = PROVINCE
    case_id = await city_case_reported(city.node)
    result = {"on": D("2026-11-11"), "unit": "220102"}
    await city.node.cases.run("propose-commendation", CITY_AGENCY, case_id, proposal_id="c1", grounds="推进有力", **result)
    await city.node.cases.run("commend", CITY_LEADER, case_id, on=D("2026-11-11"), proposal_id="c1")
    await city.node.cases.run("propose-criticism", CITY_AGENCY, case_id, proposal_id="p1", grounds="进度滞后", **result)
    await city.node.cases.run(
        "issue-conclusion", CITY_GOVERNMENT, case_id, on=D("2026-11-12"), target="220102", summary="总体良好", findings=[],
        requirements=[],
    )

    city.outbox.collect()

    assert outbox(city)[-1].body["results"] == {"commendation": 1}


async def test_a_report_kept_to_the_own_government_is_not_sent_up(make_level):
    city = make_level(CITY, [COUNTY])
    city.outbox.parent = PROVINCE
    await city_case_reported(city.node, report_up=False)

    city.outbox.collect()

    assert outbox(city) == []


async def test_a_case_report_from_below_shows_on_the_province_board(make_level, keys):
    province = make_level(PROVINCE, [CITY])
    report = case_report(level=CITY)

    await deliver(province, message(report, sender=CITY, receiver=PROVINCE, key=keys[CITY]))
    project(province)

    (row,) = board_page(province.node.views)[0]
    assert (row["case_id"], row["level"], row["state"], row["source"], row["sender"]) == (
        str(report.case_id), CITY, "closed", "reported", CITY
    )


async def test_the_same_case_report_sent_twice_is_recorded_once(make_level, keys):
    province = make_level(PROVINCE, [CITY])
    report = case_report(level=CITY)

    await deliver(province, message(report, sender=CITY, receiver=PROVINCE, seq=1, key=keys[CITY]))
    await deliver(province, message(report, sender=CITY, receiver=PROVINCE, seq=2, key=keys[CITY]))

    assert reported_events(province) == ["ReportedCaseOpened", "CaseReportReceived"]


async def test_a_case_report_about_a_level_outside_the_senders_jurisdiction_is_dead_lettered(make_level, keys):
    city = make_level(CITY, [COUNTY])

    await deliver(city, message(case_report(level="220200"), sender=COUNTY, receiver=CITY, key=keys[COUNTY]))

    assert reported_events(city) == []
    assert state.dead_letters(city.node.views)[0]["reason"].startswith("refused")


async def test_the_city_forwards_its_countys_case_report_to_the_province(make_level, keys):
    city = make_level(CITY, [COUNTY])
    city.outbox.parent = PROVINCE
    report = case_report(level=COUNTY)
    await deliver(city, message(report, sender=COUNTY, receiver=CITY, key=keys[COUNTY]))

    city.outbox.collect()

    (sent,) = outbox(city)
    assert (sent.receiver, sent.body["case_id"], sent.body["level"]) == (PROVINCE, str(report.case_id), COUNTY)


async def test_a_newer_burden_report_replaces_the_senders_earlier_counts(make_level, keys):
    province = make_level(PROVINCE, [CITY])
    first = burden({"220102": {"on_site_visits": 1, "material_requests": 0, "reports": 2}})
    second = burden({"220102": {"on_site_visits": 1, "material_requests": 0, "reports": 3}})

    await deliver(province, message(first, sender=CITY, receiver=PROVINCE, seq=1, key=keys[CITY]))
    await deliver(province, message(second, sender=CITY, receiver=PROVINCE, seq=2, key=keys[CITY]))
    project(province)

    found = unit_burden(province.node.views, "220102", 2026)
    assert (found["counts"], found["reported_by"]) == (
        {"on_site_visits": 1, "material_requests": 0, "reports": 3}, {CITY: {"on_site_visits": 1, "material_requests": 0, "reports": 3}}
    )


async def test_the_city_reports_its_own_burden_with_its_countys_up_once_per_change(make_level, keys):
    city = make_level(CITY, [COUNTY])
    city.outbox.parent = PROVINCE
    await city_case_reported(city.node)  # no visit, no demand: the city's own counts are all zero here
    county_counts = {"220102": {"on_site_visits": 2, "material_requests": 1, "reports": 0}}
    await deliver(city, message(burden(county_counts), sender=COUNTY, receiver=CITY, key=keys[COUNTY]))
    project(city)

    made = city.outbox.collect_burden(), city.outbox.collect_burden()

    assert made == (1, 0)
    (sent,) = [m for m in outbox(city) if m.body["name"] == "BurdenReported"]
    assert (sent.receiver, sent.body["year"], sent.body["counts"]) == (PROVINCE, 2026, county_counts)


async def test_own_cases_stand_beside_reported_ones_on_the_board(make_level, keys):
    city = make_level(CITY, [COUNTY])
    own = await city_case_reported(city.node)
    await deliver(city, message(case_report(level=COUNTY), sender=COUNTY, receiver=CITY, key=keys[COUNTY]))
    project(city)
    with city.node.views.transaction() as tx:
        for envelope in city.node.reader.envelopes(0, 10_000):
            city.node.projections["case_board"].apply(tx, envelope)

    rows = board_page(city.node.views)[0]

    assert [(r["level"], r["source"]) for r in rows] == [(CITY, "own"), (COUNTY, "reported")]
    assert rows[0]["case_id"] == str(own)
