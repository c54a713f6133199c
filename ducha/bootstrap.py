"""The composition root: builds a node from its settings, with overrides for tests.

Nothing is built at import time. `bootstrap()` wires the parts; `Node.start()` starts the
embedded nats-server (unless an external one is configured), the writer thread, the
relay and the projectors; `Node.stop()` stops what it started, in reverse order.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import nats
import structlog
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext

from domain.policy import Policy
from domain.units import UnitRegistry
from ducha.audit.chain import Auditor
from ducha.audit.checkpoints import AuditStore
from ducha.calendar import OfficialCalendar
from ducha.clock import Clock, SetClock, SystemClock
from ducha.commands import CaseCommands
from ducha.lead_commands import LeadCommands
from ducha.ledger_commands import InstructionCommands, PlanCommands, TaskCommands
from ducha.plan_commands import PlannedCaseCommands
from ducha.recent_cases import RecentCases
from ducha.received_commands import ReceivedCommands
from ducha.embedded_nats import EmbeddedNats
from ducha.keys import NodeKey
from ducha.metrics import DEAD_LETTERS, NATS_CONNECTED, PROJECTION_LAG, STORE_POSITION, STORE_WRITE_ERRORS
from ducha.nats_supervisor import NatsSupervisor
from ducha.nats_auth import connect_options
from ducha.settings import Settings
from ducha.store import DuchaApplication, EventReader, open_store
from ducha.store_faults import StoreFault
from ducha.units import load_registry
from ducha.writer import Writer
from handlers.checkpointer import Checkpointer
from handlers.clock import ClockHandler
from handlers.ledger_clock import LedgerClock
from handlers.ledger_warnings import LogNotifier, WarningDelivery
from handlers.projector import Projector, ProjectionView
from handlers.relay import Relay, ensure_stream
from projections.accountability import Accountability
from projections.case_board import CaseBoard
from projections.case_history import CaseHistory
from projections.comparison import Comparison
from projections.due_items import DueItems
from projections.burden import Burden
from projections.instructions import Instructions
from projections.ledger_tree import LedgerTree
from projections.plan_actual import PlanActual
from projections.province_board import ProvinceBoard
from projections.province_burden import ProvinceBurden
from projections.received_cases import ReceivedCases
from projections.received_instructions import ReceivedInstructions
from projections.scores import Scores
from projections.store import Projection, ViewStore, short_work

log = structlog.get_logger(__name__)

T = TypeVar("T")

VIEWS_CHECKPOINT_SECONDS = 1.0
RECANCEL_SECONDS = 0.05

# Every projection of a node, by name: what `ducha projections rebuild|digest` can name.
# Node.start runs them in groups (PROJECTOR_GROUPS), one projector per group.
PROJECTIONS = {
    "case_board": CaseBoard,
    "due_items": DueItems,
    "case_history": CaseHistory,
    "accountability": Accountability,
    "comparison": Comparison,
    "ledger_tree": LedgerTree,
    "instructions": Instructions,
    "plan_actual": PlanActual,
    "burden": Burden,
    "scores": Scores,
    "province_board": ProvinceBoard,
    "province_burden": ProvinceBurden,
    "received_cases": ReceivedCases,
    "received_instructions": ReceivedInstructions,
}

# Projections that get a projector of their own group; every other projection shares one
# projector ("projections"). The case board is alone: every command's answer (repeated
# supervision) and most reads wait on it, and its own small transaction makes it visible
# sooner than one over all the views.
PROJECTOR_GROUPS: tuple[tuple[str, ...], ...] = (("case_board",),)


def _group_name(group: tuple[str, ...], index: int, *, last: bool) -> str:
    """The durable consumer's name: the projection's own for a group of one."""
    if len(group) == 1:
        return group[0]
    return "projections" if last else f"projections_{index}"


@dataclass
class Node:
    """One running installation of a level of government."""

    settings: Settings
    registry: UnitRegistry
    clock: Clock
    calendar: OfficialCalendar
    policy: Policy
    app: DuchaApplication
    reader: EventReader
    writer: Writer
    views: ViewStore
    cases: CaseCommands
    leads: LeadCommands
    case_board: CaseBoard
    key: NodeKey
    audit_store: AuditStore
    checkpointer: Checkpointer
    projections: dict[str, Projection] = field(default_factory=dict)  # every view of PROJECTIONS, by name
    due_items: DueItems = field(default_factory=DueItems)
    clock_handler: ClockHandler | None = None
    tasks: TaskCommands | None = None  # the ledger (工作台账), instructions (批示) and annual plans
    instructions: InstructionCommands | None = None
    received: ReceivedCommands | None = None  # a unit's acts on cases and instructions received from above
    plans: PlanCommands | None = None
    ledger_clock: LedgerClock | None = None
    nats_supervisor: NatsSupervisor | None = None  # the embedded nats-server, started again if it dies
    nc: NatsClient | None = None
    js: JetStreamContext | None = None
    relay: Relay | None = None
    federation: Any = None  # ducha.federation.runner.Federation, when DUCHA_TRUST_STORE is set
    projectors: dict[str, ProjectionView] = field(default_factory=dict)  # every projection's view of its projector
    recent_cases: RecentCases | None = None  # cases saved that the board may not show yet (repeated supervision)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    async def read_store(self, work: Callable[..., T], /, *args: Any) -> T:
        """A short read of the event store: inline on SQLite, in a worker thread on PostgreSQL."""
        return await short_work(not self.settings.uses_postgres, work, *args)

    @property
    def embedded_nats(self) -> EmbeddedNats | None:
        """The embedded nats-server running now (a restart replaces it), None with an external NATS."""
        return self.nats_supervisor.server if self.nats_supervisor is not None else None

    @property
    def nats_url(self) -> str:
        if self.settings.nats_url:
            return self.settings.nats_url
        assert self.nats_supervisor is not None, "the embedded nats-server is not started"
        return self.nats_supervisor.url

    def _start_embedded_nats(self, port: int | None) -> EmbeddedNats:
        return EmbeddedNats.start(self.settings.data_dir / "nats", sync=self.settings.jetstream_sync, port=port)

    async def start(self) -> None:
        if self.settings.nats_url is None and self.nats_supervisor is None:
            self.nats_supervisor = NatsSupervisor(self._start_embedded_nats)
            await self.nats_supervisor.start()
        self.writer.start()
        self.nc = await nats.connect(
            self.nats_url, name=f"ducha-{self.settings.node}", max_reconnect_attempts=-1,
            reconnected_cb=self._reconnected, **connect_options(self.settings.node, self.settings.nats_nkey_seed),
        )
        NATS_CONNECTED.set_function(lambda nc=self.nc: float(nc.is_connected))
        STORE_POSITION.set_function(lambda: self.writer.last_position)
        for fault in (*StoreFault, "other"):  # every series from the start: an alert on increase() sees its first error
            STORE_WRITE_ERRORS.labels(str(fault))
        self.js = self.nc.jetstream()
        await ensure_stream(self.js, self.settings.node)
        self.relay = Relay(self.reader, self.js, self.settings.node)
        self.writer.on_commit(lambda _position: self.relay.wake())
        self._tasks.append(asyncio.create_task(self.relay.run(), name="relay"))
        for group in self._projector_groups():
            self.projectors |= {projection.name: group.view(projection.name) for projection in group.projections}
            self._tasks.append(asyncio.create_task(group.run(), name=f"projector:{group.name}"))
        for name, view in self.projectors.items():
            # Read at every scrape, so a stalled projector shows its lag growing; and every series
            # exists from the start, so an alert on dead letters sees a zero, not nothing.
            PROJECTION_LAG.labels(name).set_function(lambda view=view: view.lag)
            DEAD_LETTERS.labels(name)
        self._tasks.append(asyncio.create_task(self.checkpointer.run(), name="checkpointer"))
        if not self.views.postgres:
            self._tasks.append(asyncio.create_task(self._checkpoint_views(), name="views-checkpoint"))
        if self.clock_handler is not None:
            self._tasks.append(asyncio.create_task(self.clock_handler.run(), name="clock"))
        if self.ledger_clock is not None:
            self._tasks.append(asyncio.create_task(self.ledger_clock.run(), name="ledger-clock"))
        warnings = WarningDelivery(self.js, self.settings.node, LogNotifier())
        self._tasks.append(asyncio.create_task(warnings.run(), name="ledger-warnings"))
        if self.settings.trust_store is not None:  # messages to and from other levels
            from ducha.federation.runner import start_federation

            self.federation = await start_federation(self)
        # What the node is built from (modules, registry, stores, routes: ~100k objects) lives
        # as long as it does: frozen, the cyclic collector stops walking it at every full
        # collection (a 60-100 ms stall of every thread, seen in the command latency's tail).
        # Reference counting still frees frozen objects; `stop` unfreezes them.
        gc.freeze()
        log.info("node started", node=self.settings.node, nats=self.nats_url)

    async def _reconnected(self) -> None:
        """NATS is back (e.g. the supervisor restarted the embedded server): what awaited the old
        connection's server (the relay's acks, the projectors' pull requests) is asked again now."""
        log.warning("NATS connection made again", nats=self.nats_url)
        if self.relay is not None:
            self.relay.reconnected()
        for projector in {view.projector for view in self.projectors.values()}:
            projector.reconnected()

    async def _checkpoint_views(self) -> None:
        """The views' WAL written back every second, in a worker thread: the loop's own connection,
        which commits the projectors' chunks, leaves it to this (`ViewStore._connection`)."""
        while True:
            await asyncio.sleep(VIEWS_CHECKPOINT_SECONDS)
            try:
                await asyncio.to_thread(self.views.checkpoint)
            except Exception as error:  # a busy or failing checkpoint is tried again at the next beat
                log.warning("views checkpoint failed", error=repr(error))

    def _projector_groups(self) -> list[Projector]:
        """The projectors: one per group of PROJECTOR_GROUPS, then one for all the other projections.

        A group shares one consumer, one fetch, one decode per message and one transaction
        per batch (N projectors cost N times that). The lag is read from the writer's last
        commit (memory), not from the store at every batch.
        """
        def store_position() -> int:
            return self.writer.last_position

        grouped = {name for group in PROJECTOR_GROUPS for name in group}
        members = [*PROJECTOR_GROUPS, tuple(name for name in self.projections if name not in grouped)]
        return [
            Projector(
                self.js, self.views, [self.projections[name] for name in group if name in self.projections],
                self.settings.node, name=_group_name(group, index, last=index == len(members) - 1),
                store_position=store_position,
            )
            for index, group in enumerate(members)
            if any(name in self.projections for name in group)
        ]

    async def stop(self) -> None:
        if self.federation is not None:
            await self.federation.stop()
            self.federation = None
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            # nats-py swallows a CancelledError that lands in its flush (e.g. during
            # pull_subscribe, or a projector's acks), so one cancel() may be lost: cancel
            # until the task is done, soon again (a lost cancel cost every stop a second).
            while not (await asyncio.wait({task}, timeout=RECANCEL_SECONDS))[0]:
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        if self.nc is not None:
            # Every consumer task is stopped already: nothing is left to drain, and a drain
            # of the request inbox can wait out its whole timeout.
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.nc.close(), timeout=5)
            self.nc = None
        self.writer.stop()
        await self.checkpointer.seal()  # the shutdown checkpoint
        self.audit_store.close()
        if self.nats_supervisor is not None:
            await self.nats_supervisor.stop()
            self.nats_supervisor = None
        self.views.close()
        self.app.close()
        gc.unfreeze()
        log.info("node stopped", node=self.settings.node)


