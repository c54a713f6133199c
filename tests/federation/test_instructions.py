"""A leader's instruction (领导批示) across levels: the province assigns one to a Nanguan (220102) lead unit, the
county's node records it, the lead unit answers (反馈) from its own node, and the answer becomes the province
instruction's own, once."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import pytest

from domain.actor import Actor, Role
from domain.errors import WrongState
from domain.instruction import Instruction
from domain.policy import Urgency
from domain.received_instruction import received_instruction_id
from ducha.federation import state
from ducha.federation.contracts import (
    ActorRef,
    InstructionAnswered,
    InstructionAnswerReturned,
    InstructionAssigned,
    InstructionClosed,
    SignedMessage,
)
from tests.federation.builders import COUNTY, PROVINCE, message
from tests.federation.cases import NANGUAN, PROVINCE_AGENCY
from tests.federation.test_inbox import deliver
from tests.federation.test_reports import outbox

D = date.fromisoformat
PROVINCE_LEADER = Actor("220000", Role.LEADER, "副省长")
AGENCY_REF = ActorRef(**PROVINCE_AGENCY.as_dict())
INSTRUCTION = UUID("5b0e8d1e-8a57-4c1e-9c55-2f7c2a0e6b10")
RECORD = received_instruction_id(PROVINCE, str(INSTRUCTION))
ON_INSTRUCTION = {"instruction_id": INSTRUCTION, "level": PROVINCE, "lead_unit": COUNTY}


def assigned() -> InstructionAssigned:
    return InstructionAssigned(actor=AGENCY_REF, on=D("2026-11-20"), **ON_INSTRUCTION, text="抓紧解决老旧小区供暖问题",
                               instructing_leader="副省长", urgency="urgent", deadline=D("2026-11-27"))


def returned(act_id: str = f"{INSTRUCTION}:4") -> InstructionAnswerReturned:
    return InstructionAnswerReturned(actor=AGENCY_REF, on=D("2026-11-24"), **ON_INSTRUCTION, act_id=act_id, reason="缺少数据")


def answered(instruction_id: UUID = INSTRUCTION, act_id: str = "r:2") -> InstructionAnswered:
    return InstructionAnswered(actor=ActorRef(**NANGUAN.as_dict()), on=D("2026-11-23"), instruction_id=instruction_id,
                               level=PROVINCE, lead_unit=COUNTY, act_id=act_id, text="已完成供暖改造", evidence=[])


async def province_instruction_assigned(node) -> UUID:
    """The province's urgent instruction to Nanguan (220102), issued and assigned (交办)."""
    issued = await node.instructions.issue(PROVINCE_LEADER, on=D("2026-11-20"), text="抓紧解决老旧小区供暖问题",
                                           lead_unit=COUNTY, urgency=Urgency.URGENT)
    await node.instructions.run("assign", PROVINCE_AGENCY, issued.aggregate.id, on=D("2026-11-20"))
    return issued.aggregate.id


def events(level, aggregate_id: UUID) -> list[str]:
    return [e.type for e in level.node.reader.envelopes(0, 10_000) if e.aggregate_id == aggregate_id]


@pytest.mark.parametrize("contract", [assigned(), returned(), answered(),
                                      InstructionClosed(actor=AGENCY_REF, on=D("2026-11-26"), **ON_INSTRUCTION, summary="办结")],
                         ids=lambda c: c.name)
def test_an_instruction_contract_survives_the_wire_unchanged(contract):
    signed = SignedMessage(message_id="m", sender=PROVINCE, receiver=COUNTY, seq=1, previous=None,
                           body=contract.model_dump(mode="json"))

    assert SignedMessage.model_validate_json(signed.model_dump_json()).contract() == contract


async def test_an_instruction_assigned_to_a_county_unit_goes_to_the_countys_node(make_level):
    province = make_level(PROVINCE, [COUNTY])
    instruction_id = await province_instruction_assigned(province.node)

    province.outbox.collect()

    (sent,) = [m for m in outbox(province) if m.body["name"] == "InstructionAssigned"]
    assert (sent.receiver, sent.body["instruction_id"], sent.body["text"], sent.body["urgency"]) == (
        COUNTY, str(instruction_id), "抓紧解决老旧小区供暖问题", "urgent")


