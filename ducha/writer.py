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
import contextlib
import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from uuid import UUID

import structlog
from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, RecordConflictError

from domain.errors import NotFound, VersionConflict
from ducha.store import DuchaApplication
from ducha.store_faults import WriteHealth

log = structlog.get_logger(__name__)

# An act gets the loaded aggregate (None to create one) and any others the command names,
# calls one domain method, and returns what it changed: the primary aggregate first.
Act = Callable[..., Aggregate | Sequence[Aggregate]]


@dataclass(frozen=True)
class Outcome:
    """What a committed command answers with: the aggregate, its version and state as this
    command left them (a later command of the same group may change the object further),
    and the position of the command's last event (0 when it recorded none)."""

    aggregate: Aggregate
    version: int
    state: object
    position: int


@dataclass
class _Work:
    aggregate_id: UUID | None
    act: Act
    expected_version: int | None
    others: tuple[UUID, ...] = ()
    future: Future[Outcome] = field(default_factory=Future)
    changed: list[Aggregate] = field(default_factory=list)
    versions: list[tuple[UUID, int]] = field(default_factory=list)
    state: object = None


_STOP = object()


class Writer:
    """Runs commands on one thread; saves what is waiting together in one transaction."""

    def __init__(self, app: DuchaApplication, *, max_batch: int = 256) -> None:
        self.app = app
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue[_Work | object] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._listeners: list[Callable[[int], None]] = []
        self._recorded: list[Callable[[list[Aggregate], dict[tuple[UUID, int], int]], None]] = []
        self._last_position: int | None = None
        self.health = WriteHealth()  # a full or read-only store, as the last commit found it

    @property
    def last_position(self) -> int:
        """The position of the last event committed: read from the store once, then kept in memory.

        The writer is the node's only writer of its store, so after the first read every
        later position passes through `_save` (an int assignment, safe to read from any thread).
        """
        if self._last_position is None:
            self._last_position = self.app.recorder.max_notification_id() or 0
        return self._last_position

    def on_commit(self, listener: Callable[[int], None]) -> None:
        """Calls `listener(last_position)` on the writer thread after each commit."""
        self._listeners.append(listener)

    def on_recorded(self, listener: Callable[[list[Aggregate], dict[tuple[UUID, int], int]], None]) -> None:
        """Calls `listener(aggregates, positions)` on the writer thread after each commit, before any of
        its commands is answered: the aggregates saved, and each event's position by (id, version)."""
        self._recorded.append(listener)

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="ducha-writer", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._queue.put(_STOP)
            self._thread.join(timeout=10)
            self._thread = None

    def submit(
        self, aggregate_id: UUID | None, act: Act, expected_version: int | None = None, others: Sequence[UUID] = ()
    ) -> Future[Outcome]:
        work = _Work(aggregate_id, act, expected_version, tuple(others))
        self._queue.put(work)
        return work.future

    async def execute(
        self, aggregate_id: UUID | None, act: Act, expected_version: int | None = None, others: Sequence[UUID] = ()
    ) -> Outcome:
        return await asyncio.wrap_future(self.submit(aggregate_id, act, expected_version, others))

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
        accepted: list[_Work] = []
        for work in batch:
            try:
                self._act(work, staged)
            except Exception as error:  # a refused command answers its caller alone
                work.future.set_exception(error)
                continue
            staged.update((aggregate.id, aggregate) for aggregate in work.changed)
            accepted.append(work)
        if not accepted:
            return
        try:
            positions = self._save(list(staged.values()))
        except (RecordConflictError, IntegrityError):
            log.info("group commit conflicted, committing one by one", size=len(accepted))
            for work in accepted:
                self._commit_alone(work)
            return
        except Exception as error:
            self.health.refused(error)
            for work in accepted:
                work.future.set_exception(error)
            return
        for work in accepted:
            work.future.set_result(self._outcome(work, positions))

    def _act(self, work: _Work, staged: dict[UUID, Aggregate]) -> None:
        """Runs the work's act on the aggregates as staged in this group (or freshly loaded).

        The domain's promise makes this safe: a command method either raises before it
        records anything, or records its events; it never leaves an aggregate half-changed.
        """
        current = None
        if work.aggregate_id is not None:
            current = staged.get(work.aggregate_id) or self._load(work.aggregate_id)
            if work.expected_version is not None and current.version != work.expected_version:
                raise VersionConflict(
                    f"expected version {work.expected_version}, the present version is {current.version}"
                )
        others = [staged.get(other) or self._load(other) for other in work.others]
        result = work.act(current, *others)
        work.changed = [result] if isinstance(result, Aggregate) else list(result)
        work.versions = [(aggregate.id, aggregate.version) for aggregate in work.changed]
        work.state = getattr(work.changed[0], "state", None)

    @staticmethod
    def _outcome(work: _Work, positions: dict[tuple[UUID, int], int]) -> Outcome:
        """The primary aggregate and the position of the last event the work recorded (0: none)."""
        mine = [positions.get(version, 0) for version in work.versions]
        return Outcome(work.changed[0], work.versions[0][1], work.state, max(mine, default=0))

    def _forget(self, work: _Work) -> None:
        """Drops the work's aggregates from the cache, so its next load reads the store. After a conflict
        the cached version may be older than the store's: a reader that missed the cache replays the
        aggregate and puts it there, and may do so after this writer cached a newer version."""
        cache = self.app.repository.cache
        if cache is None:
            return
        for aggregate_id in (work.aggregate_id, *work.others):
            if aggregate_id is not None:
                with contextlib.suppress(KeyError):
                    cache.get(aggregate_id, evict=True)

    def _load(self, aggregate_id: UUID) -> Aggregate:
        try:
            return self.app.repository.get(aggregate_id)
        except AggregateNotFoundError:
            raise NotFound(f"no object {aggregate_id}") from None

    def _save(self, aggregates: list[Aggregate]) -> dict[tuple[UUID, int], int]:
        recordings = self.app.save(*aggregates)
        self.health.committed()
        positions = {
            (r.domain_event.originator_id, r.domain_event.originator_version): r.notification.id for r in recordings
        }
        if positions:
            last = max(positions.values())
            if self._last_position is None or last > self._last_position:
                self._last_position = last
            for recorded in self._recorded:
                try:
                    recorded(aggregates, positions)
                except Exception:  # committed all the same: its commands are answered as such
                    log.exception("a commit listener failed", position=last)
            for listener in self._listeners:
                listener(last)
        return positions

    def _commit_alone(self, work: _Work) -> None:
        for attempt in (1, 2):
            self._forget(work)
            try:
                self._act(work, {})
            except Exception as error:  # refused on a fresh load
                work.future.set_exception(error)
                return
            try:
                positions = self._save(work.changed)
            except (RecordConflictError, IntegrityError):
                if attempt == 2:
                    work.future.set_exception(VersionConflict("the object was changed concurrently; try again"))
                continue
            except Exception as error:
                self.health.refused(error)
                work.future.set_exception(error)
            else:
                work.future.set_result(self._outcome(work, positions))
            return