def bootstrap(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    registry: UnitRegistry | None = None,
    policy: Policy | None = None,
) -> Node:
    """Builds a node; tests pass their own settings, clock or registry."""
    settings = settings or Settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    registry = registry or load_registry(settings.units_file)
    clock = clock or (SetClock(settings.clock) if settings.clock else SystemClock())  # Settings refuse a set clock in production
    policy = policy or Policy()
    calendar = OfficialCalendar()
    app = open_store(settings.store_url, settings.data_dir)
    writer = Writer(app)
    recent_cases = RecentCases(complete_after=writer.last_position)
    writer.on_recorded(recent_cases.record)
    views = ViewStore.open(settings.store_url, settings.data_dir)
    projections = {name: factory() for name, factory in PROJECTIONS.items()}
    for projection in projections.values():
        views.install(projection)
    due_items = projections["due_items"]
    reader = EventReader(app, settings.node)
    key = NodeKey.load_or_create(settings.data_dir)
    audit_store = AuditStore.open(settings.store_url, settings.data_dir)
    auditor = Auditor(reader, key, audit_store, clock)
    cases = PlannedCaseCommands(writer, registry, clock, calendar, policy)  # 一事一报 at approval
    collaborators = (writer, registry, clock, calendar, policy)
    tasks = TaskCommands(*collaborators, running={settings.node, *settings.child_nodes})
    instructions = InstructionCommands(*collaborators)
    return Node(
        settings=settings,
        registry=registry,
        clock=clock,
        calendar=calendar,
        policy=policy,
        app=app,
        reader=reader,
        writer=writer,
        views=views,
        cases=cases,
        leads=LeadCommands(writer, registry, clock, settings.node),
        case_board=projections["case_board"],
        recent_cases=recent_cases,
        projections=projections,
        key=key,
        audit_store=audit_store,
        checkpointer=Checkpointer(auditor, every=settings.checkpoint_every),
        due_items=due_items,
        clock_handler=ClockHandler(cases, views, clock, policy, settings.node, interval=settings.clock_interval),
        tasks=tasks,
        instructions=instructions,
        received=ReceivedCommands(*collaborators),
        plans=PlanCommands(*collaborators),
        ledger_clock=LedgerClock(tasks, instructions, views, clock, calendar, policy, interval=settings.clock_interval),
    )


@dataclass
class OfflineNode:
    """The store and the views of a node without its bus: for rebuilds, digests and audits."""

    settings: Settings
    app: DuchaApplication
    reader: EventReader
    views: ViewStore
    projections: dict[str, Any]

    def close(self) -> None:
        self.views.close()
        self.app.close()


def bootstrap_offline(settings: Settings) -> OfflineNode:
    """Opens a node's store and views only (the node itself should be stopped for a rebuild)."""
    app = open_store(settings.store_url, settings.data_dir)
    views = ViewStore.open(settings.store_url, settings.data_dir)
    projections = {name: factory() for name, factory in PROJECTIONS.items()}
    for projection in projections.values():
        views.install(projection)
    return OfflineNode(settings, app, EventReader(app, settings.node), views, projections)
