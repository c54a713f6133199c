"""A supervision case across levels: the province's acts on a county unit go down to the county's node as the
outbox makes them, the county's inbox records them on the unit's received case, and the unit's rectification
reports and review application go back up and become the province case's own commands, once. After the
conclusion, the office's check (核查), overdue marks (逾期) and urging (催办) follow the unit down; its
self-inspection (自查) goes up."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import pytest

from domain.errors import ActNotAllowed, InvalidCommand, WrongState
from domain.received import ReceivedCase, received_case_id
from ducha.federation import state
from ducha.federation.contracts import (
    ActorRef,
    CaseConcluded,
    CaseConcludedV1,
    CaseNotified,
    CaseRectificationCompleted,
    CaseRectificationOverdue,
    CaseRectificationReported,
    CaseRectificationReturned,
    CaseRectificationVerified,
    CaseReviewDecided,
    CaseReviewRequested,
    CaseSelfInspectionSubmitted,
    CaseTargetUrged,
    CaseVisited,
    Contract,
    SignedMessage,
)
from handlers.clock import clock_actor
from projections.received_cases import received_cases
from tests.federation.builders import COUNTY, PROVINCE, message
from tests.federation.cases import (
    NANGUAN,
    PROVINCE_AGENCY,
    PROVINCE_GOVERNMENT,
    province_case_concluded,
    province_case_notified,
    province_case_planned,
    visit_nanguan,
)
from tests.federation.test_inbox import deliver
from tests.federation.test_reports import outbox

D = date.fromisoformat
AGENCY_REF = ActorRef(**PROVINCE_AGENCY.as_dict())
NANGUAN_REF = ActorRef(**NANGUAN.as_dict())
HEADER = {"level": PROVINCE, "target": COUNTY, "title": "供暖保障专项督查", "case_type": "special", "topic": "livelihood",
          "covert": False}
CASE = UUID("7a1f0c52-0d7e-4bb0-9d43-1b0e2f1c9a01")


def notice(case_id: UUID = CASE, **changes) -> CaseNotified:
    return CaseNotified(actor=AGENCY_REF, on=D("2026-11-05"), case_id=case_id, **(HEADER | changes),
                        site_work_starts=D("2026-11-12"), content="供暖保障落实情况", supervisors=["省督查员"],
                        methods=["inspection"])


def concluded(case_id: UUID = CASE) -> CaseConcluded:
    return CaseConcluded(actor=AGENCY_REF, on=D("2026-11-16"), case_id=case_id, **HEADER, summary="限期整改",
                         findings=[{"id": "F1", "item": "室温", "text": "三个小区室温不达标"}],
                         requirements=[{"id": "R1", "text": "室温达标", "deadline": D("2026-12-31")}],
                         issued_on=D("2026-11-14"), review_by=D("2026-12-16"))


def rectified(case_id: UUID, act_id: str = "a:1", unit: str = COUNTY) -> CaseRectificationReported:
    actor = ActorRef(unit=unit, role="target", person="南关区整改专班")
    return CaseRectificationReported(actor=actor, on=D("2026-11-20"), case_id=case_id, level=PROVINCE, target=unit,
                                     act_id=act_id, requirement_id="R1", progress="已完成三个小区改造", percent=40)


EVERY_NEW_CONTRACT: list[Contract] = [
    notice(),
    CaseVisited(actor=AGENCY_REF, on=D("2026-11-12"), case_id=CASE, **(HEADER | {"covert": True})),
    concluded(),
    CaseReviewDecided(actor=AGENCY_REF, on=D("2026-11-30"), case_id=CASE, **HEADER, outcome="amended", grounds="部分采纳",
                      requirements=[{"id": "R2", "text": "室温达标（调整）", "deadline": D("2027-01-31")}]),
    rectified(CASE),
    CaseRectificationCompleted(actor=NANGUAN_REF, on=D("2026-12-20"), case_id=CASE, level=PROVINCE, target=COUNTY,
                               act_id="a:2", requirement_id="R1", summary="全部达标"),
    CaseReviewRequested(actor=NANGUAN_REF, on=D("2026-11-20"), case_id=CASE, level=PROVINCE, target=COUNTY, act_id="a:3",
                        grounds="部分事实有出入"),
    CaseSelfInspectionSubmitted(actor=NANGUAN_REF, on=D("2026-11-08"), case_id=CASE, level=PROVINCE, target=COUNTY,
                                act_id="a:4", report="已逐项自查", items={"供暖": "基本达标"}),
    CaseRectificationVerified(actor=AGENCY_REF, on=D("2026-12-22"), case_id=CASE, level=PROVINCE, target=COUNTY,
                              act_id="c:20", requirement_id="R1", remarks="核查属实"),
    CaseRectificationReturned(actor=AGENCY_REF, on=D("2026-12-22"), case_id=CASE, level=PROVINCE, target=COUNTY,
                              act_id="c:21", requirement_id="R1", reason="仍有小区不达标"),
    CaseRectificationOverdue(actor=AGENCY_REF, on=D("2027-01-01"), case_id=CASE, level=PROVINCE, target=COUNTY,
                             act_id="c:22", requirement_id="R1", deadline=D("2026-12-31")),
    CaseTargetUrged(actor=AGENCY_REF, on=D("2027-01-01"), case_id=CASE, level=PROVINCE, target=COUNTY, act_id="c:23",
                    requirement_id="R1", message="请抓紧整改"),
    CaseConcludedV1(actor=AGENCY_REF, on=D("2026-11-16"), case_id=CASE, **HEADER, summary="限期整改", findings=["F1"],
                    issued_on=D("2026-11-14"), review_by=D("2026-12-16")),
]


def record(level, case_id: UUID = CASE) -> ReceivedCase | None:
    return level.node.tasks.load_or_none(received_case_id(PROVINCE, str(case_id), COUNTY))


def events(level, aggregate_type: str) -> list[str]:
    return [e.type for e in level.node.reader.envelopes(0, 10_000) if e.aggregate_type == aggregate_type]


def project(level) -> None:
    with level.node.views.transaction() as tx:
        for envelope in level.node.reader.envelopes(0, 10_000):
            level.node.projections["received_cases"].apply(tx, envelope)


# ---- the contracts ------------------------------------------------------------------------


@pytest.mark.parametrize("contract", EVERY_NEW_CONTRACT, ids=lambda c: c.name)
def test_a_case_contract_survives_the_wire_unchanged(contract):
    signed = SignedMessage(message_id="m", sender=PROVINCE, receiver=COUNTY, seq=1, previous=None,
                           body=contract.model_dump(mode="json"))

    assert SignedMessage.model_validate_json(signed.model_dump_json()).contract() == contract


def test_a_conclusion_is_sent_as_version_2_with_its_findings_texts():
    body = concluded().model_dump(mode="json")

    assert (body["version"], body["findings"]) == (2, [{"id": "F1", "item": "室温", "text": "三个小区室温不达标"}])


# ---- down: what the province's outbox sends -----------------------------------------------


async def test_a_notice_to_a_county_unit_goes_to_the_countys_node(make_level):
    province = make_level(PROVINCE, [COUNTY])
    case_id = await province_case_notified(province.node)

    province.outbox.collect()

    (sent,) = [m for m in outbox(province) if m.body["name"] == "CaseNotified"]
    assert (sent.receiver, sent.body["case_id"], sent.body["target"], sent.body["site_work_starts"]) == (
        COUNTY, str(case_id), COUNTY, "2026-11-12")


async def test_a_covert_case_sends_nothing_down_before_its_visit(make_level):
    province = make_level(PROVINCE, [COUNTY])
    await province_case_planned(province.node, covert=True)
    open_case = await province_case_notified(province.node)

    province.outbox.collect()

    assert [(m.body["name"], m.body["case_id"]) for m in outbox(province) if m.receiver == COUNTY] == [
        ("CaseNotified", str(open_case))]


async def test_a_covert_case_reaches_the_countys_node_with_its_visit(make_level):
    province = make_level(PROVINCE, [COUNTY])
    case_id = await province_case_planned(province.node, covert=True)

    await visit_nanguan(province.node, case_id)
    province.outbox.collect()

    (sent,) = [m for m in outbox(province) if m.body["name"] == "CaseVisited"]
    assert (sent.receiver, sent.body["covert"], sent.body["on"]) == (COUNTY, True, "2026-11-12")


async def test_a_delivered_conclusion_goes_down_with_its_requirements_and_its_review_period(make_level):
    province = make_level(PROVINCE, [COUNTY])
    await province_case_concluded(province.node)

    province.outbox.collect()

    (sent,) = [m for m in outbox(province) if m.body["name"] == "CaseConcluded"]
    assert (sent.body["summary"], sent.body["requirements"], sent.body["issued_on"], sent.body["review_by"]) == (
        "限期整改", [{"id": "R1", "text": "室温达标", "deadline": "2026-12-31"}], "2026-11-14", "2026-12-16")


# ---- down: what the county's inbox records ------------------------------------------------


async def test_a_notice_from_the_province_opens_the_units_received_case(make_level, keys):
    county = make_level(COUNTY)

    await deliver(county, message(notice(), sender=PROVINCE, receiver=COUNTY, key=keys[PROVINCE]))

    found = record(county)
    assert (found.target, found.sender, found.state, found.notice["content"]) == (COUNTY, PROVINCE, "notified", "供暖保障落实情况")


async def test_a_notice_applied_twice_is_recorded_once(make_level):
    county = make_level(COUNTY)

    await county.inbox.applier.apply(notice(), PROVINCE)
    await county.inbox.applier.apply(notice(), PROVINCE)

    assert events(county, "receivedcase") == ["ReceivedCaseOpened", "NoticeReceived"]


async def test_a_conclusion_applied_twice_is_recorded_once(make_level):
    county = make_level(COUNTY)

    await county.inbox.applier.apply(concluded(), PROVINCE)
    await county.inbox.applier.apply(concluded(), PROVINCE)

    assert events(county, "receivedcase") == ["ReceivedCaseOpened", "ConclusionReceived"]


async def test_the_units_received_case_is_on_the_countys_view(make_level):
    county = make_level(COUNTY)
    await county.inbox.applier.apply(notice(), PROVINCE)
    await county.inbox.applier.apply(concluded(), PROVINCE)

    project(county)

    (row,) = received_cases(county.node.views)
    assert (row["case_id"], row["state"], row["notice"]["site_work_starts"], row["requirements"][0]["id"]) == (
        str(CASE), "concluded", "2026-11-12", "R1")


async def test_a_case_sent_by_a_level_that_does_not_run_it_is_refused(make_level):
    county = make_level(COUNTY)

    with pytest.raises(ActNotAllowed):
        await county.inbox.applier.apply(notice(), "220100")

    assert record(county) is None


async def test_a_case_on_a_unit_the_node_does_not_serve_is_refused(make_level):
    county = make_level(COUNTY)

    with pytest.raises(ActNotAllowed):
        await county.inbox.applier.apply(notice(target="220200"), PROVINCE)


async def test_a_notice_sent_up_is_dead_lettered_as_the_wrong_direction(make_level, keys):
    province = make_level(PROVINCE, [COUNTY])

    await deliver(province, message(notice(), sender=COUNTY, receiver=PROVINCE, key=keys[COUNTY]))

    (dead,) = state.dead_letters(province.node.views)
    assert dead["reason"].startswith("wrong direction") and events(province, "receivedcase") == []


async def test_a_rectification_report_sent_down_is_dead_lettered_as_the_wrong_direction(make_level, keys):
    county = make_level(COUNTY)

    await deliver(county, message(rectified(CASE), sender=PROVINCE, receiver=COUNTY, key=keys[PROVINCE]))

    (dead,) = state.dead_letters(county.node.views)
    assert dead["reason"].startswith("wrong direction")


# ---- up: the target's acts from its own node ----------------------------------------------


async def received_conclusion(county) -> UUID:
    await county.inbox.applier.apply(concluded(), PROVINCE)
    return received_case_id(PROVINCE, str(CASE), COUNTY)


async def test_the_units_rectification_report_goes_up_to_the_cases_node(make_level):
    county = make_level(COUNTY)
    record_id = await received_conclusion(county)

    outcome = await county.node.received.run("report-rectification", NANGUAN, record_id, on=D("2026-11-20"),
                                             requirement_id="R1", progress="已完成三个小区改造", percent=40)
    county.outbox.collect()

    (sent,) = outbox(county)
    assert (sent.receiver, sent.body["name"], sent.body["case_id"], sent.body["act_id"], sent.body["percent"]) == (
        PROVINCE, "CaseRectificationReported", str(CASE), f"{record_id}:{outcome.version}", 40)


async def test_the_units_completion_claim_goes_up_as_a_completion(make_level):
    county = make_level(COUNTY)
    record_id = await received_conclusion(county)

    await county.node.received.run("report-rectification", NANGUAN, record_id, on=D("2026-11-20"), requirement_id="R1",
                                   progress="全部达标", completed=True)
    county.outbox.collect()

    assert [(m.body["name"], m.body["summary"]) for m in outbox(county)] == [("CaseRectificationCompleted", "全部达标")]


async def test_the_units_review_application_goes_up(make_level):
    county = make_level(COUNTY)
    record_id = await received_conclusion(county)

    await county.node.received.run("request-review", NANGUAN, record_id, on=D("2026-11-20"), grounds="部分事实有出入")
    county.outbox.collect()

    assert [(m.receiver, m.body["name"], m.body["grounds"]) for m in outbox(county)] == [
        (PROVINCE, "CaseReviewRequested", "部分事实有出入")]


async def test_a_review_application_after_the_period_is_refused_on_the_units_node(make_level, clock):
    county = make_level(COUNTY)
    record_id = await received_conclusion(county)
    clock.set(clock.now().replace(month=12, day=20))

    with pytest.raises(InvalidCommand):
        await county.node.received.run("request-review", NANGUAN, record_id, on=D("2026-12-17"), grounds="理由")


async def test_another_unit_may_not_report_on_the_units_received_case(make_level):
    county = make_level(COUNTY)
    record_id = await received_conclusion(county)
    other = NANGUAN.__class__("220102-JYJ", NANGUAN.role, "区教育局")

    with pytest.raises(ActNotAllowed):
        await county.node.received.run("report-rectification", other, record_id, requirement_id="R1", progress="进展")


# ---- up: what the province's inbox records ------------------------------------------------


def case_events(level, case_id: UUID) -> list[str]:
    return [e.type for e in level.node.reader.envelopes(0, 10_000) if e.aggregate_id == case_id]


async def test_the_units_rectification_report_becomes_the_province_cases_own(make_level):
    province = make_level(PROVINCE, [COUNTY])
    case_id = await province_case_concluded(province.node)

    await province.inbox.applier.apply(rectified(case_id), COUNTY)

    case = province.node.writer.app.repository.get(case_id)
    assert (case_events(province, case_id)[-1], case.requirements["R1"].status.value) == (
        "RectificationReported", "in-progress")


async def test_a_rectification_report_applied_twice_is_recorded_once(make_level):
    province = make_level(PROVINCE, [COUNTY])
    case_id = await province_case_concluded(province.node)

    await province.inbox.applier.apply(rectified(case_id), COUNTY)
    await province.inbox.applier.apply(rectified(case_id), COUNTY)

    assert case_events(province, case_id).count("RectificationReported") == 1


async def test_the_units_review_application_opens_the_province_cases_review(make_level):
    province = make_level(PROVINCE, [COUNTY])
    case_id = await province_case_concluded(province.node)
    applied = CaseReviewRequested(actor=NANGUAN_REF, on=D("2026-11-20"), case_id=case_id, level=PROVINCE, target=COUNTY,
                                  act_id="a:3", grounds="部分事实有出入")

    await province.inbox.applier.apply(applied, COUNTY)

    case = province.node.writer.app.repository.get(case_id)
    assert case.conclusions[COUNTY]["review_open"] is True


async def test_an_act_of_a_unit_the_sender_does_not_serve_is_refused(make_level):
    province = make_level(PROVINCE, [COUNTY])
    case_id = await province_case_concluded(province.node)

    with pytest.raises(ActNotAllowed):
        await province.inbox.applier.apply(rectified(case_id, unit="220200"), COUNTY)

    assert "RectificationReported" not in case_events(province, case_id)


# ---- after the conclusion: the office's check, overdue marks and urging, down --------------


async def province_case_with_a_finding(node) -> UUID:
    """The open case notified and visited, finding F1 recorded on Nanguan, reported, concluded citing F1, delivered."""
    case_id = await province_case_notified(node)
    await visit_nanguan(node, case_id)
    await node.cases.run("record-finding", PROVINCE_AGENCY, case_id, on=D("2026-11-12"), finding_id="F1", target=COUNTY,
                         item="室温", text="三个小区室温不达标")
    await node.cases.run("submit-report", PROVINCE_AGENCY, case_id, on=D("2026-11-13"), summary="部分小区供暖不达标")
    await node.cases.run(
        "issue-conclusion", PROVINCE_GOVERNMENT, case_id, on=D("2026-11-14"), target=COUNTY, summary="限期整改",
        findings=["F1"], requirements=[{"id": "R1", "text": "室温达标", "deadline": D("2026-12-31")}],
    )
    await node.cases.run("deliver-conclusion", PROVINCE_AGENCY, case_id, on=D("2026-11-16"), target=COUNTY)
    return case_id


async def province_case_claimed(node) -> UUID:
    """The concluded case, Nanguan's claim that R1 is rectified recorded on 11-20."""
    case_id = await province_case_concluded(node)
    await node.cases.run("complete-rectification", NANGUAN, case_id, on=D("2026-11-20"), requirement_id="R1",
                         summary="全部达标")
    return case_id


