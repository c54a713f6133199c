"""Step 12: uses of results take effect only when the government or its head approves (Art. 21)."""

from __future__ import annotations

import pytest

from domain.case import ReferralTo
from domain.errors import ActNotAllowed, InvalidCommand, WrongState
from tests.domain.given import CTX, GOVERNMENT, LEADER, OFFICE, D, events, notified, reported


def propose(case, kind="criticism", pid="p1"):
    getattr(case, f"propose_{kind}")(actor=OFFICE, on=D("2025-07-02"), proposal_id=pid, unit="220100", grounds="进度滞后", **CTX)
    return case


def test_results_are_used_only_after_the_report():
    with pytest.raises(WrongState):
        propose(notified())


def test_criticism_takes_effect_when_the_government_approves():
    case = propose(reported())
    case.criticize(actor=GOVERNMENT, on=D("2025-07-03"), proposal_id="p1", **CTX)
    assert events(case)[-2:] == ["CriticismProposed", "Criticized"]


def test_commendation_takes_effect_when_the_leader_approves():
    case = propose(reported(), kind="commendation")
    case.commend(actor=LEADER, on=D("2025-07-03"), proposal_id="p1", **CTX)
    assert events(case)[-1] == "Commended"


def test_office_cannot_approve_its_own_proposal():
    with pytest.raises(ActNotAllowed):
        propose(reported()).criticize(actor=OFFICE, on=D("2025-07-03"), proposal_id="p1", **CTX)


def test_approval_must_match_the_kind_of_proposal():
    with pytest.raises(InvalidCommand):
        propose(reported()).commend(actor=GOVERNMENT, on=D("2025-07-03"), proposal_id="p1", **CTX)


def test_proposal_takes_effect_once():
    case = propose(reported())
    case.criticize(actor=GOVERNMENT, on=D("2025-07-03"), proposal_id="p1", **CTX)
    with pytest.raises(WrongState):
        case.criticize(actor=GOVERNMENT, on=D("2025-07-04"), proposal_id="p1", **CTX)


def test_accountability_is_referred_to_an_authority_with_grounds():
    case = propose(reported(), kind="accountability")
    with pytest.raises(InvalidCommand):
        case.refer_accountability(actor=GOVERNMENT, on=D("2025-07-03"), proposal_id="p1", authority="纪委监委", grounds="", **CTX)


def test_fault_tolerated_only_on_an_existing_criticism_or_accountability():
    case = propose(reported(), kind="commendation")
    with pytest.raises(InvalidCommand):
        case.tolerate_fault(actor=GOVERNMENT, on=D("2025-07-05"), proposal_id="p1", grounds="探索性失误", **CTX)


def test_fault_tolerated_needs_grounds():
    with pytest.raises(InvalidCommand):
        propose(reported()).tolerate_fault(actor=GOVERNMENT, on=D("2025-07-05"), proposal_id="p1", grounds="", **CTX)


def test_fault_tolerated_on_a_criticism_with_grounds():
    case = propose(reported())
    case.tolerate_fault(actor=GOVERNMENT, on=D("2025-07-05"), proposal_id="p1", grounds="探索性失误", **CTX)
    assert events(case)[-1] == "FaultTolerated"


def test_performance_deduction_is_decided_by_the_government_not_the_office():
    with pytest.raises(ActNotAllowed):
        reported().deduct_performance(actor=OFFICE, on=D("2025-07-05"), unit="220100", points=2, period="2025", notice="通报", **CTX)


def test_lead_is_referred_to_the_supervisory_commission():
    case = reported()
    case.refer_lead(actor=OFFICE, on=D("2025-07-05"), to=ReferralTo.SUPERVISORY_COMMISSION, unit="220100", person="某某", grounds="失职", **CTX)
    assert events(case)[-1] == "LeadReferred"
