"""Leaders' instructions (领导批示交办): issued with a deadline by urgency, assigned to a lead unit (主办) and
supporting units (协办), answered once by the lead unit, returned, overdue, covertly checked, closed."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest

from domain.actor import Actor, Role
from domain.errors import ActDateInvalid, ActNotAllowed, InvalidCommand, WrongState
from domain.instruction import Instruction, InstructionState
from domain.policy import Policy, Urgency
from tests.domain.given import CALENDAR, CTX, DEPARTMENT, LEADER, NOW, OFFICE, POLICY, TARGET, D, events
from tests.domain.given_ledger import CLOCK, at


def issue(*, actor=LEADER, on=D("2025-06-02"), urgency=Urgency.NORMAL, policy=POLICY, lead_unit="220100", **kwargs):
    return Instruction.issue(
        instruction_id=uuid4(), actor=actor, on=on, calendar=CALENDAR, policy=policy, text="抓紧解决欠薪问题",
        lead_unit=lead_unit, urgency=urgency, supporting_units=kwargs.pop("supporting_units", ["220000-FGW"]), **kwargs, **CTX,
    )


def assigned(**kwargs):
    instruction = issue(**kwargs)
    instruction.assign(actor=OFFICE, on=D("2025-06-03"), **CTX)
    return instruction


def answered():
    instruction = assigned()
    instruction.answer(actor=TARGET, on=D("2025-06-10"), now=NOW, text="已全部结清")
    return instruction


# ---- issuing and deadlines ------------------------------------------------------------


def test_normal_instruction_is_due_fifteen_days_after_issue():
    assert issue(on=D("2025-06-02")).deadline == D("2025-06-17")


def test_urgent_instruction_due_on_a_holiday_is_due_the_next_working_day():
    assert issue(on=D("2025-09-26"), urgency=Urgency.URGENT).deadline == D("2025-10-09")


def test_difficult_instruction_is_due_thirty_days_after_issue():
    assert issue(on=D("2025-06-02"), urgency=Urgency.DIFFICULT).deadline == D("2025-07-02")


def test_deadline_by_urgency_comes_from_the_policy():
    assert issue(on=D("2025-06-02"), urgency=Urgency.URGENT, policy=Policy(instruction_days_urgent=3)).deadline == D("2025-06-05")


def test_office_records_an_instruction_naming_the_instructing_leader():
    instruction = issue(actor=OFFICE, instructing_leader="省长")
    assert instruction.leader == "省长"


def test_office_cannot_record_an_instruction_without_its_leader():
    with pytest.raises(ActNotAllowed):
        issue(actor=OFFICE)


def test_a_department_does_not_issue_instructions():
    with pytest.raises(ActNotAllowed):
        issue(actor=DEPARTMENT, instructing_leader="省长")


def test_lead_unit_cannot_also_be_a_supporting_unit():
    with pytest.raises(InvalidCommand):
        issue(supporting_units=["220100"])


def test_lead_unit_outside_the_jurisdiction_is_refused():
    with pytest.raises(ActNotAllowed):
        issue(actor=Actor("220100", Role.LEADER, "市长"), lead_unit="220200", supporting_units=[])


def test_instruction_cannot_be_issued_on_a_future_date():
    with pytest.raises(ActDateInvalid):
        issue(on=NOW.date() + timedelta(days=1))


# ---- assignment and the one answer ---------------------------------------------------


def test_office_assigns_the_instruction_to_its_units():
    instruction = assigned()
    assert events(instruction)[-1] == "InstructionAssigned"


def test_instruction_is_assigned_once():
    with pytest.raises(WrongState):
        assigned().assign(actor=OFFICE, on=D("2025-06-04"), **CTX)


def test_instruction_is_not_answered_before_it_is_assigned():
    with pytest.raises(WrongState):
        issue().answer(actor=TARGET, on=D("2025-06-10"), now=NOW, text="已结清")


def test_lead_unit_gives_the_consolidated_answer():
    assert answered().state is InstructionState.ANSWERED


def test_a_supporting_unit_does_not_answer():
    with pytest.raises(ActNotAllowed):
        assigned().answer(actor=DEPARTMENT, on=D("2025-06-10"), now=NOW, text="配合完成")


def test_a_second_answer_is_refused():
    with pytest.raises(WrongState):
        answered().answer(actor=TARGET, on=D("2025-06-11"), now=NOW, text="补充")


def test_a_returned_answer_is_answered_again():
    instruction = answered()
    instruction.return_answer(actor=LEADER, on=D("2025-06-11"), reason="未说明资金来源", **CTX)
    instruction.answer(actor=TARGET, on=D("2025-06-12"), now=NOW, text="资金来源已说明")
    assert events(instruction)[-1] == "InstructionAnswered"


def test_answer_is_returned_only_with_a_reason():
    with pytest.raises(InvalidCommand):
        answered().return_answer(actor=OFFICE, on=D("2025-06-11"), reason="", **CTX)


def test_office_closes_an_answered_instruction():
    instruction = answered()
    instruction.close(actor=OFFICE, on=D("2025-06-12"), **CTX)
    assert instruction.state is InstructionState.CLOSED


def test_unanswered_instruction_cannot_be_closed():
    with pytest.raises(WrongState):
        assigned().close(actor=OFFICE, on=D("2025-06-12"), **CTX)


# ---- the clock and the covert check --------------------------------------------------


def test_unanswered_instruction_past_its_deadline_is_marked_overdue_once():
    instruction = assigned()
    marked = [instruction.mark_overdue(actor=CLOCK, now=at(d)) for d in (D("2025-06-18"), D("2025-06-19"))]
    assert marked == [True, False]


def test_answered_instruction_is_not_marked_overdue():
    assert answered().mark_overdue(actor=CLOCK, now=at(D("2025-06-18"))) is False


def test_instructing_leader_orders_a_covert_check_of_the_answer():
    instruction, case_id = answered(), uuid4()
    instruction.order_covert_check(actor=LEADER, on=D("2025-06-12"), case_id=case_id, grounds="核实是否真结清", **CTX)
    assert instruction.covert_checks == [str(case_id)]


def test_covert_check_waits_for_an_answer():
    with pytest.raises(WrongState):
        assigned().order_covert_check(actor=LEADER, on=D("2025-06-12"), case_id=uuid4(), grounds="核实", **CTX)


def test_the_lead_unit_cannot_order_a_check_of_its_own_answer():
    with pytest.raises(ActNotAllowed):
        answered().order_covert_check(actor=TARGET, on=D("2025-06-12"), case_id=uuid4(), grounds="核实", **CTX)


def test_same_case_cannot_check_the_instruction_twice():
    instruction, case_id = answered(), uuid4()
    instruction.order_covert_check(actor=OFFICE, on=D("2025-06-12"), case_id=case_id, grounds="核实", **CTX)
    with pytest.raises(WrongState):
        instruction.order_covert_check(actor=OFFICE, on=D("2025-06-13"), case_id=case_id, grounds="核实", **CTX)