def sent_named(level, name: str) -> list[SignedMessage]:
    level.outbox.collect()
    return [m for m in outbox(level) if m.body["name"] == name]


async def test_a_delivered_conclusion_carries_the_texts_of_its_findings(make_level):
    province = make_level(PROVINCE, [COUNTY])
    await province_case_with_a_finding(province.node)

    (sent,) = sent_named(province, "CaseConcluded")

    assert (sent.body["version"], sent.body["findings"]) == (2, [{"id": "F1", "item": "室温", "text": "三个小区室温不达标"}])


async def test_the_offices_verification_goes_down_to_the_requirements_target(make_level):
    province = make_level(PROVINCE, [COUNTY])
    case_id = await province_case_claimed(province.node)

    outcome = await province.node.cases.run("verify-rectification", PROVINCE_AGENCY, case_id, on=D("2026-11-24"),
                                            requirement_id="R1", remarks="核查属实")

    (sent,) = sent_named(province, "CaseRectificationVerified")
    assert (sent.receiver, sent.body["target"], sent.body["requirement_id"], sent.body["remarks"], sent.body["act_id"]) == (
        COUNTY, COUNTY, "R1", "核查属实", f"{case_id}:{outcome.version}")


async def test_the_offices_return_goes_down_with_its_reason(make_level):
    province = make_level(PROVINCE, [COUNTY])
    case_id = await province_case_claimed(province.node)

    await province.node.cases.run("return-rectification", PROVINCE_AGENCY, case_id, on=D("2026-11-24"),
                                  requirement_id="R1", reason="仍有小区不达标")

    (sent,) = sent_named(province, "CaseRectificationReturned")
    assert (sent.receiver, sent.body["requirement_id"], sent.body["reason"]) == (COUNTY, "R1", "仍有小区不达标")


