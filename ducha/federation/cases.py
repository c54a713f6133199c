"""A supervision case (督查事项) across levels: a case's acts that reach a target another node serves, and the
target's acts that go back up to the case's node.

Down, to the node that serves the target (`serving`, the nearest node at or above the target's division):
* `TargetsNotified` → `CaseNotified` (督查通知), per notified target; a covert case (暗访) is never notified,
  so nothing about it crosses before
* `SiteVisitConducted` → `CaseVisited`, the first thing a covert case's target node learns, after the visit;
* `ConclusionDelivered` → `CaseConcluded` (督查结论, v2), with the findings' texts, its requirements and the last
  day for review;
* `ReviewDecided` → `CaseReviewDecided` (复核决定);
* `RectificationVerified` / `RectificationReturned` → `CaseRectificationVerified` / `CaseRectificationReturned`
  (核查), to the requirement's target; `RectificationOverdue` → `CaseRectificationOverdue` (逾期);
* `TargetUrged` → `CaseTargetUrged` (催办), only to a target that knows of the case (notified, or visited when
  covert): urging a covert case's target before its visit would tell it.
The acts after the conclusion carry `act_id`, the case's id and version, so the target's node records each once.
Each is made from the case as it stood at that event (read from the store at that version), so a message is the
same however late the outbox reads it.

Up, from the target's node to the case's (`ReceivedCase.sender`): `SelfInspectionSent` → `CaseSelfInspectionSubmitted`
(自查), `RectificationSent` → `CaseRectificationReported` or `CaseRectificationCompleted` (整改报告), `ReviewApplied` →
`CaseReviewRequested` (复核申请); the act's id is the record's id and version, one per act.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from domain.calendar import WorkingCalendar
from domain.envelope import Envelope
from domain.policy import Policy
from domain.received import ReceivedCase
from domain.rectification import RequirementStatus
from ducha.federation.contracts import (
    ActorRef,
    CaseConcluded,
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
)
from ducha.store import EventReader

DOWN_EVENTS = frozenset({"TargetsNotified", "SiteVisitConducted", "ConclusionDelivered", "ReviewDecided",
                         "RectificationVerified", "RectificationReturned", "RectificationOverdue", "TargetUrged"})
ON_REQUIREMENT = frozenset({"RectificationVerified", "RectificationReturned"})  # the target is the requirement's
UP_EVENTS = frozenset({"SelfInspectionSent", "RectificationSent", "ReviewApplied"})


class CasesAcross:
    """Makes the case messages of one node's events."""

    def __init__(
        self, node: str, reader: EventReader, serving: Callable[[str], str], calendar: WorkingCalendar, policy: Policy
    ) -> None:
        self.node, self.reader, self.serving, self.calendar, self.policy = node, reader, serving, calendar, policy

    def down(self, envelope: Envelope) -> list[tuple[str, Contract]]:
        """A case's act on targets other nodes serve: (receiver, contract) per such target."""
        if envelope.type not in DOWN_EVENTS:
            return []
        p = envelope.payload
        case: Any = None
        if envelope.type in ON_REQUIREMENT:
            case = self.reader.app.repository.get(envelope.aggregate_id, version=envelope.aggregate_version)
            targets = [case.requirements[p["requirement_id"]].target]
        else:
            targets = p["targets"] if envelope.type == "TargetsNotified" else [p["target"]]
        remote = [(t, self.serving(t)) for t in targets]
        remote = [(t, node) for t, node in remote if node != self.node]
        if not remote:
            return []
        if case is None:
            case = self.reader.app.repository.get(envelope.aggregate_id, version=envelope.aggregate_version)
        if envelope.type == "TargetUrged":
            remote = [(t, node) for t, node in remote if case.aware_since(t) is not None]
        return [(node, self._contract(envelope, case, target)) for target, node in remote]

    def _contract(self, envelope: Envelope, case: Any, target: str) -> Contract:
        p = envelope.payload
        common = {
            "actor": ActorRef(**(envelope.actor or {})), "on": envelope.occurred_on, "case_id": envelope.aggregate_id,
            "level": case.level, "target": target, "title": case.title, "case_type": case.case_type.value,
            "topic": case.topic.value, "covert": case.covert,
        }
        if envelope.type == "TargetsNotified":
            return CaseNotified(**common, site_work_starts=p["site_work_starts"], content=p["content"],
                                supervisors=p["supervisors"], methods=p["methods"])
        if envelope.type == "SiteVisitConducted":
            return CaseVisited(**common)
        if envelope.type == "ReviewDecided":
            return CaseReviewDecided(**common, outcome=p["outcome"], grounds=p["grounds"], requirements=requirements_of(case, target))
        if envelope.type in AFTER_CONCLUSION:
            act = {k: common[k] for k in ("actor", "on", "case_id", "level", "target")}
            act_id = f"{envelope.aggregate_id}:{envelope.aggregate_version}"
            return AFTER_CONCLUSION[envelope.type](act | {"act_id": act_id}, p)
        issued = self._issued(envelope, target)
        return CaseConcluded(
            **common, summary=issued["summary"], findings=issued["findings"], requirements=requirements_of(case, target),
            issued_on=case.conclusions[target]["issued_on"], review_by=case.review_window(target, self.calendar, self.policy).on,
        )

    def _issued(self, envelope: Envelope, target: str) -> dict[str, Any]:
        """The `ConclusionIssued` on the target, before this delivery, with the texts of the findings it cites
        (neither its summary nor a finding's text is in the case's fold)."""
        events = list(self.reader.app.repository.event_store.get(envelope.aggregate_id, lte=envelope.aggregate_version))
        issued = [e for e in events if type(e).__name__ == "ConclusionIssued" and e.target == target][-1]
        recorded = {e.finding_id: e for e in events if type(e).__name__ == "FindingRecorded"}
        findings = [{"id": f, "item": recorded[f].item, "text": recorded[f].text} for f in issued.findings]
        return {"summary": issued.summary, "findings": findings}

    def up(self, envelope: Envelope) -> list[tuple[str, Contract]]:
        """A target's act on a case received from above, to the case's node."""
        if envelope.type not in UP_EVENTS:
            return []
        record: ReceivedCase = self.reader.app.repository.get(envelope.aggregate_id, version=envelope.aggregate_version)
        p = envelope.payload
        common = {
            "actor": ActorRef(**(envelope.actor or {})), "on": envelope.occurred_on, "case_id": record.case_id,
            "level": record.level, "target": record.target, "act_id": f"{envelope.aggregate_id}:{envelope.aggregate_version}",
        }
        if envelope.type == "ReviewApplied":
            made: Contract = CaseReviewRequested(**common, grounds=p["grounds"])
        elif envelope.type == "SelfInspectionSent":
            made = CaseSelfInspectionSubmitted(**common, report=p["report"], items=p["items"])
        elif p["completed"]:
            made = CaseRectificationCompleted(**common, requirement_id=p["requirement_id"], summary=p["progress"])
        else:
            made = CaseRectificationReported(**common, requirement_id=p["requirement_id"], progress=p["progress"],
                                             percent=p["percent"])
        return [(record.sender, made)]


# The case's acts after its conclusion (on one requirement, or urging the target): its contract, from the act's
# common fields and the event's payload.
AFTER_CONCLUSION: dict[str, Callable[[dict[str, Any], dict[str, Any]], Contract]] = {
    "RectificationVerified": lambda act, p: CaseRectificationVerified(
        **act, requirement_id=p["requirement_id"], remarks=p["remarks"]),
    "RectificationReturned": lambda act, p: CaseRectificationReturned(
        **act, requirement_id=p["requirement_id"], reason=p["reason"]),
    "RectificationOverdue": lambda act, p: CaseRectificationOverdue(
        **act, requirement_id=p["requirement_id"], deadline=p["deadline"]),
    "TargetUrged": lambda act, p: CaseTargetUrged(**act, requirement_id=p["requirement_id"], message=p["message"]),
}


def requirements_of(case: Any, target: str) -> list[dict[str, Any]]:
    """The target's requirements still standing (not waived by a review), in the order they were set."""
    return [
        {"id": r.id, "text": r.text, "deadline": r.deadline}
        for r in case.requirements.values()
        if r.target == target and r.status is not RequirementStatus.WAIVED
    ]
