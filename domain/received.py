"""Supervision cases received from above (上级督查事项): a higher level's case on a unit this node serves,
as the target's node knows it, and the target's acts on it that go back up.

* `ReceivedCase` — one per (case's level, case id, target): what reached this node about the target's part of
  the case — its notice (督查通知), its site visit (for a covert case 暗访, the first thing that ever reaches it),
  its conclusion (督查结论) with the findings it rests on and its review decision (复核决定), the office's check
  (核查) of each rectification, verified or returned, the clock's overdue marks (逾期) and the urging (催办) — and
  what the target sent back: its self-inspection (自查), its rectification reports (整改报告) and its application
  for review (复核申请). Each requirement shows where it stands as the target's node knows it (`REQUIREMENT`).
  Each received fact is recorded once: a message applied twice has no second effect. The target's acts are
  judged here only as far as this node can know (the target itself acts, the requirement exists, the review
  period of Art. 17 is open); the case's own node judges them again when they arrive, and an act it refuses comes
  back (退件, `ActRefused`): the act shows as refused with the reason, a refused review application no longer holds
  the requirements, and a refused rectification report leaves its requirement where it stood before it.
* `RemoteActApplied` — on the node of a case or an instruction: the mark that one act sent up by a lower node (a
  target's rectification report, a lead unit's answer) was recorded on it (in the same transaction), so that it is
  recorded once.
* `RemoteActRefused` — on the node of a case or an instruction: one act sent up that the node refused by a rule of
  its domain, with the reason that goes back down to its sender (the outbox makes it an `ActRefused`).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.actor import Actor, Role
from domain.case_base import check_act_date, check_grounds
from domain.errors import ActNotAllowed, InvalidCommand, WrongState

HEADER = ("title", "case_type", "topic", "covert")
# Where a requirement stands on the target's node: its status (open, in-progress and completed as the target
# sent them, verified or returned as the office checked them), overdue once the case's clock marked it.
REQUIREMENT = {"status": "open", "overdue": False}


def standing(
    requirements: list[dict[str, Any]], before: dict[str, dict[str, Any]] | None = None
) -> dict[str, dict[str, Any]]:
    """The requirements as received, each where it stood `before` (an upheld review keeps them) or open."""
    before = before or {}
    return {r["id"]: {**REQUIREMENT, **before.get(r["id"], {}), **r} for r in requirements}


def received_case_id(level: str, case_id: str, target: str) -> UUID:
    """The one record of a target's part in a higher level's case on this node."""
    return uuid5(NAMESPACE_URL, f"urn:ducha:received-case:{level}:{case_id}:{target}")


def remote_act_id(sender: str, act_id: str) -> UUID:
    """The one mark of an act a lower node sent up."""
    return uuid5(NAMESPACE_URL, f"urn:ducha:remote-act:{sender}:{act_id}")


class ReceivedCase(Aggregate):
    """A target's part in a higher level's case, as the target's node received it (the case lives on `sender`)."""

    class ReceivedCaseOpened(Aggregate.Created):
        """The first message about the case reached the target's node."""

        actor: dict[str, str]
        on: date
        level: str
        case_id: str
        target: str
        sender: str
        title: str
        case_type: str
        topic: str
        covert: bool

        def apply(self, record: ReceivedCase) -> None:
            for name in ("level", "case_id", "target", "sender", *HEADER):
                setattr(record, name, getattr(self, name))
            record.notice, record.visited_on, record.conclusion = None, None, None
            record.requirements, record.review, record.urged, record.acts = {}, None, [], set()
            record.sent, record.refused, record.last_sent = {}, {}, {}

    class NoticeReceived(Aggregate.Event):
        """督查通知: content, start of on-site work, supervisors and methods (dated by its notice)."""

        actor: dict[str, str]
        on: date
        site_work_starts: date
        content: str
        supervisors: list[str]
        methods: list[str]

        def apply(self, record: ReceivedCase) -> None:
            record.notice = {"notified_on": self.on, "site_work_starts": self.site_work_starts, "content": self.content,
                             "supervisors": list(self.supervisors), "methods": list(self.methods)}

    class VisitReceived(Aggregate.Event):
        """Supervisors were on site at the target on `on` (a covert case: 四不两直)."""

        actor: dict[str, str]
        on: date

        def apply(self, record: ReceivedCase) -> None:
            record.visited_on = self.on

    class ConclusionReceived(Aggregate.Event):
        """督查结论, delivered to the target on `on`, with its requirements and the last day to apply for review."""

        actor: dict[str, str]
        on: date
        summary: str
        findings: list[dict[str, Any]]
        requirements: list[dict[str, Any]]
        issued_on: date
        review_by: date

        def apply(self, record: ReceivedCase) -> None:
            record.conclusion = {"summary": self.summary, "findings": [dict(f) for f in self.findings],
                                 "issued_on": self.issued_on, "delivered_on": self.on, "review_by": self.review_by}
            record.requirements = standing(self.requirements)

    class ReviewDecisionReceived(Aggregate.Event):
        """复核决定: upheld or amended; the target's requirements as they stand after it."""

        actor: dict[str, str]
        on: date
        outcome: str
        grounds: str
        requirements: list[dict[str, Any]]

        def apply(self, record: ReceivedCase) -> None:
            record.review = {**(record.review or {}), "decided_on": self.on, "outcome": self.outcome, "grounds": self.grounds}
            record.requirements = standing(self.requirements, record.requirements if self.outcome == "upheld" else None)

    class VerificationReceived(Aggregate.Event):
        """核查: the office confirmed the target's rectification of a requirement."""

        actor: dict[str, str]
        on: date
        act_id: str
        requirement_id: str
        remarks: str

        def apply(self, record: ReceivedCase) -> None:
            record.acts.add(self.act_id)
            record.requirements[self.requirement_id].update(status="verified", verified_on=self.on, remarks=self.remarks)

    class ReturnReceived(Aggregate.Event):
        """核查: the office sent the target's claimed rectification of a requirement back, with its reason."""

        actor: dict[str, str]
        on: date
        act_id: str
        requirement_id: str
        reason: str

        def apply(self, record: ReceivedCase) -> None:
            record.acts.add(self.act_id)
            record.requirements[self.requirement_id].update(status="returned", returned_on=self.on, reason=self.reason)

    class OverdueReceived(Aggregate.Event):
        """逾期: the case's clock marked a requirement overdue."""

        actor: dict[str, str]
        on: date
        act_id: str
        requirement_id: str

        def apply(self, record: ReceivedCase) -> None:
            record.acts.add(self.act_id)
            record.requirements[self.requirement_id].update(overdue=True, overdue_on=self.on)

    class UrgingReceived(Aggregate.Event):
        """催办: the office (or its clock) urged the target, about one requirement or about the case."""

        actor: dict[str, str]
        on: date
        act_id: str
        requirement_id: str | None
        message: str

        def apply(self, record: ReceivedCase) -> None:
            record.acts.add(self.act_id)
            record.urged.append({"on": self.on, "requirement_id": self.requirement_id, "message": self.message})

    class SelfInspectionSent(Aggregate.Event):
        """自查、说明: the target's self-inspection and written explanation, sent up."""

        actor: dict[str, str]
        on: date
        report: str
        items: dict[str, str]

        def apply(self, record: ReceivedCase) -> None:
            record.sent[sent_act_id(self)] = {"kind": "self-inspection"}

    class RectificationSent(Aggregate.Event):
        """整改报告: the target's progress on a requirement (`completed`: its claim that it is rectified), sent up."""

        actor: dict[str, str]
        on: date
        requirement_id: str
        progress: str
        percent: int | None
        completed: bool

        def apply(self, record: ReceivedCase) -> None:
            requirement = record.requirements[self.requirement_id]
            record.sent[sent_act_id(self)] = {"kind": "rectification", "requirement_id": self.requirement_id,
                                             "before": requirement["status"]}
            requirement["status"] = "completed" if self.completed else "in-progress"
            record.last_sent[self.requirement_id] = sent_act_id(self)

    class ReviewApplied(Aggregate.Event):
        """复核申请: the target applied for review of its conclusion, sent up."""

        actor: dict[str, str]
        on: date
        grounds: str

        def apply(self, record: ReceivedCase) -> None:
            record.review = {"requested_on": self.on, "grounds": self.grounds}
            record.sent[sent_act_id(self)] = {"kind": "review"}

    class RefusalReceived(Aggregate.Event):
        """退件: the case's node refused the act `act_id` the target sent up, with the domain error's slug and text;
        `restored` is the requirement's status again (a refused rectification report), `review_dropped` whether a
        refused review application stopped holding the requirements."""

        actor: dict[str, str]
        on: date
        act_id: str
        contract: str
        reason: str
        text: str
        restored: str | None
        review_dropped: bool

        def apply(self, record: ReceivedCase) -> None:
            record.refused[self.act_id] = {"contract": self.contract, "reason": self.reason, "text": self.text,
                                           "refused_on": self.on}
            sent = record.sent[self.act_id]
            if self.restored is not None:
                record.requirements[sent["requirement_id"]]["status"] = self.restored
            if self.review_dropped:
                record.review = None

    # ---- what arrives --------------------------------------------------------------------

    @classmethod
    def open(
        cls, *, actor: Actor, on: date, now: datetime, level: str, case_id: str, target: str, sender: str,
        header: dict[str, Any],
    ) -> ReceivedCase:
        """The target's record of a higher level's case, opened by the first message about it."""
        return cls._create(
            cls.ReceivedCaseOpened, id=received_case_id(level, case_id, target), timestamp=now, actor=actor.as_dict(),
            on=on, level=level, case_id=case_id, target=target, sender=sender, **{k: header[k] for k in HEADER},
        )

    def receive_notice(self, *, actor: Actor, on: date, now: datetime, site_work_starts: date, content: str,
                       supervisors: list[str], methods: list[str]) -> bool:
        """Records the notice; answers False (and records nothing) when this notice is recorded already."""
        notice = {"notified_on": on, "site_work_starts": site_work_starts, "content": content,
                  "supervisors": list(supervisors), "methods": list(methods)}
        if notice == self.notice:
            return False
        self._record(self.NoticeReceived, actor, on, now, site_work_starts=site_work_starts, content=content,
                     supervisors=list(supervisors), methods=list(methods))
        return True

    def receive_visit(self, *, actor: Actor, on: date, now: datetime) -> bool:
        """Records the first visit; a later one (or the same one again) records nothing."""
        if self.visited_on is not None:
            return False
        self._record(self.VisitReceived, actor, on, now)
        return True

    def receive_conclusion(self, *, actor: Actor, on: date, now: datetime, summary: str, findings: list[dict[str, Any]],
                           requirements: list[dict[str, Any]], issued_on: date, review_by: date) -> bool:
        """Records the delivered conclusion with its findings (id, item, text), once: a conclusion changes only by
        review."""
        if self.conclusion is not None:
            return False
        self._record(self.ConclusionReceived, actor, on, now, summary=summary, findings=[dict(f) for f in findings],
                     requirements=[dict(r) for r in requirements], issued_on=issued_on, review_by=review_by)
        return True

    def receive_review_decision(self, *, actor: Actor, on: date, now: datetime, outcome: str, grounds: str,
                                requirements: list[dict[str, Any]]) -> bool:
        """Records the review's decision, once."""
        if (self.review or {}).get("decided_on") is not None:
            return False
        self._record(self.ReviewDecisionReceived, actor, on, now, outcome=outcome, grounds=grounds,
                     requirements=[dict(r) for r in requirements])
        return True

    def receive_verification(self, *, actor: Actor, on: date, now: datetime, act_id: str, requirement_id: str,
                             remarks: str) -> bool:
        """核查: records the office's confirmation of a rectification, once per act."""
        return self._receive_act(self.VerificationReceived, actor, on, now, act_id, requirement_id, remarks=remarks)

    def receive_return(self, *, actor: Actor, on: date, now: datetime, act_id: str, requirement_id: str,
                       reason: str) -> bool:
        """核查: records the office's return of a rectification, once per act (a requirement may be returned again)."""
        return self._receive_act(self.ReturnReceived, actor, on, now, act_id, requirement_id, reason=reason)

    def receive_overdue(self, *, actor: Actor, on: date, now: datetime, act_id: str, requirement_id: str) -> bool:
        """逾期: records the case clock's overdue mark on a requirement, once per act."""
        return self._receive_act(self.OverdueReceived, actor, on, now, act_id, requirement_id)

    def receive_urging(self, *, actor: Actor, on: date, now: datetime, act_id: str, requirement_id: str | None,
                       message: str) -> bool:
        """催办: records an urging, once per act; one about a requirement names one the target knows."""
        if act_id in self.acts:
            return False
        if requirement_id is not None:
            self.check_requirement_known(requirement_id)
        self._record(self.UrgingReceived, actor, on, now, act_id=act_id, requirement_id=requirement_id, message=message)
        return True

    def _receive_act(self, event_class: type, actor: Actor, on: date, now: datetime, act_id: str, requirement_id: str,
                     **payload: Any) -> bool:
        """Records the case's act on one of the target's requirements, unless this act was recorded before."""
        if act_id in self.acts:
            return False
        self.check_requirement_known(requirement_id)
        self._record(event_class, actor, on, now, act_id=act_id, requirement_id=requirement_id, **payload)
        return True

    def receive_refusal(self, *, actor: Actor, on: date, now: datetime, act_id: str, contract: str, reason: str,
                        text: str) -> bool:
        """退件: records that the case's node refused one of the target's acts, once per act. A refused rectification
        report that is still its requirement's last leaves the requirement as it stood before it; a refused review
        application, while no decision came, no longer holds the requirements."""
        if act_id in self.refused:
            return False
        sent = self.sent.get(act_id)
        if sent is None:
            raise InvalidCommand(f"no act {act_id!r} was sent up from this record")
        restored = None
        if sent["kind"] == "rectification":
            requirement = self.requirements.get(sent["requirement_id"])
            last = self.last_sent.get(sent["requirement_id"]) == act_id
            if last and requirement is not None and requirement["status"] in ("completed", "in-progress"):
                restored = sent["before"]
        review_dropped = sent["kind"] == "review" and self.review is not None and "decided_on" not in self.review
        self._record(self.RefusalReceived, actor, on, now, act_id=act_id, contract=contract, reason=reason, text=text,
                     restored=restored, review_dropped=review_dropped)
        return True

    # ---- what the target sends up --------------------------------------------------------

    def submit_self_inspection(self, *, actor: Actor, on: date, now: datetime, report: str,
                               items: dict[str, str] | None = None) -> None:
        """自查、说明: the target sends its self-inspection, once it knows of the case and before its conclusion."""
        self.check_acts_for_target(actor)
        if self.aware_since is None:
            raise WrongState("the target does not know of this case yet")
        if self.conclusion is not None:
            raise WrongState("the conclusion is delivered: the self-inspection is over")
        if not report.strip():
            raise InvalidCommand("a self-inspection states what the target found")
        check_act_date(on, now, not_before=self.aware_since)
        self._record(self.SelfInspectionSent, actor, on, now, report=report, items=dict(items or {}))

    def send_rectification(self, *, actor: Actor, on: date, now: datetime, requirement_id: str, progress: str = "",
                           percent: int | None = None, completed: bool = False) -> None:
        """整改报告: the target reports progress on one of its requirements, or (`completed`) claims it rectified."""
        self.check_acts_for_target(actor)
        self.check_rectifiable(requirement_id)
        if self.requirements[requirement_id]["status"] == "verified":
            raise WrongState(f"requirement {requirement_id!r} is verified")
        if percent is not None and not 0 <= percent <= 100:
            raise InvalidCommand("progress is a percentage from 0 to 100")
        if not progress.strip():
            raise InvalidCommand("a rectification report states what was done")
        check_act_date(on, now, not_before=self.conclusion["delivered_on"])
        self._record(self.RectificationSent, actor, on, now, requirement_id=requirement_id, progress=progress,
                     percent=percent, completed=completed)

    def apply_for_review(self, *, actor: Actor, on: date, now: datetime, grounds: str) -> None:
        """复核申请: the target applies, once, by the last day of Art. 17's period its case's node counted."""
        self.check_acts_for_target(actor)
        conclusion = self.check_concluded()
        if self.review is not None:
            raise WrongState("a conclusion is reviewed once")
        check_grounds(grounds, "an application for review")
        check_act_date(on, now, not_before=conclusion["delivered_on"])
        if on > conclusion["review_by"]:
            raise InvalidCommand(f"too late to apply for review: the period ended on {conclusion['review_by']}")
        self._record(self.ReviewApplied, actor, on, now, grounds=grounds)

    # ---- rules ---------------------------------------------------------------------------

    def check_acts_for_target(self, actor: Actor) -> None:
        """Raised unless the target itself acts, in the role `target`."""
        if actor.role is not Role.TARGET or actor.unit != self.target:
            raise ActNotAllowed(f"only unit {self.target!r} in the role 'target' acts on its part of this case")

    def check_concluded(self) -> dict[str, Any]:
        """Raised before the conclusion is delivered: there is nothing to rectify or review yet."""
        if self.conclusion is None:
            raise WrongState("no conclusion on this target has been delivered")
        return self.conclusion

    def check_requirement_known(self, requirement_id: str) -> None:
        """Raised when no conclusion delivered here has such a requirement."""
        self.check_concluded()
        if requirement_id not in self.requirements:
            raise InvalidCommand(f"no requirement {requirement_id!r} in this conclusion")

    def check_rectifiable(self, requirement_id: str) -> None:
        """Raised when the requirement is unknown, or waits on an open review."""
        self.check_requirement_known(requirement_id)
        if self.review is not None and "decided_on" not in self.review:
            raise WrongState("the requirements wait while a review of the conclusion is open")

    @property
    def aware_since(self) -> date | None:
        """When the target could first know of the case: its notice or, for a covert case, the visit."""
        return self.notice["notified_on"] if self.notice is not None else self.visited_on

    @property
    def state(self) -> str:
        """Where the target's part stands, as this node knows it."""
        if self.review is not None:
            return "reviewed" if "decided_on" in self.review else "under-review"
        if self.conclusion is not None:
            return "concluded"
        if self.visited_on is not None:
            return "visited"
        return "notified" if self.notice is not None else "received"

    def _record(self, event_class: type, actor: Actor, on: date, now: datetime, **payload: Any) -> None:
        self.trigger_event(event_class, timestamp=now, actor=actor.as_dict(), on=on, **payload)