async def test_the_clocks_overdue_mark_and_urging_go_down(make_level, clock):
    province = make_level(PROVINCE, [COUNTY])
    case_id = await province_case_concluded(province.node)
    clock.set(clock.now().replace(year=2027, month=1, day=5))

    await province.node.cases.run_clock(clock_actor(PROVINCE), case_id)

    province.outbox.collect()
    assert [(m.body["name"], m.body["requirement_id"], m.body["on"]) for m in outbox(province)
            if m.body["name"] in ("CaseRectificationOverdue", "CaseTargetUrged")] == [
        ("CaseRectificationOverdue", "R1", "2027-01-05"), ("CaseTargetUrged", "R1", "2027-01-05")]


async def test_urging_a_covert_cases_target_before_its_visit_sends_nothing(make_level):
    province = make_level(PROVINCE, [COUNTY])
    case_id = await province_case_planned(province.node, covert=True)

    await province.node.cases.run("urge-target", PROVINCE_AGENCY, case_id, on=D("2026-11-06"), target=COUNTY,
                                  message="请做好准备")

    assert sent_named(province, "CaseTargetUrged") == []


# ---- after the conclusion: what the county's inbox records ---------------------------------


def act_down(kind, act_id: str = "c:20", **fields) -> Contract:
    defaults = {CaseRectificationVerified: {"requirement_id": "R1", "remarks": "核查属实"},
                CaseRectificationReturned: {"requirement_id": "R1", "reason": "仍有小区不达标"},
                CaseRectificationOverdue: {"requirement_id": "R1", "deadline": D("2026-12-31")},
                CaseTargetUrged: {"requirement_id": "R1", "message": "请抓紧整改"}}[kind]
    return kind(actor=AGENCY_REF, on=D("2026-12-22"), case_id=CASE, level=PROVINCE, target=COUNTY, act_id=act_id,
                **(defaults | fields))