async def test_a_returned_answer_goes_down_with_its_reason(make_level):
    province = make_level(PROVINCE, [COUNTY])
    instruction_id = await province_instruction_assigned(province.node)
    await province.inbox.applier.apply(answered(instruction_id), COUNTY)
    await province.node.instructions.run("return", PROVINCE_AGENCY, instruction_id, reason="缺少数据")

    province.outbox.collect()

    assert [(m.body["name"], m.body.get("reason")) for m in outbox(province) if m.receiver == COUNTY] == [
        ("InstructionAssigned", None), ("InstructionAnswerReturned", "缺少数据")]


async def test_an_assignment_delivered_to_the_county_opens_the_lead_units_record(make_level, keys):
    county = make_level(COUNTY)

    await deliver(county, message(assigned(), sender=PROVINCE, receiver=COUNTY, key=keys[PROVINCE]))

    record = county.node.tasks.load_or_none(RECORD)
    assert (record.lead_unit, record.sender, record.state, record.deadline) == (COUNTY, PROVINCE, "assigned", D("2026-11-27"))


async def test_an_assignment_applied_twice_is_recorded_once(make_level):
    county = make_level(COUNTY)

    await county.inbox.applier.apply(assigned(), PROVINCE)
    await county.inbox.applier.apply(assigned(), PROVINCE)

    assert events(county, RECORD) == ["ReceivedInstructionOpened"]


async def test_a_return_applied_twice_is_recorded_once(make_level):
    county = make_level(COUNTY)
    await county.inbox.applier.apply(assigned(), PROVINCE)

    await county.inbox.applier.apply(returned(), PROVINCE)
    await county.inbox.applier.apply(returned(), PROVINCE)

    assert events(county, RECORD) == ["ReceivedInstructionOpened", "AnswerReturnReceived"]


async def test_a_return_of_an_instruction_never_assigned_here_is_refused(make_level):
    county = make_level(COUNTY)

    with pytest.raises(WrongState):
        await county.inbox.applier.apply(returned(), PROVINCE)


async def test_the_lead_units_answer_goes_up_to_the_instructions_node(make_level):
    county = make_level(COUNTY)
    await county.inbox.applier.apply(assigned(), PROVINCE)

    outcome = await county.node.received.run("answer", NANGUAN, RECORD, on=D("2026-11-23"), text="已完成供暖改造")
    county.outbox.collect()

    (sent,) = outbox(county)
    assert (sent.receiver, sent.body["name"], sent.body["act_id"], sent.body["text"]) == (
        PROVINCE, "InstructionAnswered", f"{RECORD}:{outcome.version}", "已完成供暖改造")


async def test_the_lead_unit_answers_again_after_a_return(make_level):
    county = make_level(COUNTY)
    await county.inbox.applier.apply(assigned(), PROVINCE)
    await county.node.received.run("answer", NANGUAN, RECORD, on=D("2026-11-23"), text="已完成供暖改造")
    await county.inbox.applier.apply(returned(), PROVINCE)

    outcome = await county.node.received.run("answer", NANGUAN, RECORD, text="补充数据：改造1200户")

    assert outcome.state == "answered"


async def test_a_second_answer_before_a_return_is_refused(make_level):
    county = make_level(COUNTY)
    await county.inbox.applier.apply(assigned(), PROVINCE)
    await county.node.received.run("answer", NANGUAN, RECORD, on=D("2026-11-23"), text="已完成供暖改造")

    with pytest.raises(WrongState):
        await county.node.received.run("answer", NANGUAN, RECORD, text="再次反馈")


async def test_the_lead_units_answer_becomes_the_province_instructions_own_once(make_level):
    province = make_level(PROVINCE, [COUNTY])
    instruction_id = await province_instruction_assigned(province.node)

    await province.inbox.applier.apply(answered(instruction_id), COUNTY)
    await province.inbox.applier.apply(answered(instruction_id), COUNTY)

    instruction = province.node.writer.app.repository.get(instruction_id)
    assert (isinstance(instruction, Instruction), instruction.state.value) == (True, "answered")
    assert events(province, instruction_id).count("InstructionAnswered") == 1


async def test_an_answer_sent_down_is_dead_lettered_as_the_wrong_direction(make_level, keys):
    county = make_level(COUNTY)

    await deliver(county, message(answered(), sender=PROVINCE, receiver=COUNTY, key=keys[PROVINCE]))

    (dead,) = state.dead_letters(county.node.views)
    assert dead["reason"].startswith("wrong direction")
