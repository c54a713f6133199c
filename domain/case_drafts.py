"""What a case keeps that its parties never read: the supervision office's internal notes (内部备注) and the
unpublished drafts of a conclusion (督查结论草稿) and of a third-party evaluation (评估意见草稿).

* An **internal note** is the supervision office's (督查机构) working note on a case of its own level, at any
  point of the case: an observation, a lead to check, a reminder. It is never published.
* A **conclusion draft** is prepared by the supervision office, after its report (step 8), for the
  government that issues the conclusion (Art. 16). A later draft on the same target supersedes the earlier;
  once the conclusion on that target is issued, no draft is saved any more. The draft itself is never
  published: what the target receives is the conclusion as issued (`ConclusionIssued`).
* An **evaluation draft** is an entrusted evaluator's (第三方评估) work in progress; what the office and the
  target see is the evaluation once submitted (`EvaluationSubmitted`).

Who may read these events is the read side's rule (`api/visibility.py`, `RESTRICTED`); here, who may
record them. Events and commands of `Case`, kept here so the aggregate's module stays readable.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from eventsourcing.domain import Aggregate

from domain.actor import Actor, Role
from domain.case_base import CaseRules, CaseState, check_act_date
from domain.errors import ActNotAllowed, InvalidCommand, WrongState
from domain.rectification import Requirement
from domain.units import UnitRegistry


class Drafts(CaseRules):
    """Internal notes and unpublished drafts."""

    class InternalNoteRecorded(Aggregate.Event):
        """The supervision office's working note on the case (内部备注), about the whole case or one target."""

        actor: dict[str, str]
        on: date
        text: str
        target: str | None

    class ConclusionDrafted(Aggregate.Event):
        """The office's draft of a target's conclusion (督查结论草稿), for the government to issue."""

        actor: dict[str, str]
        on: date
        target: str
        summary: str
        findings: list[str]
        requirements: list[dict[str, Any]]

    class EvaluationDrafted(Aggregate.Event):
        """An entrusted evaluator's unsubmitted evaluation of a target (评估意见草稿)."""

        actor: dict[str, str]
        on: date
        target: str
        summary: str
        items: dict[str, str]

    # ---- commands ---------------------------------------------------------------------

    def record_internal_note(
        self, *, actor: Actor, on: date, now: datetime, registry: UnitRegistry, text: str, target: str | None = None
    ) -> None:
        """The supervision office of the case's level notes something on the case, at any point of it."""
        self.check_same_level(actor, registry, Role.AGENCY)
        if target is not None:
            self.check_target(target)
        self.check_text(text, "an internal note")
        check_act_date(on, now, not_before=self.proposed_on)
        self._record(self.InternalNoteRecorded, actor, on, now, text=text, target=target)

    def save_conclusion_draft(
        self,
        *,
        actor: Actor,
        on: date,
        now: datetime,
        registry: UnitRegistry,
        target: str,
        summary: str,
        findings: Sequence[str] = (),
        requirements: Sequence[dict[str, Any]] = (),
    ) -> None:
        """The supervision office drafts a target's conclusion after its report, until the conclusion is issued."""
        self.check_state(CaseState.REPORTED, "draft a conclusion on")
        self.check_same_level(actor, registry, Role.AGENCY)
        self.check_target(target)
        self.check_not_recused(actor, target)
        if target in self.conclusions:
            raise WrongState(f"the conclusion on {target} is already issued")
        self.check_text(summary, "a conclusion draft")
        check_act_date(on, now, not_before=self.reported_on)
        self.check_findings_of(target, findings)
        self.check_requirements(requirements, on)
        self._record(
            self.ConclusionDrafted, actor, on, now, target=target, summary=summary, findings=list(findings),
            requirements=[Requirement.payload(r) for r in requirements],
        )

    def save_evaluation_draft(
        self, *, actor: Actor, on: date, now: datetime, target: str, summary: str, items: dict[str, str] | None = None,
        registry: UnitRegistry | None = None,
    ) -> None:
        """An evaluator entrusted in the plan saves its evaluation of a target before submitting it."""
        self.check_planned("evaluate for")
        if actor.role is not Role.EVALUATOR or actor.unit not in self.plan["evaluators"]:
            raise ActNotAllowed("only an evaluator entrusted in the plan drafts evaluations")
        self.check_target(target)
        self.check_text(summary, "an evaluation draft")
        check_act_date(on, now, not_before=self.planned_on)
        self._record(self.EvaluationDrafted, actor, on, now, target=target, summary=summary, items=dict(items or {}))

    # ---- rules ------------------------------------------------------------------------

    @staticmethod
    def check_text(text: str, what: str) -> None:
        """Raised when a note or a draft is empty."""
        if not text.strip():
            raise InvalidCommand(f"{what} has content")