def requirement(level) -> dict:
    return record(level).requirements["R1"]


async def test_a_verification_marks_the_units_requirement_verified(make_level):
    county = make_level(COUNTY)
    await received_conclusion(county)

    await county.inbox.applier.apply(act_down(CaseRectificationVerified), PROVINCE)

    assert (requirement(county)["status"], requirement(county)["remarks"]) == ("verified", "核查属实")


async def test_a_verification_applied_twice_is_recorded_once(make_level):
    county = make_level(COUNTY)
    await received_conclusion(county)

    await county.inbox.applier.apply(act_down(CaseRectificationVerified), PROVINCE)
    await county.inbox.applier.apply(act_down(CaseRectificationVerified), PROVINCE)

    assert events(county, "receivedcase").count("VerificationReceived") == 1


async def test_a_second_return_of_the_same_requirement_is_recorded_as_its_own_act(make_level):
    county = make_level(COUNTY)
    await received_conclusion(county)

    await county.inbox.applier.apply(act_down(CaseRectificationReturned, "c:20", reason="第一次退回"), PROVINCE)
    await county.inbox.applier.apply(act_down(CaseRectificationReturned, "c:24", reason="第二次退回"), PROVINCE)

    assert (events(county, "receivedcase").count("ReturnReceived"), requirement(county)["reason"]) == (2, "第二次退回")


