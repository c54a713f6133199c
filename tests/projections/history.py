"""A real history for projection tests: commands run through a real event store and writer."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from uuid import UUID, uuid4

from domain.actor import Actor, Role
from domain.case import Case, CaseType, Method, Topic
from domain.envelope import Envelope
from domain.units import UnitRegistry
from ducha.store import EventReader, open_store
from ducha.writer import Writer

NODE = "220000"
AGENCY = Actor("220000-DCS", Role.AGENCY, "督查室 王")
LEADER = Actor("220000", Role.LEADER, "省长 李")
NOW = datetime.fromisoformat("2026-11-25T02:00:00+00:00")


class History:
    """Node 220000's event store, written through the real writer; read back as envelopes."""

    def __init__(self, data_dir: Path, registry: UnitRegistry, store_url: str | None = None) -> None:
        self.registry = registry
        self.app = open_store(store_url, data_dir)
        self.writer = Writer(self.app)
        self.writer.start()
        self.reader = EventReader(self.app, NODE)

    def propose(self, title: str = "高标准农田建设", targets: tuple[str, ...] = ("220100",), on: date | None = None) -> UUID:
        case_id = uuid4()

        def act(_: object) -> Case:
            return Case.propose(
                case_id=case_id, actor=AGENCY, on=on or NOW.date(), now=NOW, registry=self.registry,
                case_type=CaseType.SPECIAL, topic=Topic.WORK_REPORT, title=title, targets=targets,
                methods=[Method.INSPECTION, Method.COVERT_VISIT], window_start=date(2026, 12, 1),
                window_end=date(2027, 3, 31), rationale="《政府工作报告》任务",
            )

        self.writer.execute_sync(None, act)
        return case_id

    def approve(self, case_id: UUID) -> None:
        self._decide(case_id, "approve", remarks="同意")

    def reject(self, case_id: UUID, reason: str = "与已有事项重复") -> None:
        self._decide(case_id, "reject", reason=reason)

    def _decide(self, case_id: UUID, method: str, **fields: str) -> None:
        def act(case: Case) -> Case:
            getattr(case, method)(actor=LEADER, on=NOW.date(), now=NOW, registry=self.registry, **fields)
            return case

        self.writer.execute_sync(case_id, act)

    def envelopes(self, after: int = 0) -> list[Envelope]:
        return self.reader.envelopes(after, 100_000)

    def close(self) -> None:
        self.writer.stop()
        self.app.close()


def ignored_event(after: Envelope) -> Envelope:
    """An event of a kind the case board does not fold, recorded right after `after`."""
    return after.model_copy(update={"type": "CaseRemarked", "position": after.position + 1, "payload": {"note": "…"}})


def poison_event(after: Envelope) -> Envelope:
    """A decodable envelope the case board cannot apply (a proposal without its fields)."""
    return after.model_copy(
        update={"type": "CaseProposed", "aggregate_id": uuid4(), "position": after.position + 1, "payload": {}}
    )
