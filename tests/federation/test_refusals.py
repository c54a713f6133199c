"""An act sent up that the case's or instruction's node refuses by a rule of its domain comes back (退件,
`ActRefused`): the province's inbox records the refusal, its outbox sends it down to the county, and the unit's
record and view show the act refused with its reason. A message refused before any rule runs (forged, unsigned,
the wrong way) is never answered."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import pytest
from pydantic import ValidationError

from domain.errors import ActNotAllowed, InvalidCommand
from domain.received import ReceivedCase, received_case_id
from domain.received_instruction import ReceivedInstruction, received_instruction_id
from ducha.federation import state
from ducha.federation.apply import refuser
from ducha.federation.contracts import ActorRef, ActRefused, SignedMessage
from ducha.federation.inbox import Verdict
from projections.received_cases import received_cases
from projections.received_instructions import received_instructions
from tests.federation.builders import COUNTY, PROVINCE, message
from tests.federation.cases import NANGUAN, PROVINCE_AGENCY, PROVINCE_GOVERNMENT, province_case_notified, visit_nanguan
from tests.federation.test_cases import CASE, concluded, notice, self_inspected
from tests.federation.test_instructions import answered, province_instruction_assigned
from tests.federation.test_reports import outbox

D = date.fromisoformat
REFUSER_REF = ActorRef(**refuser(PROVINCE).as_dict())


async def pump(source, receiver) -> list[Verdict]:
    """Collects the source's outbox and hands every message it holds for the receiver to the receiver's inbox, in
    order (those handled before are replays)."""
    source.outbox.collect()
    return [await receiver.inbox.handle(m.model_dump_json().encode(), m.subject)
            for m in outbox(source) if m.receiver == receiver.inbox.node]


def refused(level) -> list[SignedMessage]:
    level.outbox.collect()
    return [m for m in outbox(level) if m.body["name"] == "ActRefused"]


def refusal(act_id: str, contract: str = "CaseSelfInspectionSubmitted", *, level: str = PROVINCE,
            **named) -> ActRefused:
    named = named or {"case_id": CASE}
    return ActRefused(actor=REFUSER_REF, on=D("2026-11-25"), refused_message_id=f"{COUNTY}>{PROVINCE}:1", act_id=act_id,
                      contract=contract, level=level, target=COUNTY, reason="wrong-state",
                      text="The act does not fit the present state", **named)


def record(level, case_id: UUID = CASE) -> ReceivedCase:
    return level.node.tasks.load(received_case_id(PROVINCE, str(case_id), COUNTY), ReceivedCase)


def project(level, name: str) -> None:
    with level.node.views.transaction() as tx:
        for envelope in level.node.reader.envelopes(0, 10_000):
            level.node.projections[name].apply(tx, envelope)


def events(level, event_type: str) -> list[str]:
    return [e.type for e in level.node.reader.envelopes(0, 10_000) if e.type == event_type]


async def close_the_case(node, case_id: UUID) -> None:
    """The notified case visited, reported, concluded on Nanguan without requirements and closed (办结)."""
    await visit_nanguan(node, case_id)
    await node.cases.run("submit-report", PROVINCE_AGENCY, case_id, on=D("2026-11-13"), summary="供暖不达标")
    await node.cases.run("issue-conclusion", PROVINCE_GOVERNMENT, case_id, on=D("2026-11-14"), target=COUNTY,
                         summary="总体良好", findings=[], requirements=[])
    await node.cases.run("close", PROVINCE_AGENCY, case_id, on=D("2026-11-15"), summary="办结")


async def province_case_closed(node) -> UUID:
    case_id = await province_case_notified(node)
    await close_the_case(node, case_id)
    return case_id


async def self_inspection_after_the_closing(make_level):
    """The province notifies Nanguan; the county's unit self-inspects; meanwhile the province visits, reports,
    concludes without requirements and closes (办结) the case, so its inbox refuses the self-inspection when it
    arrives. Returns (province, county, case id, act id)."""
    province, county = make_level(PROVINCE, [COUNTY]), make_level(COUNTY)
    case_id = await province_case_notified(province.node)
    await pump(province, county)
    record_id = received_case_id(PROVINCE, str(case_id), COUNTY)
    sent = await county.node.received.run("submit-self-inspection", NANGUAN, record_id, on=D("2026-11-08"),
                                          report="已逐项自查")
    await close_the_case(province.node, case_id)
    await pump(county, province)
    return province, county, case_id, f"{record_id}:{sent.version}"


# ---- the contract ----------------------------------------------------------------------------


def test_a_refusal_survives_the_wire_unchanged():
    contract = refusal("r:3")
    signed = SignedMessage(message_id="m", sender=PROVINCE, receiver=COUNTY, seq=1, previous=None,
                           body=contract.model_dump(mode="json"))

    assert SignedMessage.model_validate_json(signed.model_dump_json()).contract() == contract


def test_a_refusal_names_a_case_or_an_instruction_not_both():
    with pytest.raises(ValidationError):
        refusal("r:3", case_id=CASE, instruction_id=CASE)


# ---- the province refuses, the county records it ----------------------------------------------


async def test_a_self_inspection_the_province_refuses_goes_back_to_the_county_as_refused(make_level):
    province, _, case_id, act_id = await self_inspection_after_the_closing(make_level)

    (sent,) = refused(province)
    assert (sent.receiver, sent.body["act_id"], sent.body["contract"], sent.body["case_id"], sent.body["target"],
            sent.body["refused_message_id"], sent.body["reason"], sent.body["actor"]) == (
        COUNTY, act_id, "CaseSelfInspectionSubmitted", str(case_id), COUNTY, f"{COUNTY}>{PROVINCE}:1", "wrong-state",
        REFUSER_REF.model_dump())


async def test_the_refusal_carries_the_errors_title_not_its_detail(make_level):
    province, *_ = await self_inspection_after_the_closing(make_level)

    (sent,) = refused(province)
    assert sent.body["text"] == "The act does not fit the present state"


async def test_the_province_still_dead_letters_the_refused_act_with_its_reason(make_level):
    province, *_ = await self_inspection_after_the_closing(make_level)

    (dead,) = state.dead_letters(province.node.views)
    assert (dead["contract"], dead["reason"]) == ("CaseSelfInspectionSubmitted", "refused: cannot self-inspect for a case that is closed")


async def test_the_refused_self_inspection_shows_refused_on_the_units_record(make_level):
    province, county, case_id, act_id = await self_inspection_after_the_closing(make_level)

    await pump(province, county)

    assert record(county, case_id).refused[act_id]["reason"] == "wrong-state"


async def test_the_refused_self_inspection_shows_refused_on_the_units_view(make_level):
    province, county, case_id, act_id = await self_inspection_after_the_closing(make_level)
    await pump(province, county)

    project(county, "received_cases")

    (row,) = received_cases(county.node.views)
    (sent,) = row["sent"]
    assert (sent["act_id"], sent["status"], sent["refusal"]["reason"], sent["refusal"]["text"]) == (
        act_id, "refused", "wrong-state", "The act does not fit the present state")


async def test_a_refusal_delivered_twice_is_recorded_once(make_level):
    province, county, *_ = await self_inspection_after_the_closing(make_level)
    await pump(province, county)

    verdicts = await pump(province, county)

    assert set(verdicts) == {Verdict.REPLAY} and events(county, "RefusalReceived") == ["RefusalReceived"]


async def test_a_refusal_applied_twice_is_recorded_once(make_level):
    county = make_level(COUNTY)
    await county.inbox.applier.apply(notice(), PROVINCE)
    record_id = received_case_id(PROVINCE, str(CASE), COUNTY)
    sent = await county.node.received.run("submit-self-inspection", NANGUAN, record_id, on=D("2026-11-08"), report="自查")

    await county.inbox.applier.apply(refusal(f"{record_id}:{sent.version}"), PROVINCE)
    await county.inbox.applier.apply(refusal(f"{record_id}:{sent.version}"), PROVINCE)

    assert events(county, "RefusalReceived") == ["RefusalReceived"]


# ---- what a refusal undoes on the unit's record -----------------------------------------------


async def concluded_on_the_county(make_level):
    county = make_level(COUNTY)
    await county.inbox.applier.apply(concluded(), PROVINCE)
    return county, received_case_id(PROVINCE, str(CASE), COUNTY)


async def test_a_refused_review_application_no_longer_holds_the_units_requirements(make_level):
    county, record_id = await concluded_on_the_county(make_level)
    applied = await county.node.received.run("request-review", NANGUAN, record_id, on=D("2026-11-20"), grounds="事实有出入")

    await county.inbox.applier.apply(refusal(f"{record_id}:{applied.version}", "CaseReviewRequested"), PROVINCE)

    await county.node.received.run("report-rectification", NANGUAN, record_id, on=D("2026-11-21"), requirement_id="R1",
                                   progress="已完成三个小区改造")
    assert (record(county).state, record(county).requirements["R1"]["status"]) == ("concluded", "in-progress")


async def test_a_refused_review_application_puts_the_units_view_back_to_concluded(make_level):
    county, record_id = await concluded_on_the_county(make_level)
    applied = await county.node.received.run("request-review", NANGUAN, record_id, on=D("2026-11-20"), grounds="事实有出入")
    await county.inbox.applier.apply(refusal(f"{record_id}:{applied.version}", "CaseReviewRequested"), PROVINCE)

    project(county, "received_cases")

    (row,) = received_cases(county.node.views)
    assert (row["state"], row["review"], row["sent"][0]["status"]) == ("concluded", None, "refused")


async def test_a_refused_completion_claim_leaves_the_requirement_as_it_stood(make_level):
    county, record_id = await concluded_on_the_county(make_level)
    claimed = await county.node.received.run("report-rectification", NANGUAN, record_id, on=D("2026-11-20"),
                                             requirement_id="R1", progress="全部达标", completed=True)

    await county.inbox.applier.apply(refusal(f"{record_id}:{claimed.version}", "CaseRectificationCompleted"), PROVINCE)
    project(county, "received_cases")

    (row,) = received_cases(county.node.views)
    assert (record(county).requirements["R1"]["status"], row["requirements"][0]["status"]) == ("open", "open")


async def test_a_refusal_of_an_act_the_record_never_sent_is_refused(make_level):
    county, _ = await concluded_on_the_county(make_level)

    with pytest.raises(InvalidCommand):
        await county.inbox.applier.apply(refusal("elsewhere:7"), PROVINCE)


async def test_a_refusal_from_a_level_that_does_not_run_the_case_is_refused(make_level):
    county, record_id = await concluded_on_the_county(make_level)

    with pytest.raises(ActNotAllowed):
        await county.inbox.applier.apply(refusal(f"{record_id}:2", level="220100"), PROVINCE)


# ---- never answered: what fails before any rule runs ---------------------------------------------


async def test_a_forged_act_is_dead_lettered_and_not_answered(make_level, keys):
    province = make_level(PROVINCE, [COUNTY])
    case_id = await province_case_closed(province.node)
    forged = message(self_inspected(case_id), sender=COUNTY, receiver=PROVINCE, key=keys[PROVINCE])

    await province.inbox.handle(forged.model_dump_json().encode(), forged.subject)

    assert [d["reason"] for d in state.dead_letters(province.node.views)] == ["bad signature"] and refused(province) == []


async def test_an_unsigned_act_is_dead_lettered_and_not_answered(make_level):
    province = make_level(PROVINCE, [COUNTY])
    case_id = await province_case_closed(province.node)
    unsigned = message(self_inspected(case_id), sender=COUNTY, receiver=PROVINCE, key=None)

    await province.inbox.handle(unsigned.model_dump_json().encode(), unsigned.subject)

    assert [d["reason"] for d in state.dead_letters(province.node.views)] == ["unsigned"] and refused(province) == []


async def test_an_act_sent_the_wrong_way_is_dead_lettered_and_not_answered(make_level, keys):
    county = make_level(COUNTY)
    down = message(self_inspected(CASE), sender=PROVINCE, receiver=COUNTY, key=keys[PROVINCE])

    await county.inbox.handle(down.model_dump_json().encode(), down.subject)

    (dead,) = state.dead_letters(county.node.views)
    assert dead["reason"].startswith("wrong direction") and refused(county) == []


# ---- an instruction's answer -----------------------------------------------------------------


async def answer_after_another(make_level):
    """The province assigns an instruction to Nanguan; an answer reaches it first (act "earlier"); the county's own
    answer then arrives and is refused: the instruction is answered."""
    province, county = make_level(PROVINCE, [COUNTY]), make_level(COUNTY)
    instruction_id = await province_instruction_assigned(province.node)
    await pump(province, county)
    record_id = received_instruction_id(PROVINCE, str(instruction_id))
    sent = await county.node.received.run("answer", NANGUAN, record_id, on=D("2026-11-23"), text="已完成供暖改造")
    await province.inbox.applier.apply(answered(instruction_id, act_id="earlier"), COUNTY)
    await pump(county, province)
    await pump(province, county)
    return county, record_id, f"{record_id}:{sent.version}"


async def test_a_refused_answer_shows_refused_on_the_units_record_and_awaits_an_answer_again(make_level):
    county, record_id, act_id = await answer_after_another(make_level)

    instruction = county.node.tasks.load(record_id, ReceivedInstruction)
    assert (instruction.refused[act_id]["reason"], instruction.state) == ("wrong-state", "assigned")


async def test_a_refused_answer_shows_refused_on_the_units_view(make_level):
    county, _, act_id = await answer_after_another(make_level)

    project(county, "received_instructions")

    (row,) = received_instructions(county.node.views)
    (entry,) = row["history"]
    assert (row["state"], entry["act_id"], entry["status"], entry["refusal"]["reason"]) == (
        "assigned", act_id, "refused", "wrong-state")


# ---- a crash between the refusal and its dead letter ----------------------------------------------


class Crash(BaseException):
    """The process dies here: nothing after this point runs."""


async def test_a_refused_act_redelivered_after_a_crash_is_dead_lettered_and_answered_once(make_level, monkeypatch):
    province, county = make_level(PROVINCE, [COUNTY]), make_level(COUNTY)
    case_id = await province_case_notified(province.node)
    await pump(province, county)
    record_id = received_case_id(PROVINCE, str(case_id), COUNTY)
    await county.node.received.run("submit-self-inspection", NANGUAN, record_id, on=D("2026-11-08"), report="已逐项自查")
    await close_the_case(province.node, case_id)

    def crash(*_args, **_kwargs) -> None:
        raise Crash

    with monkeypatch.context() as patch:
        patch.setattr(state, "dead_letter", crash)
        with pytest.raises(Crash):
            await pump(county, province)
    verdicts = await pump(county, province)

    (dead,) = state.dead_letters(province.node.views)
    assert (verdicts, dead["reason"], len(refused(province))) == (
        [Verdict.DEAD], "refused: cannot self-inspect for a case that is closed", 1)