async def test_the_units_view_shows_its_requirement_returned_overdue_and_urged(make_level):
    county = make_level(COUNTY)
    await received_conclusion(county)
    for contract in (act_down(CaseRectificationReturned, "c:20"), act_down(CaseRectificationOverdue, "c:21"),
                     act_down(CaseTargetUrged, "c:22")):
        await county.inbox.applier.apply(contract, PROVINCE)

    project(county)

    (row,) = received_cases(county.node.views)
    (standing,) = row["requirements"]
    assert (standing["status"], standing["reason"], standing["overdue"], row["urged"]) == (
        "returned", "仍有小区不达标", True, [{"on": "2026-12-22", "requirement_id": "R1", "message": "请抓紧整改"}])


async def test_the_units_view_shows_a_verified_requirement(make_level):
    county = make_level(COUNTY)
    await received_conclusion(county)
    await county.inbox.applier.apply(act_down(CaseRectificationVerified), PROVINCE)

    project(county)

    (row,) = received_cases(county.node.views)
    assert [(r["id"], r["status"], r["verified_on"]) for r in row["requirements"]] == [("R1", "verified", "2026-12-22")]


async def test_the_units_view_shows_the_findings_of_its_conclusion(make_level):
    county = make_level(COUNTY)
    await received_conclusion(county)

    project(county)

    (row,) = received_cases(county.node.views)
    assert row["conclusion"]["findings"] == [{"id": "F1", "item": "室温", "text": "三个小区室温不达标"}]


