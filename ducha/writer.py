"""The write path: one thread that runs commands against the event store with group commit.

A command is a unit of work: load an aggregate (or none, to create one), call one domain
method, save. Concurrent commands that are waiting together are saved in one transaction
(group commit: one fsync for many commands). If that transaction meets a version conflict
(another process wrote the same aggregate), each command is run again alone, with one
retry on a fresh load; a second conflict is answered as a conflict. A caller is answered
only after its events are committed: nothing acknowledged is lost.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from uuid import UUID

import structlog
from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, RecordConflictError

from domain.errors import NotFound, VersionConflict
from ducha.store import DuchaApplication

log = structlog.get_logger(__name__)

Act = Callable[[Aggregate | None], Aggregate]


@dataclass(frozen=True)
class Outcome:
    """What a committed command answers with: the aggregate as saved and its last event's position."""

    aggregate: Aggregate
    position: int


@dataclass
class _Work:
    aggregate_id: UUID | None
    act: Act
    expected_version: int | None
    future: Future[Outcome] = field(default_factory=Future)
    version_after: int = 0


_STOP = object()


class Writer:
    """Runs commands on one thread; saves what is waiting together in one transaction."""

    def __init__(self, app: DuchaApplication, *, max_batch: int = 256) -> None:
        self.app = app
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue[_Work | object] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._listeners: list[Callable[[int], None]] = []

    def on_commit(self, listener: Callable[[int], None]) -> None:
        """Calls `listener(last_position)` on the writer thread after each commit."""
        self._listeners.append(listener)

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="ducha-writer", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._queue.put(_STOP)
            self._thread.join(timeout=10)
            self._thread = None

    def submit(self, aggregate_id: UUID | None, act: Act, expected_version: int | None = None) -> Future[Outcome]:
        work = _Work(aggregate_id, act, expected_version)
        self._queue.put(work)
        return work.future

    async def execute(self, aggregate_id: UUID | None, act: Act, expected_version: int | None = None) -> Outcome:
        return await asyncio.wrap_future(self.submit(aggregate_id, act, expected_version))

    def execute_sync(self, aggregate_id: UUID | None, act: Act, expected_version: int | None = None) -> Outcome:
        return self.submit(aggregate_id, act, expected_version).result()

    # ---- the writer thread --------------------------------------------------------------

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is _STOP:
                return
            batch = [first]
            while len(batch) < self.max_batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    self._queue.put(_STOP)
                    break
                batch.append(item)
            self._commit_group(batch)  # type: ignore[arg-type]

    def _commit_group(self, batch: list[_Work]) -> None:
        staged: dict[UUID, Aggregate] = {}
        accepted: list[tuple[_Work, Aggregate]] = []
        for work in batch:
            try:
                aggregate = self._act(work, staged)
            except Exception as error:  # a refused command answers its caller alone
                work.future.set_exception(error)
                continue
            staged[aggregate.id] = aggregate
            accepted.append((work, aggregate))
        if not accepted:
            return
        try:
            positions = self._save(list(staged.values()))
        except (RecordConflictError, IntegrityError):
            log.info("group commit conflicted, committing one by one", size=len(accepted))
            for work, _ in accepted:
                self._commit_alone(work)
            return
        except Exception as error:
            for work, _ in accepted:
                work.future.set_exception(error)
            return
        for work, aggregate in accepted:
            work.future.set_result(Outcome(aggregate, positions[(aggregate.id, work.version_after)]))

    def _act(self, work: _Work, staged: dict[UUID, Aggregate]) -> Aggregate:
        current = None
        if work.aggregate_id is not None:
            current = staged.get(work.aggregate_id) or self._load(work.aggregate_id)
            if work.expected_version is not None and current.version != work.expected_version:
                raise VersionConflict(
                    f"expected version {work.expected_version}, the present version is {current.version}"
                )
        aggregate = work.act(current)
        work.version_after = aggregate.version
        return aggregate

    def _load(self, aggregate_id: UUID) -> Aggregate:
        try:
            return self.app.repository.get(aggregate_id)
        except AggregateNotFoundError:
            raise NotFound(f"no object {aggregate_id}") from None

    def _save(self, aggregates: list[Aggregate]) -> dict[tuple[UUID, int], int]:
        recordings = self.app.save(*aggregates)
        positions = {
            (r.domain_event.originator_id, r.domain_event.originator_version): r.notification.id for r in recordings
        }
        if positions:
            last = max(positions.values())
            for listener in self._listeners:
                listener(last)
        return positions

    def _commit_alone(self, work: _Work) -> None:
        for attempt in (1, 2):
            try:
                aggregate = self._act(work, {})
                positions = self._save([aggregate])
            except (RecordConflictError, IntegrityError):
                if attempt == 2:
                    work.future.set_exception(VersionConflict("the object was changed concurrently; try again"))
                continue
            except Exception as error:
                work.future.set_exception(error)
            else:
                work.future.set_result(Outcome(aggregate, positions[(aggregate.id, work.version_after)]))
            return