def sent_act_id(event: Aggregate.Event) -> str:
    """The id of an act sent up: its record's id and the version of the event that made it (what the outbox names
    the act by)."""
    return f"{event.originator_id}:{event.originator_version}"


def remote_refusal_id(sender: str, act_id: str) -> UUID:
    """The one refusal of an act a lower node sent up."""
    return uuid5(NAMESPACE_URL, f"urn:ducha:remote-act-refused:{sender}:{act_id}")


class RemoteActRefused(Aggregate):
    """One act a lower node sent up that this node refused by a rule of its domain (退件): what goes back down."""

    class RemoteActRefusalRecorded(Aggregate.Created):
        """The act `act_id` of `sender` (message `message_id`, contract `contract`) about `aggregate_id` (a case's
        `target`, or an instruction's lead unit) of `level` was refused: `reason` (the error's slug) and `text` go back
        to the sender; `detail` (the error's own words, which may name what the unit may not see) stays here."""

        actor: dict[str, str]
        on: date
        sender: str
        message_id: str
        act_id: str
        contract: str
        level: str
        aggregate_kind: str
        aggregate_id: str
        target: str
        reason: str
        text: str
        detail: str

        def apply(self, record: RemoteActRefused) -> None:
            record.message_id, record.detail = self.message_id, self.detail

    @classmethod
    def record(
        cls, *, actor: Actor, on: date, now: datetime, sender: str, message_id: str, act_id: str, contract: str,
        level: str, aggregate_kind: str, aggregate_id: str, target: str, reason: str, text: str, detail: str,
    ) -> RemoteActRefused:
        return cls._create(
            cls.RemoteActRefusalRecorded, id=remote_refusal_id(sender, act_id), timestamp=now, actor=actor.as_dict(),
            on=on, sender=sender, message_id=message_id, act_id=act_id, contract=contract, level=level,
            aggregate_kind=aggregate_kind, aggregate_id=aggregate_id, target=target, reason=reason, text=text,
            detail=detail,
        )


class RemoteActApplied(Aggregate):
    """One act a lower node sent up, recorded on this node's case or instruction in the same transaction."""

    class RemoteActRecorded(Aggregate.Created):
        """The act `act_id` of `sender` was recorded on `aggregate_id` as `command`."""

        actor: dict[str, str]
        on: date
        sender: str
        act_id: str
        aggregate_id: str
        command: str

    @classmethod
    def mark(
        cls, *, actor: Actor, on: date, now: datetime, sender: str, act_id: str, aggregate_id: str, command: str
    ) -> RemoteActApplied:
        return cls._create(
            cls.RemoteActRecorded, id=remote_act_id(sender, act_id), timestamp=now, actor=actor.as_dict(), on=on,
            sender=sender, act_id=act_id, aggregate_id=aggregate_id, command=command,
        )
