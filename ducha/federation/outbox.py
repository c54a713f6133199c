"""The outbox (发件): this node's events that cross a level, as signed messages to the node they concern.

The outbox follows the node's history (the event store's notification log) from its own tracked
position. An event that crosses a level becomes a message with the next sequence number for its
receiver and the id of the message before it; the messages and the new position are written in one
transaction of the views DB, so none is made twice or skipped. A sender then publishes each receiver's
unsent messages in order, with `Nats-Msg-Id` = the message id, to the receiver's inbox stream across the
leaf-node link, and marks each sent only once its receiver's JetStream acknowledged it. While a link is
down the messages wait in the outbox: a node that was offline catches up by itself.

What crosses (the ledger, 工作台账):
* down — a child task decomposed for a unit another node serves (`remote_node`): `TaskAssigned`;
* up — on a task assigned from above (its level is a superior node): `TaskAccepted`, `ProgressReported`
  and the roll-up of its own children (`ChildProgressRolledUp`) as `TaskProgressReported`, and
  `TaskCompletionClaimed`.

What crosses (cases and burden, `reports.py`), always to `parent`, the node directly above (none at the top):
a case's report with `report_up`, its conclusions and its closing as `CaseReported`; a case report received
from below, forwarded as it came; and, at most every `burden_every` seconds, `BurdenReported` for each year
whose counts changed.

What crosses (a supervision case on a target another node serves, `cases.py`): down, to the target's node, a
case's notice, site visit, delivered conclusion and review decision, the office's check of each rectification
(verified or returned), the overdue marks and the urging (nothing of a covert case before its visit); up, from the
target's node to the case's, the target's self-inspection, rectification reports and review application.

What crosses (a leader's instruction whose lead unit another node serves, `instructions.py`): down, its
assignment, the returns of its answer and its closing; up, the lead unit's answer.

What crosses back (退件): a target's act or a lead unit's answer this node's inbox refused by a rule of the domain
(`RemoteActRefusalRecorded`), as `ActRefused` to the node that sent it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import structlog
from nats.js import JetStreamContext

from domain.envelope import Envelope
from domain.units import UnitRegistry
from ducha.federation import state
from ducha.federation.contracts import (
    ActorRef,
    ActRefused,
    Contract,
    SignedMessage,
    TaskAccepted,
    TaskAssigned,
    TaskCompletionClaimed,
    TaskProgressReported,
    message_id,
)
from ducha.clock import Clock
from ducha.federation.cases import CasesAcross
from ducha.federation.instructions import InstructionsAcross
from ducha.federation.reports import burden_reports, case_report, forwarded
from ducha.federation.trust import sign
from ducha.keys import NodeKey
from ducha.store import EventReader
from handlers.relay import Backoff
from projections.store import Tx, ViewStore

log = structlog.get_logger(__name__)

POLL_SECONDS = 0.5
BURDEN_SECONDS = 2.0  # how often the burden counts are compared with the last ones reported up
PUBLISH_TIMEOUT = 5.0


@dataclass
class Outbox:
    """Turns the node's events that cross a level into signed, sequenced messages, and publishes them."""

    node: str
    registry: UnitRegistry
    reader: EventReader
    views: ViewStore
    key: NodeKey
    js: JetStreamContext | None = None
    poll: float = POLL_SECONDS
    parent: str | None = None  # the node this one reports to (cases, burden)
    clock: Clock | None = None  # dates the burden reports
    burden_every: float = BURDEN_SECONDS
    cases: CasesAcross | None = None  # a case's acts down to its targets' nodes (None: this node sends none)
    instructions: InstructionsAcross | None = None  # an instruction's acts down to its lead unit's node
    _burden_at: float = 0.0
    _woken: asyncio.Event = field(default_factory=asyncio.Event)

    # ---- events → messages ------------------------------------------------------------

    def collect(self, limit: int = 500) -> int:
        """Turns the next events of the history into messages; returns how many events it read."""
        with self.views.transaction() as tx:
            row = tx.query_one("SELECT position FROM fed_out_tracking WHERE node = ?", (self.node,))
            position = int(row["position"]) if row else 0
            envelopes = self.reader.envelopes(position, limit)
            for envelope in envelopes:
                for receiver, contract in self.crossing(tx, envelope):
                    self._enqueue(tx, receiver, contract)
            if envelopes:
                tx.execute(
                    "INSERT INTO fed_out_tracking (node, position) VALUES (?, ?) "
                    "ON CONFLICT (node) DO UPDATE SET position = excluded.position",
                    (self.node, envelopes[-1].position),
                )
        return len(envelopes)

    def crossing(self, tx: Tx, envelope: Envelope) -> list[tuple[str, Contract]]:
        """The messages one event makes: (receiver, contract)."""
        if envelope.aggregate_type == "case":
            return self._reported_up(envelope) + (self.cases.down(envelope) if self.cases is not None else [])
        if envelope.aggregate_type == "reportedcase":
            return self._reported_up(envelope)
        if envelope.aggregate_type == "receivedcase" and self.cases is not None:
            return self.cases.up(envelope)
        if envelope.aggregate_type == "instruction" and self.instructions is not None:
            return self.instructions.down(envelope)
        if envelope.aggregate_type == "receivedinstruction" and self.instructions is not None:
            return self.instructions.up(envelope)
        if envelope.aggregate_type == "remoteactrefused":
            return [refusal(envelope)]
        if envelope.aggregate_type != "task":
            return []
        task_id = str(envelope.aggregate_id)
        if envelope.type == "TaskRegistered":
            return self._registered(tx, envelope)
        row = tx.query_one("SELECT origin, responsible_unit FROM fed_tasks WHERE task_id = ?", (task_id,))
        if row is None or row["origin"] is None:
            return []
        make = UP.get(envelope.type)
        return [] if make is None else [(row["origin"], make(envelope, row["responsible_unit"]))]

    def _reported_up(self, envelope: Envelope) -> list[tuple[str, Contract]]:
        """A case's report, conclusion or closing, or a lower level's case report, to the node above."""
        if self.parent is None:
            return []
        made = case_report(self.reader, envelope) if envelope.aggregate_type == "case" else forwarded(envelope)
        return [] if made is None else [(self.parent, made)]

    def collect_burden(self) -> int:
        """Enqueues a `BurdenReported` to the node above for each year whose counts changed; returns how many."""
        if self.parent is None:
            return 0
        today = self.clock.now().date() if self.clock is not None else None
        with self.views.transaction() as tx:
            made = burden_reports(tx, self.node, self.parent, today or _today())
            for contract in made:
                self._enqueue(tx, self.parent, contract)
        return len(made)

    def _burden_due(self) -> bool:
        due = time.monotonic() - self._burden_at >= self.burden_every
        if due:
            self._burden_at = time.monotonic()
        return due

    def _registered(self, tx: Tx, envelope: Envelope) -> list[tuple[str, Contract]]:
        p = envelope.payload
        remote, level = p.get("remote_node"), p["level"]
        origin = level if level != self.node and level in self.registry.ancestors(self.node) else None
        if remote == self.node:
            remote = None
        if remote is None and origin is None:
            return []
        tx.execute(
            "INSERT INTO fed_tasks (task_id, origin, remote, responsible_unit) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (task_id) DO NOTHING",
            (str(envelope.aggregate_id), origin, remote, p["responsible_unit"]),
        )
        if remote is None:
            return []
        fields = {k: p[k] for k in ("title", "source", "source_ref", "responsible_unit", "responsible_person",
                                    "responsible_leader", "supporting_units", "standard", "milestones", "deadline")}
        return [(remote, TaskAssigned(**_common(envelope), **fields))]

    def _enqueue(self, tx: Tx, receiver: str, contract: Contract) -> None:
        row = tx.query_one("SELECT seq, message_id FROM fed_outbox WHERE receiver = ? ORDER BY seq DESC LIMIT 1", (receiver,))
        seq, previous = (int(row["seq"]) + 1, row["message_id"]) if row else (1, None)
        message = SignedMessage(
            message_id=message_id(self.node, receiver, seq), sender=self.node, receiver=receiver, seq=seq,
            previous=previous, body=contract.model_dump(mode="json"),
        )
        signed = sign(message, self.key)
        tx.execute(
            "INSERT INTO fed_outbox (receiver, seq, message_id, subject, data) VALUES (?, ?, ?, ?, ?)",
            (receiver, seq, signed.message_id, signed.subject, signed.model_dump_json()),
        )

    # ---- publishing -------------------------------------------------------------------

    async def publish_pending(self) -> int:
        """Publishes every receiver's unsent messages in order; a receiver out of reach does not hold up another.
        Returns how many were acknowledged."""
        assert self.js is not None
        with self.views.transaction() as tx:
            rows = tx.query("SELECT receiver, seq, message_id, subject, data FROM fed_outbox WHERE sent = 0 ORDER BY receiver, seq")
        blocked: set[str] = set()
        sent = 0
        for row in rows:
            if row["receiver"] in blocked:
                continue
            try:
                await self.js.publish(
                    row["subject"], row["data"].encode(), timeout=PUBLISH_TIMEOUT, headers={"Nats-Msg-Id": row["message_id"]}
                )
            except Exception as error:  # the link or the receiver's server is down: try again later
                log.info("receiver out of reach; the message waits", receiver=row["receiver"], error=repr(error))
                blocked.add(row["receiver"])
                continue
            with self.views.transaction() as tx:
                tx.execute("UPDATE fed_outbox SET sent = 1 WHERE receiver = ? AND seq = ?", (row["receiver"], row["seq"]))
            sent += 1
        if blocked:
            raise OutOfReach(", ".join(sorted(blocked)))
        return sent

    async def run(self) -> None:
        """Collects and publishes until cancelled; retries with back-off while a receiver is out of reach."""
        backoff = Backoff(first=0.2, most=2.0)
        while True:
            try:
                while await asyncio.to_thread(self.collect):
                    pass
                if self._burden_due():
                    await asyncio.to_thread(self.collect_burden)
                await self.publish_pending()
                backoff.reset()
                delay = self.poll
            except asyncio.CancelledError:
                raise
            except Exception as error:
                delay = backoff.next()
                log.info("outbox waits", error=repr(error), retry_in=delay)
            self._woken.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._woken.wait(), delay)