async def test_a_version_1_conclusion_is_still_recorded_with_its_findings_by_id(make_level):
    county = make_level(COUNTY)
    (v1,) = [c for c in EVERY_NEW_CONTRACT if isinstance(c, CaseConcludedV1)]

    await county.inbox.applier.apply(v1, PROVINCE)

    assert record(county).conclusion["findings"] == [{"id": "F1", "item": None, "text": None}]


async def test_a_check_of_a_case_never_received_is_dead_lettered(make_level, keys):
    county = make_level(COUNTY)

    await deliver(county, message(act_down(CaseRectificationVerified), sender=PROVINCE, receiver=COUNTY, key=keys[PROVINCE]))

    (dead,) = state.dead_letters(county.node.views)
    assert dead["reason"].startswith("refused: case") and record(county) is None


async def test_a_check_of_a_requirement_the_unit_never_received_is_refused(make_level):
    county = make_level(COUNTY)
    await received_conclusion(county)

    with pytest.raises(InvalidCommand):
        await county.inbox.applier.apply(act_down(CaseRectificationVerified, requirement_id="R9"), PROVINCE)

    assert "VerificationReceived" not in events(county, "receivedcase")


async def test_a_check_sent_by_a_level_that_does_not_run_the_case_is_refused(make_level):
    county = make_level(COUNTY)
    await received_conclusion(county)

    with pytest.raises(ActNotAllowed):
        await county.inbox.applier.apply(act_down(CaseRectificationVerified), "220100")


