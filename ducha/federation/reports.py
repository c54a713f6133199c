"""What a node reports up to the node above it (上报): its cases' reports and results (督查事项报告, DOMAIN step 8)
and its burden counts (基层负担).

* `case_report`: a case's `ReportSubmitted` (with `report_up`), `ConclusionIssued` and `CaseClosed` each make a
  `CaseReported` with the case as it stood at that event (read from the event store at that version, so the
  message is the same however late the outbox reads it);
* `forwarded`: a report this node received from below (`CaseReportReceived`) goes on up unchanged, so the
  province sees its counties' cases through their city;
* `burden_reports`: per year, the counts of this node and everything reported to it from below
  (`projections/province_burden.totals`), sent when they differ from the counts last sent for that year.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from typing import Any

from domain.envelope import Envelope
from ducha.federation.contracts import ActorRef, BurdenReported, CaseReported
from ducha.store import EventReader
from projections.province_burden import totals, years
from projections.store import Tx

CASE_REPORTING_EVENTS = frozenset({"ReportSubmitted", "ConclusionIssued", "CaseClosed"})
DONE = frozenset({"verified", "waived"})


def _iso(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, date) else value


def case_report(reader: EventReader, envelope: Envelope) -> CaseReported | None:
    """The report one case event makes, or None (a report the office kept to its own government)."""
    if envelope.type not in CASE_REPORTING_EVENTS:
        return None
    if envelope.type == "ReportSubmitted" and not envelope.payload.get("report_up", True):
        return None
    case = reader.app.repository.get(envelope.aggregate_id, version=envelope.aggregate_version)
    conclusions = [c["issued_on"] for c in getattr(case, "conclusions", {}).values()]
    requirements = list(getattr(case, "requirements", {}).values())
    results = Counter(  # a proposal not yet approved stays inside its level (Art. 21): approved uses only
        str(getattr(p["kind"], "value", p["kind"])) for p in getattr(case, "proposals", {}).values()
        if p.get("effective_on") is not None
    )
    return CaseReported(
        actor=ActorRef(**(envelope.actor or {})), on=envelope.occurred_on, case_id=envelope.aggregate_id, level=case.level,
        title=case.title, case_type=case.case_type.value, topic=case.topic.value, covert=case.covert,
        targets=list(case.targets), state=case.state.value, proposed_on=case.proposed_on,
        reported_on=getattr(case, "reported_on", None), concluded_on=max(conclusions) if conclusions else None,
        closed_on=envelope.occurred_on if envelope.type == "CaseClosed" else None,
        findings=len(getattr(case, "findings", {})), requirements=len(requirements),
        requirements_done=sum(1 for r in requirements if str(getattr(r.status, "value", r.status)) in DONE),
        results=dict(sorted(results.items())), summary=envelope.payload.get("summary", ""),
    )


def forwarded(envelope: Envelope) -> CaseReported | None:
    """A lower level's case report, passed on up as it came."""
    if envelope.type != "CaseReportReceived":
        return None
    return CaseReported(actor=ActorRef(**(envelope.actor or {})), on=envelope.occurred_on, **envelope.payload["report"])


def burden_reports(tx: Tx, node: str, receiver: str, today: date) -> list[BurdenReported]:
    """A report per year whose counts changed since the last one sent to `receiver`; remembers what it makes."""
    made = []
    for year in years(tx):
        counts = totals(tx, year)
        data = json.dumps(counts, sort_keys=True)
        row = tx.query_one("SELECT data FROM fed_burden_sent WHERE receiver = ? AND year = ?", (receiver, year))
        if row is not None and row["data"] == data:
            continue
        tx.execute(
            "INSERT INTO fed_burden_sent (receiver, year, data) VALUES (?, ?, ?) "
            "ON CONFLICT (receiver, year) DO UPDATE SET data = excluded.data",
            (receiver, year, data),
        )
        actor = ActorRef(unit=node, role="agency", person="负担汇总")
        made.append(BurdenReported(actor=actor, on=today, year=year, counts=counts))
    return made
