"""Steps 9–10: the conclusion (Art. 16), its delivery, and review within Art. 17's periods."""

from __future__ import annotations

import pytest

from domain.case import ReviewOutcome
from domain.errors import ActDateInvalid, ActNotAllowed, InvalidCommand, WrongState
from domain.policy import Policy
from tests.domain.given import (
    CALENDAR, CTX, GOVERNMENT, LEADER, NOW, OFFICE, OTHER_GOVERNMENT, POLICY, REQUIREMENTS, TARGET, D, concluded,
    delivered, events, notified, reported, under_review,
)


def conclude(case, by=GOVERNMENT, on=D("2025-08-01"), requirements=REQUIREMENTS):
    case.issue_conclusion(actor=by, on=on, target="220100", summary="结论", findings=["f1"], requirements=requirements, **CTX)


def request(case, on, policy=POLICY):
    case.request_review(actor=TARGET, on=on, now=NOW, calendar=CALENDAR, policy=policy, grounds="事实有误")


def decide(case, on, by=OTHER_GOVERNMENT, outcome=ReviewOutcome.UPHELD, requirements=()):
    case.decide_review(
        actor=by, on=on, calendar=CALENDAR, policy=POLICY, target="220100", outcome=outcome, grounds="复核",
        requirements=requirements, **CTX,
    )


def test_conclusion_is_issued_by_the_government():
    with pytest.raises(ActNotAllowed):
        conclude(reported(), by=OFFICE)


def test_conclusion_is_not_issued_by_the_leader_role():
    with pytest.raises(ActNotAllowed):
        conclude(reported(), by=LEADER)


def test_conclusion_comes_after_the_report():
    with pytest.raises(WrongState):
        conclude(notified())


def test_conclusion_requirement_has_a_deadline_not_before_the_conclusion():
    with pytest.raises(InvalidCommand):
        conclude(reported(), requirements=[{"id": "r1", "text": "整改", "deadline": D("2025-07-31")}])


def test_conclusion_on_a_target_is_issued_once():
    case = concluded()
    with pytest.raises(WrongState):
        conclude(case, on=D("2025-08-02"))


def test_delivery_cannot_precede_the_conclusion():
    with pytest.raises(ActDateInvalid):
        concluded().deliver_conclusion(actor=OFFICE, on=D("2025-07-31"), target="220100", **CTX)


def test_review_needs_a_delivered_conclusion():
    with pytest.raises(WrongState):
        request(concluded(), D("2025-08-05"))


def test_review_requested_on_the_thirtieth_day_after_delivery_is_accepted():
    case = delivered(on=D("2025-10-20"))
    request(case, D("2025-11-19"))
    assert events(case)[-1] == "ReviewRequested"


def test_review_requested_on_the_thirty_first_day_is_refused():
    with pytest.raises(InvalidCommand):
        request(delivered(on=D("2025-10-20")), D("2025-11-20"))


def test_review_window_ending_in_national_day_week_runs_to_the_next_working_day():
    case = delivered(on=D("2025-09-01"))  # 30 days end on 1 October, a public holiday
    request(case, D("2025-10-09"))
    assert events(case)[-1] == "ReviewRequested"


def test_review_window_does_not_move_when_the_policy_turns_the_shift_off():
    with pytest.raises(InvalidCommand):
        request(delivered(on=D("2025-09-01")), D("2025-10-09"), policy=Policy(shift_period_end_off_holidays=False))


def test_review_is_requested_only_by_the_target_itself():
    case = delivered()
    with pytest.raises(ActNotAllowed):
        case.request_review(actor=OFFICE, on=D("2025-09-05"), now=NOW, calendar=CALENDAR, policy=POLICY, grounds="x")


def test_review_is_decided_within_thirty_days_of_the_application():
    case = under_review()  # applied 10 September; 30 days end Friday 10 October
    decide(case, D("2025-10-10"))
    assert events(case)[-1] == "ReviewDecided"


def test_review_decided_within_thirty_days_is_not_late():
    case = under_review()
    decide(case, D("2025-10-10"))
    assert case.collect_events()[-1].late is False


def test_review_decided_after_thirty_days_is_recorded_as_late():
    case = under_review()
    decide(case, D("2025-10-13"))
    assert case.collect_events()[-1].late is True


def test_whoever_made_the_conclusion_is_recused_from_its_review():
    with pytest.raises(ActNotAllowed):
        decide(under_review(), D("2025-09-20"), by=GOVERNMENT)


def test_amended_review_replaces_the_requirements_and_waives_the_dropped_ones():
    case = under_review()
    new = [{"id": "r2", "text": "年底前补发", "deadline": D("2025-12-31")}]
    decide(case, D("2025-09-20"), outcome=ReviewOutcome.AMENDED, requirements=new)
    assert (case.requirements["r1"].status.value, case.requirements["r2"].status.value) == ("waived", "open")