async def test_a_verified_requirement_takes_no_more_reports_on_the_units_node(make_level):
    county = make_level(COUNTY)
    record_id = await received_conclusion(county)
    await county.inbox.applier.apply(act_down(CaseRectificationVerified), PROVINCE)

    with pytest.raises(WrongState):
        await county.node.received.run("report-rectification", NANGUAN, record_id, on=D("2026-12-23"),
                                       requirement_id="R1", progress="补充")


# ---- the self-inspection (自查), up ----------------------------------------------------------


async def received_notice(county) -> UUID:
    await county.inbox.applier.apply(notice(), PROVINCE)
    return received_case_id(PROVINCE, str(CASE), COUNTY)


async def test_the_units_self_inspection_goes_up_to_the_cases_node(make_level):
    county = make_level(COUNTY)
    record_id = await received_notice(county)

    outcome = await county.node.received.run("submit-self-inspection", NANGUAN, record_id, on=D("2026-11-08"),
                                             report="已逐项自查", items={"供暖": "基本达标"})
    county.outbox.collect()

    (sent,) = outbox(county)
    assert (sent.receiver, sent.body["name"], sent.body["report"], sent.body["items"], sent.body["act_id"]) == (
        PROVINCE, "CaseSelfInspectionSubmitted", "已逐项自查", {"供暖": "基本达标"}, f"{record_id}:{outcome.version}")


async def test_the_units_self_inspection_is_on_its_view_as_sent(make_level):
    county = make_level(COUNTY)
    record_id = await received_notice(county)
    outcome = await county.node.received.run("submit-self-inspection", NANGUAN, record_id, on=D("2026-11-08"),
                                             report="已逐项自查")

    project(county)

    (row,) = received_cases(county.node.views)
    assert row["sent"] == [{"kind": "self-inspection", "on": "2026-11-08", "act_id": f"{record_id}:{outcome.version}",
                            "status": "sent", "report": "已逐项自查", "items": {}}]


