"""The case's events: named as DOMAIN.md names them, carrying who and when, and folding back to the same state."""

from __future__ import annotations

from domain.case import Case
from tests.domain.given import CTX, GOVERNMENT, OFFICE, D, reported, verified

DOMAIN_EVENTS = (
    "CaseProposed CaseApproved CaseRejected CaseFiled PlanAdopted PlanAmended SupervisorRecused CasesMerged "
    "TargetsNotified SiteVisitConducted SelfInspectionSubmitted FindingRecorded EvidenceAttached EvaluationSubmitted "
    "SurveyResultRecorded TalkHeld ReportSubmitted ConclusionIssued ConclusionDelivered ReviewRequested ReviewDecided "
    "RectificationReported RectificationCompleted RectificationVerified RectificationReturned RectificationOverdue "
    "TargetUrged CommendationProposed Commended CriticismProposed Criticized AccountabilityProposed "
    "AccountabilityReferred FaultTolerated PerformanceDeducted DocumentRevisionProposed LeadReferred CaseClosed"
).split()


def closed_case() -> Case:
    case = verified()
    case.propose_criticism(actor=OFFICE, on=D("2025-10-23"), proposal_id="p1", unit="220100", grounds="滞后", **CTX)
    case.criticize(actor=GOVERNMENT, on=D("2025-10-24"), proposal_id="p1", **CTX)
    case.close(actor=OFFICE, on=D("2025-10-24"), **CTX)
    return case


def test_every_event_of_the_domain_is_nested_in_the_case():
    assert all(getattr(Case, name).__qualname__ == f"Case.{name}" for name in DOMAIN_EVENTS)


def test_every_event_carries_its_actor_and_act_date():
    assert all({"actor", "on"} <= set(vars(e)) for e in closed_case().collect_events())


def test_case_folded_again_from_its_events_has_the_same_state():
    case = closed_case()
    rebuilt = None
    for event in case.collect_events():
        rebuilt = event.mutate(rebuilt)
    assert (rebuilt.state, rebuilt.requirements, rebuilt.proposals) == (case.state, case.requirements, case.proposals)


def test_requirement_deadline_given_as_iso_text_is_read_as_a_date():
    case = reported()
    case.issue_conclusion(
        actor=GOVERNMENT, on=D("2025-08-01"), target="220100", summary="s",
        requirements=[{"id": "r9", "text": "整改", "deadline": "2025-10-31"}], **CTX,
    )
    assert case.requirements["r9"].deadline == D("2025-10-31")
