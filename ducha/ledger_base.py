"""What the ledger's command families share (tasks, instructions, plans): the writer, the node's
collaborators (registry, clock, calendar, policy) and the command metrics."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from domain.calendar import WorkingCalendar
from domain.errors import NotFound
from domain.policy import Policy
from domain.units import UnitRegistry
from ducha.clock import Clock
from ducha.commands import check_is, counted
from ducha.writer import Outcome, Writer


class Commands:
    """What every command family shares: the writer, the node's collaborators, metrics."""

    def __init__(
        self, writer: Writer, registry: UnitRegistry, clock: Clock, calendar: WorkingCalendar, policy: Policy
    ) -> None:
        self.writer = writer
        self.registry = registry
        self.clock = clock
        self.calendar = calendar
        self.policy = policy

    def collaborators(self, names: Sequence[str]) -> dict[str, Any]:
        offered = {"registry": self.registry, "calendar": self.calendar, "policy": self.policy}
        return {name: offered[name] for name in names}

    def load(self, aggregate_id: UUID, kind: type) -> Any:
        """A committed aggregate, read outside the writer (for what never changes, such as a parent id)."""
        try:
            found = self.writer.app.repository.get(aggregate_id)
        except AggregateNotFoundError:
            raise NotFound(f"no {kind.__name__.lower()} {aggregate_id}") from None
        check_is(found, kind, aggregate_id)
        return found

    def load_or_none(self, aggregate_id: UUID) -> Any:
        """For acts on the writer thread: the aggregate, or None when it does not exist."""
        try:
            return self.writer.app.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None

    async def _run(
        self, command: str, aggregate_id: UUID | None, act: Callable[..., Any], expected: int | None = None,
        others: Sequence[UUID] = (),
    ) -> Outcome:
        return await counted(command, self.writer.execute(aggregate_id, act, expected, others))