async def test_a_self_inspection_after_the_conclusion_is_refused_on_the_units_node(make_level):
    county = make_level(COUNTY)
    record_id = await received_conclusion(county)

    with pytest.raises(WrongState):
        await county.node.received.run("submit-self-inspection", NANGUAN, record_id, on=D("2026-11-20"), report="自查")


async def test_another_unit_may_not_self_inspect_for_the_unit(make_level):
    county = make_level(COUNTY)
    record_id = await received_notice(county)
    other = NANGUAN.__class__("220102-JYJ", NANGUAN.role, "区教育局")

    with pytest.raises(ActNotAllowed):
        await county.node.received.run("submit-self-inspection", other, record_id, on=D("2026-11-08"), report="自查")


def self_inspected(case_id: UUID, act_id: str = "r:3") -> CaseSelfInspectionSubmitted:
    return CaseSelfInspectionSubmitted(actor=NANGUAN_REF, on=D("2026-11-08"), case_id=case_id, level=PROVINCE,
                                       target=COUNTY, act_id=act_id, report="已逐项自查", items={"供暖": "基本达标"})


async def test_the_units_self_inspection_becomes_the_province_cases_own(make_level):
    province = make_level(PROVINCE, [COUNTY])
    case_id = await province_case_notified(province.node)

    await province.inbox.applier.apply(self_inspected(case_id), COUNTY)

    (submitted,) = [e for e in province.node.reader.envelopes(0, 10_000) if e.type == "SelfInspectionSubmitted"]
    assert (submitted.aggregate_id, submitted.actor["unit"], submitted.actor["role"], submitted.payload["items"]) == (
        case_id, COUNTY, "target", {"供暖": "基本达标"})


async def test_a_self_inspection_applied_twice_is_recorded_once(make_level):
    province = make_level(PROVINCE, [COUNTY])
    case_id = await province_case_notified(province.node)

    await province.inbox.applier.apply(self_inspected(case_id), COUNTY)
    await province.inbox.applier.apply(self_inspected(case_id), COUNTY)

    assert case_events(province, case_id).count("SelfInspectionSubmitted") == 1


def review_decided(outcome: str, requirements: list[dict]) -> CaseReviewDecided:
    return CaseReviewDecided(actor=AGENCY_REF, on=D("2026-12-10"), case_id=CASE, **HEADER, outcome=outcome, grounds="复核",
                             requirements=requirements)


async def test_an_upheld_review_keeps_where_the_units_requirement_stood(make_level):
    county = make_level(COUNTY)
    await received_conclusion(county)
    await county.inbox.applier.apply(act_down(CaseRectificationReturned), PROVINCE)

    await county.inbox.applier.apply(review_decided("upheld", [{"id": "R1", "text": "室温达标", "deadline": D("2026-12-31")}]),
                                     PROVINCE)

    assert requirement(county)["status"] == "returned"


async def test_an_amending_review_sets_the_units_requirements_afresh(make_level):
    county = make_level(COUNTY)
    await received_conclusion(county)
    await county.inbox.applier.apply(act_down(CaseRectificationReturned), PROVINCE)

    await county.inbox.applier.apply(
        review_decided("amended", [{"id": "R1", "text": "室温达标（调整）", "deadline": D("2027-01-31")}]), PROVINCE)

    assert (requirement(county)["status"], requirement(county)["text"]) == ("open", "室温达标（调整）")


async def test_the_units_view_keeps_a_requirements_standing_through_an_upheld_review(make_level):
    county = make_level(COUNTY)
    await received_conclusion(county)
    await county.inbox.applier.apply(act_down(CaseRectificationReturned), PROVINCE)
    await county.inbox.applier.apply(review_decided("upheld", [{"id": "R1", "text": "室温达标", "deadline": D("2026-12-31")}]),
                                     PROVINCE)

    project(county)

    (row,) = received_cases(county.node.views)
    assert [(r["id"], r["status"], r["reason"]) for r in row["requirements"]] == [("R1", "returned", "仍有小区不达标")]