class OutOfReach(RuntimeError):
    """Raised when some receiver did not acknowledge: its messages stay in the outbox."""


def _today() -> date:
    """A node without a clock (unit tests) dates its burden reports by the system's day."""
    return date.today()


def _common(envelope: Envelope) -> dict[str, Any]:
    actor = envelope.actor or {}
    return {"task_id": envelope.aggregate_id, "actor": ActorRef(**actor), "on": envelope.occurred_on}


def _rolled_up(envelope: Envelope, responsible_unit: str) -> TaskProgressReported:
    """A roll-up is the responsible unit's progress to the level above: its actor is that unit's office."""
    common = {**_common(envelope), "actor": ActorRef(unit=responsible_unit, role="agency", person="汇总")}
    narrative = f"汇总下级进展: child {envelope.payload['child_id']} at {envelope.payload['child_percent']}%"
    return TaskProgressReported(**common, percent=envelope.payload["percent"], narrative=narrative)


def refusal(envelope: Envelope) -> tuple[str, Contract]:
    """A refused act, back to the node that sent it up."""
    p = envelope.payload
    named = {"case_id" if p["aggregate_kind"] == "case" else "instruction_id": p["aggregate_id"]}
    return p["sender"], ActRefused(
        actor=ActorRef(**(envelope.actor or {})), on=envelope.occurred_on, refused_message_id=p["message_id"],
        act_id=p["act_id"], contract=p["contract"], level=p["level"], target=p["target"], reason=p["reason"],
        text=p["text"], **named,
    )


UP: dict[str, Callable[[Envelope, str], Contract]] = {
    "TaskAccepted": lambda e, _: TaskAccepted(**_common(e), note=e.payload.get("note", "")),
    "ProgressReported": lambda e, _: TaskProgressReported(
        **_common(e), percent=e.payload["percent"], narrative=e.payload["narrative"], evidence=e.payload.get("evidence", [])
    ),
    "ChildProgressRolledUp": _rolled_up,
    "TaskCompletionClaimed": lambda e, _: TaskCompletionClaimed(
        **_common(e), summary=e.payload["summary"], evidence=e.payload.get("evidence", [])
    ),
}
