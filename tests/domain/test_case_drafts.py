"""Internal notes (内部备注) and unpublished drafts (督查结论草稿, 评估意见草稿): who may record them, and when."""

from __future__ import annotations

import pytest

from domain.actor import Actor, Role
from domain.errors import ActNotAllowed, InvalidCommand, WrongState
from tests.domain.given import (
    CTX, DEPARTMENT, EVALUATOR, GOVERNMENT, OFFICE, TARGET, D, approved, concluded, events, planned, reported,
)

CITY_OFFICE = Actor("220100-DCS", Role.AGENCY, "督查员陈")


def test_the_supervision_office_records_an_internal_note_at_any_step():
    case = approved()
    events(case)

    case.record_internal_note(actor=OFFICE, on=D("2025-06-03"), text="注意核实补贴台账", target="220100", **CTX)

    assert events(case) == ["InternalNoteRecorded"]


@pytest.mark.parametrize("who", [DEPARTMENT, GOVERNMENT, TARGET, CITY_OFFICE], ids=lambda a: f"{a.unit}-{a.role}")
def test_only_the_supervision_office_of_the_case_s_level_records_an_internal_note(who):
    case = approved()

    with pytest.raises(ActNotAllowed):
        case.record_internal_note(actor=who, on=D("2025-06-03"), text="备注", **CTX)


def test_an_empty_internal_note_is_refused():
    with pytest.raises(InvalidCommand):
        approved().record_internal_note(actor=OFFICE, on=D("2025-06-03"), text="  ", **CTX)


def test_an_internal_note_about_a_unit_that_is_not_a_target_is_refused():
    with pytest.raises(InvalidCommand):
        approved().record_internal_note(actor=OFFICE, on=D("2025-06-03"), text="备注", target="220300", **CTX)


def test_the_office_drafts_a_conclusion_after_its_report():
    case = reported()
    events(case)

    case.save_conclusion_draft(actor=OFFICE, on=D("2025-07-02"), target="220100", summary="草稿", findings=["f1"], **CTX)

    assert events(case) == ["ConclusionDrafted"]


def test_a_conclusion_is_not_drafted_before_the_report():
    with pytest.raises(WrongState):
        planned().save_conclusion_draft(actor=OFFICE, on=D("2025-06-05"), target="220100", summary="草稿", **CTX)


def test_a_conclusion_is_not_drafted_once_it_is_issued():
    with pytest.raises(WrongState):
        concluded().save_conclusion_draft(actor=OFFICE, on=D("2025-08-02"), target="220100", summary="草稿", **CTX)


def test_the_government_issues_a_conclusion_but_does_not_draft_it():
    with pytest.raises(ActNotAllowed):
        reported().save_conclusion_draft(actor=GOVERNMENT, on=D("2025-07-02"), target="220100", summary="草稿", **CTX)


def test_a_conclusion_draft_cites_only_findings_on_its_target():
    with pytest.raises(InvalidCommand):
        reported().save_conclusion_draft(actor=OFFICE, on=D("2025-07-02"), target="220100", summary="草稿", findings=["f9"], **CTX)


def test_an_entrusted_evaluator_saves_an_evaluation_draft():
    case = planned()
    events(case)

    case.save_evaluation_draft(actor=EVALUATOR, on=D("2025-06-05"), target="220100", summary="初稿", items={"补贴": "待核"}, **CTX)

    assert events(case) == ["EvaluationDrafted"]


def test_an_evaluator_not_entrusted_in_the_plan_saves_no_draft():
    stranger = Actor("220000-FGW", Role.EVALUATOR, "评估员郑")

    with pytest.raises(ActNotAllowed):
        planned().save_evaluation_draft(actor=stranger, on=D("2025-06-05"), target="220100", summary="初稿", **CTX)
