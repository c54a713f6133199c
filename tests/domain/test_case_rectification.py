"""Steps 11 and 13: rectification, the office's check (核查), overdue, urging (催办) and closure (办结)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.actor import Actor, Role
from domain.errors import ActNotAllowed, ActDateInvalid, InvalidCommand, WrongState
from tests.domain.given import (
    CTX, DEPARTMENT, NOW, OFFICE, OTHER_OFFICER, OTHER_TARGET, POLICY, TARGET, D, completed, concluded, delivered,
    events, under_review, verified,
)

CLOCK = Actor("220000-DCS", Role.AGENCY, "clock")


def complete(case, actor=TARGET, on=D("2025-10-20")):
    case.complete_rectification(actor=actor, on=on, now=NOW, requirement_id="r1", summary="已补发")


def overdue(case, today):
    return case.mark_overdue(actor=CLOCK, now=datetime.combine(today, datetime.min.time(), UTC))


def test_rectification_waits_for_the_conclusion_to_be_delivered():
    with pytest.raises(WrongState):
        complete(concluded())


def test_rectification_waits_while_a_review_is_open():
    with pytest.raises(WrongState):
        complete(under_review())


def test_only_the_requirements_own_target_rectifies():
    with pytest.raises(ActNotAllowed):
        complete(delivered(), actor=OTHER_TARGET)


def test_target_reports_progress_in_percent():
    case = delivered()
    case.report_rectification(actor=TARGET, on=D("2025-09-15"), now=NOW, requirement_id="r1", progress="已发一半", percent=50)
    assert events(case)[-1] == "RectificationReported"


def test_progress_outside_zero_to_hundred_percent_is_refused():
    with pytest.raises(InvalidCommand):
        delivered().report_rectification(actor=TARGET, on=D("2025-09-15"), now=NOW, requirement_id="r1", progress="x", percent=120)


def test_rectification_is_verified_by_the_office():
    case = completed()
    case.verify_rectification(actor=OFFICE, on=D("2025-10-22"), requirement_id="r1", **CTX)
    assert events(case)[-1] == "RectificationVerified"


def test_rectification_is_not_verified_by_a_department():
    with pytest.raises(ActNotAllowed):
        completed().verify_rectification(actor=DEPARTMENT, on=D("2025-10-22"), requirement_id="r1", **CTX)


def test_rectification_not_claimed_complete_cannot_be_verified():
    with pytest.raises(WrongState):
        delivered().verify_rectification(actor=OFFICE, on=D("2025-10-22"), requirement_id="r1", **CTX)


def test_verification_cannot_precede_the_claim():
    with pytest.raises(ActDateInvalid):
        completed().verify_rectification(actor=OFFICE, on=D("2025-10-19"), requirement_id="r1", **CTX)


def test_recused_officer_cannot_verify_that_targets_rectification():
    case = completed()
    case.recuse_supervisor(actor=OFFICE, on=D("2025-10-20"), supervisor=OTHER_OFFICER.person, target="220100", grounds="利害关系", **CTX)
    with pytest.raises(ActNotAllowed):
        case.verify_rectification(actor=OTHER_OFFICER, on=D("2025-10-22"), requirement_id="r1", **CTX)


def test_returned_rectification_is_completed_again():
    case = completed()
    case.return_rectification(actor=OFFICE, on=D("2025-10-22"), requirement_id="r1", reason="证据不足", **CTX)
    complete(case, on=D("2025-10-25"))
    assert events(case)[-2:] == ["RectificationReturned", "RectificationCompleted"]


def test_return_states_its_reason():
    with pytest.raises(InvalidCommand):
        completed().return_rectification(actor=OFFICE, on=D("2025-10-22"), requirement_id="r1", reason="", **CTX)


def test_requirement_past_its_deadline_is_marked_overdue_exactly_once():
    case = delivered()
    assert overdue(case, D("2025-11-01")) == ["r1"]
    assert overdue(case, D("2025-11-02")) == []
    assert events(case).count("RectificationOverdue") == 1


def test_requirement_is_not_overdue_on_its_deadline_day():
    assert overdue(delivered(), D("2025-10-31")) == []


def test_verified_requirement_is_never_overdue():
    assert overdue(verified(), D("2025-11-01")) == []


def test_requirement_under_review_is_not_marked_overdue():
    assert overdue(under_review(), D("2025-11-01")) == []


def test_target_is_not_urged_again_within_the_urging_interval():
    case = delivered()
    case.urge_target(actor=OFFICE, on=D("2025-10-01"), policy=POLICY, target="220100", message="请抓紧", **CTX)
    with pytest.raises(InvalidCommand):
        case.urge_target(actor=OFFICE, on=D("2025-10-03"), policy=POLICY, target="220100", message="请抓紧", **CTX)


def test_case_closes_when_every_requirement_is_verified():
    case = verified()
    case.close(actor=OFFICE, on=D("2025-10-23"), summary="办结", **CTX)
    assert events(case)[-1] == "CaseClosed"


def test_case_does_not_close_with_an_unverified_requirement():
    with pytest.raises(WrongState):
        completed().close(actor=OFFICE, on=D("2025-10-23"), **CTX)


def test_case_closes_with_a_requirement_waived_with_grounds():
    case = delivered()
    case.close(actor=OFFICE, on=D("2025-10-23"), waivers={"r1": "政策调整，不再适用"}, **CTX)
    assert case.requirements["r1"].status.value == "waived"


def test_waiver_without_grounds_does_not_close_the_case():
    with pytest.raises(InvalidCommand):
        delivered().close(actor=OFFICE, on=D("2025-10-23"), waivers={"r1": " "}, **CTX)


def test_closed_case_takes_no_rectification():
    case = verified()
    case.close(actor=OFFICE, on=D("2025-10-23"), **CTX)
    with pytest.raises(WrongState):
        case.report_rectification(actor=TARGET, on=D("2025-10-24"), now=NOW, requirement_id="r1", progress="x")
