"""A real node history for audit tests: the real event store (SQLite file or PostgreSQL) and writer."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from uuid import UUID, uuid4

import pytest

from domain.actor import Actor, Role
from domain.case import Case, CaseType, Method, Topic
from ducha.audit.chain import Auditor
from ducha.audit.checkpoints import AuditStore
from ducha.clock import SetClock
from ducha.keys import NodeKey
from ducha.store import EventReader, open_store
from ducha.writer import Writer

NODE = "220000"
AGENCY = Actor("220000-DCS", Role.AGENCY, "督查室 王")
LEADER = Actor("220000", Role.LEADER, "省长 李")
NOW = datetime.fromisoformat("2026-11-25T02:00:00+00:00")


class History:
    """A node's store, its writer and its auditor; cases are proposed and approved for real."""

    def __init__(self, data_dir: Path, registry, store_url: str | None, key: NodeKey | None = None) -> None:
        self.data_dir, self.registry, self.store_url = data_dir, registry, store_url
        self.app = open_store(store_url, data_dir)
        self.writer = Writer(self.app)
        self.writer.start()
        self.reader = EventReader(self.app, NODE)
        self.key = key or NodeKey.load_or_create(data_dir)
        self.audit_store = AuditStore.open(store_url, data_dir)
        self.auditor = Auditor(self.reader, self.key, self.audit_store, SetClock(NOW))

    def propose(self, title: str = "高标准农田建设", targets: tuple[str, ...] = ("220100",)) -> UUID:
        case_id = uuid4()

        def act(_: object) -> Case:
            return Case.propose(
                case_id=case_id, actor=AGENCY, on=NOW.date(), now=NOW, registry=self.registry,
                case_type=CaseType.SPECIAL, topic=Topic.WORK_REPORT, title=title, targets=targets,
                methods=[Method.INSPECTION], window_start=date(2026, 12, 1), window_end=date(2027, 3, 31),
                rationale="《政府工作报告》任务",
            )

        self.writer.execute_sync(None, act)
        return case_id

    def approve(self, case_id: UUID) -> None:
        def act(case: Case) -> Case:
            case.approve(actor=LEADER, on=NOW.date(), now=NOW, registry=self.registry, remarks="同意")
            return case

        self.writer.execute_sync(case_id, act)

    def cases(self, count: int, targets: tuple[str, ...] = ("220100",)) -> None:
        """`count` cases, each proposed and approved: 2 events each."""
        for i in range(count):
            self.approve(self.propose(f"事项 {i}", targets))

    def close(self) -> None:
        self.writer.stop()
        self.audit_store.close()
        self.app.close()


@pytest.fixture
def history(tmp_path: Path, registry) -> Iterator[History]:
    """Node 220000 on a real SQLite file."""
    made = History(tmp_path / "data", registry, None)
    yield made
    made.close()


@pytest.fixture
def pg_history(tmp_path: Path, registry, postgres_url: str) -> Iterator[History]:
    """Node 220000 on the real PostgreSQL server."""
    made = History(tmp_path / "data", registry, postgres_url)
    yield made
    made.close()
