"""What the levels below reported up (下级报送): their cases' reports and results (督查事项报告, step 8) and their
burden counts (基层负担), recorded on the receiving node as its own facts.

* `ReportedCase` — one per (case's level, case id): every report a lower level sent about one of its cases
  (its state, key dates, counts of findings and requirements, summary). A report identical to the last one
  recorded changes nothing, so a message applied twice has no second effect.
* `ReportedBurden` — one per (reporting node, year): the last burden counts per unit that the node reported
  for its own level and everything below it. A newer report replaces the counts; an identical one changes nothing.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.actor import Actor


def reported_case_id(level: str, case_id: str) -> UUID:
    """The one record of a lower level's case on this node."""
    return uuid5(NAMESPACE_URL, f"urn:ducha:reported-case:{level}:{case_id}")


def reported_burden_id(node: str, year: int) -> UUID:
    """The one record of a lower node's burden counts for a year."""
    return uuid5(NAMESPACE_URL, f"urn:ducha:reported-burden:{node}:{year}")


class ReportedCase(Aggregate):
    """A case of a lower level as that level reported it (the case itself lives on its own node)."""

    class ReportedCaseOpened(Aggregate.Created):
        """The first report of a lower level's case reached this node."""

        actor: dict[str, str]
        on: date
        level: str
        case_id: str

        def apply(self, record: ReportedCase) -> None:
            record.level, record.case_id, record.report = self.level, self.case_id, {}

    class CaseReportReceived(Aggregate.Event):
        """A report of the case (its state and results as of `on`), sent by `sender`."""

        actor: dict[str, str]
        on: date
        sender: str
        report: dict[str, Any]

        def apply(self, record: ReportedCase) -> None:
            record.report = dict(self.report)

    @classmethod
    def open(cls, *, actor: Actor, on: date, now: datetime, level: str, case_id: str) -> ReportedCase:
        """The record of a lower level's case, opened by its first report."""
        return cls._create(
            cls.ReportedCaseOpened, id=reported_case_id(level, case_id), timestamp=now, actor=actor.as_dict(), on=on,
            level=level, case_id=case_id,
        )

    def receive(self, *, actor: Actor, on: date, now: datetime, sender: str, report: dict[str, Any]) -> bool:
        """Records a report; answers False (and records nothing) when it says what the last one said."""
        if report == self.report:
            return False
        self.trigger_event(self.CaseReportReceived, timestamp=now, actor=actor.as_dict(), on=on, sender=sender, report=report)
        return True


class ReportedBurden(Aggregate):
    """A lower node's burden counts for one year: {unit: {measure: count}}, for its level and all below it."""

    class ReportedBurdenOpened(Aggregate.Created):
        """The first burden report of a lower node for a year reached this node."""

        actor: dict[str, str]
        on: date
        node: str
        year: int

        def apply(self, record: ReportedBurden) -> None:
            record.node, record.year, record.counts = self.node, self.year, {}

    class BurdenReportReceived(Aggregate.Event):
        """The node's counts per unit for the year, replacing what it reported before."""

        actor: dict[str, str]
        on: date
        node: str
        year: int
        counts: dict[str, dict[str, int]]

        def apply(self, record: ReportedBurden) -> None:
            record.counts = {unit: dict(measures) for unit, measures in self.counts.items()}

    @classmethod
    def open(cls, *, actor: Actor, on: date, now: datetime, node: str, year: int) -> ReportedBurden:
        """The record of a lower node's burden for a year, opened by its first report."""
        return cls._create(
            cls.ReportedBurdenOpened, id=reported_burden_id(node, year), timestamp=now, actor=actor.as_dict(), on=on,
            node=node, year=year,
        )

    def receive(self, *, actor: Actor, on: date, now: datetime, counts: dict[str, dict[str, int]]) -> bool:
        """Records the counts; answers False (and records nothing) when they equal the last ones."""
        if counts == self.counts:
            return False
        self.trigger_event(
            self.BurdenReportReceived, timestamp=now, actor=actor.as_dict(), on=on, node=self.node, year=self.year,
            counts=counts,
        )
        return True
