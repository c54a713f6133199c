"""Commands/s through the application layer, and the bare eventsourcing ceiling under it.

Both run the same two one-event commands per case on a fresh SQLite file with the
node's store settings (`ducha.store.open_store`): propose (Case.propose → save) and
approve (repository.get → case.approve → save).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from bench.env import Sizes, Stopwatch, progress, temp_dir
from bench.workload import AGENCY, LEADER, NODE, approve, case_fields, proposed_case
from domain.units import UnitRegistry

WARM_UP_CASES = 100


def bare_store_rate(registry: UnitRegistry, cases: int) -> float:
    """The ceiling: one caller, a sequential loop, one transaction per command."""
    from ducha.store import open_store

    with temp_dir("store-ceiling") as data_dir:
        app = open_store(None, data_dir)
        try:
            _bare_loop(app, registry, WARM_UP_CASES)
            with progress("store ceiling", 2 * cases) as bar, Stopwatch() as watch:
                _bare_loop(app, registry, cases, bar)
        finally:
            app.close()
    return 2 * cases / watch.elapsed


def _bare_loop(app, registry: UnitRegistry, cases: int, bar=None) -> None:
    for _ in range(cases):
        case = proposed_case(registry)
        app.save(case)
        case = app.repository.get(case.id)
        app.save(approve(case, registry))
        if bar is not None:
            bar.update(2)


async def app_layer_rate(registry: UnitRegistry, sizes: Sizes) -> float:
    """The figure: `sizes.concurrency` asyncio tasks propose then approve cases through the node's CaseCommands.

    The node is built by `bootstrap()` (so CaseCommands and its Writer are wired as in
    production) but not started: only its writer thread runs, no bus.
    """
    from ducha.bootstrap import bootstrap
    from ducha.settings import Settings

    with temp_dir("app-layer") as data_dir:
        node = bootstrap(Settings(data_dir=data_dir, nats_url="nats://127.0.0.1:1", node=NODE), registry=registry)
        node.writer.start()
        try:
            await drive(node.cases, WARM_UP_CASES, sizes.concurrency)
            with progress("app layer", 2 * sizes.store_cases) as bar, Stopwatch() as watch:
                await drive(node.cases, sizes.store_cases, sizes.concurrency, bar)
        finally:
            await node.stop()  # stops the writer, closes the store and views; nothing else was started
    return 2 * sizes.store_cases / watch.elapsed


async def drive(commands, cases: int, concurrency: int, bar=None) -> list[int]:
    """Runs `cases` propose+approve pairs on `concurrency` tasks; returns the approvals' positions."""
    remaining = iter(range(cases))
    positions: list[int] = []

    async def caller() -> None:
        for _ in remaining:
            proposed = await commands.propose(AGENCY, **case_fields())
            approved = await commands.approve(LEADER, proposed.aggregate.id)
            positions.append(approved.position)
            if bar is not None:
                bar.update(2)

    await asyncio.gather(*(caller() for _ in range(concurrency)))
    return positions
