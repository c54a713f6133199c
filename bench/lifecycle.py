"""The case lifecycle mix (督查事项全过程): thousands of cases, each through thirteen steps, and their projection.

Each case goes the way tests/e2e/steps.py takes a government case, on the same autumn-2026
dates (the node's clock stands at 2026-11-25): propose → approve → adopt-plan →
notify-targets → conduct-site-visit → record-finding → submit-report → issue-conclusion →
deliver-conclusion → report-rectification → complete-rectification → verify-rectification →
close. Each case visits one target (the next unit under the node in turn) and records one
event per command. Many callers run cases at once, so the writer's groups mix every step.

Then the mixed history is the backlog of the projection figure: it is published onto the
node's stream (not timed), and one projector per projection of `PROJECTIONS` (as
`Node.start` builds them, on the node's own views) runs from zero until every one of them
has applied the last position.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from itertools import cycle
from pathlib import Path
from typing import Any
from uuid import UUID

import nats

from bench.env import Sizes, Stopwatch, progress, say
from bench.workload import NODE
from domain.actor import Actor, Role
from domain.case import CaseType, Method, Topic

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # the e2e tests' clock: every act below is dated before it
D = date.fromisoformat
OFFICE = Actor("220000-DCS", Role.AGENCY, "督查员李")  # 吉林省人民政府督查室
LEADER = Actor("220000", Role.LEADER, "省长")
GOVERNMENT = Actor("220000", Role.GOVERNMENT, "办公厅王")
OFFICER = OFFICE.person
STEPS = 13  # commands per case, each recording one event
PROJECTION_TIMEOUT = 300.0


@cache
def _targets() -> Iterator[str]:
    """The prefectures and counties under the node, in turn (the units a government case visits)."""
    from ducha.units import load_registry

    registry = load_registry()
    kinds = {"prefecture", "county"}
    return cycle(sorted(u.code for u in registry if u.kind in kinds and registry.is_within(u.code, NODE)))


def proposal(target: str) -> dict[str, Any]:
    return {
        "case_type": CaseType.COMPREHENSIVE, "topic": Topic.WORK_REPORT, "title": "稳就业任务落实情况督查",
        "targets": [target], "methods": [Method.INSPECTION, Method.INTERVIEW], "window_start": D("2026-09-01"),
        "window_end": D("2026-12-31"), "rationale": "省政府工作报告重点任务",
    }


def steps(target: str) -> list[tuple[str, Actor, date, dict[str, Any]]]:
    """The twelve commands after the proposal: (command, actor, date, fields)."""
    as_target = Actor(target, Role.TARGET, "整改联络员")
    return [
        ("approve", LEADER, D("2026-09-02"), {"remarks": "同意"}),
        ("adopt-plan", OFFICE, D("2026-09-03"), {"content": "检查就业补贴发放", "team": [OFFICER], "team_leader": OFFICER}),
        ("notify-targets", OFFICE, D("2026-09-30"),
         {"site_work_starts": D("2026-10-10"), "content": "实地督查就业补贴发放", "supervisors": [OFFICER]}),
        ("conduct-site-visit", OFFICE, D("2026-10-10"), {"target": target, "summary": "走访三个街道"}),
        ("record-finding", OFFICE, D("2026-10-10"), {"finding_id": "f1", "target": target, "item": "补贴发放", "text": "发放滞后两个月"}),
        ("submit-report", OFFICE, D("2026-10-12"), {"summary": "总体推进有力，个别环节滞后"}),
        ("issue-conclusion", GOVERNMENT, D("2026-10-13"), {
            "target": target, "summary": "补贴发放滞后", "findings": ["f1"],
            "requirements": [{"id": "r1", "text": "年底前补发就业补贴", "deadline": D("2026-11-20")}],
        }),
        ("deliver-conclusion", OFFICE, D("2026-10-14"), {"target": target}),
        ("report-rectification", as_target, D("2026-10-26"), {"requirement_id": "r1", "progress": "已补发一半", "percent": 50}),
        ("complete-rectification", as_target, D("2026-11-02"), {"requirement_id": "r1", "summary": "已全部补发"}),
        ("verify-rectification", OFFICE, D("2026-11-05"), {"requirement_id": "r1"}),
        ("close", OFFICE, D("2026-11-10"), {"summary": "办结"}),
    ]


async def one_case(commands, bar=None) -> int:
    """Takes one case through all thirteen steps; answers the position of its last event."""
    target = next(_targets())
    outcome = await commands.propose(OFFICE, on=D("2026-09-01"), **proposal(target))
    case_id: UUID = outcome.aggregate.id
    for command, actor, on, fields in steps(target):
        outcome = await commands.run(command, actor, case_id, on=on, **fields)
    if bar is not None:
        bar.update(STEPS)
    return outcome.position


async def drive(commands, cases: int, concurrency: int, bar=None) -> int:
    """`cases` cases on `concurrency` callers, each taking its cases one after another; answers the last position."""
    remaining = iter(range(cases))
    last = 0

    async def caller() -> None:
        nonlocal last
        for _ in remaining:
            last = max(last, await one_case(commands, bar))

    await asyncio.gather(*(caller() for _ in range(concurrency)))
    return last


@dataclass
class Mixed:
    """The node the mix was written through (its writer stopped) and the figures of the write."""

    node: Any
    rate: float
    last_position: int


async def write_mix(registry, data_dir: Path, sizes: Sizes) -> Mixed:
    """The write figure: the mix through the node's CaseCommands (built by bootstrap, only the writer runs)."""
    from ducha.bootstrap import bootstrap
    from ducha.clock import SetClock
    from ducha.settings import Settings

    settings = Settings(data_dir=data_dir, nats_url="nats://127.0.0.1:1", node=NODE)
    node = bootstrap(settings, clock=SetClock(NOW), registry=registry)
    node.writer.start()
    try:
        await drive(node.cases, 10, min(10, sizes.concurrency))  # warm-up: imports, caches, the SQLite file
        with progress("lifecycle mix", STEPS * sizes.lifecycle_cases) as bar, Stopwatch() as watch:
            await drive(node.cases, sizes.lifecycle_cases, sizes.concurrency, bar)
    finally:
        node.writer.stop()
    return Mixed(node, STEPS * sizes.lifecycle_cases / watch.elapsed, node.reader.last_position())


async def publish_history(url: str, reader) -> int:
    """The node's whole history onto its stream as the relay would publish it (set-up, not timed)."""
    from bench.bus_figures import _args, check_stream, ensure_stream, wires

    nc = await nats.connect(url)
    try:
        js = nc.jetstream(publish_async_max_pending=1000)
        await ensure_stream(js, NODE)
        messages = wires(reader.iter_envelopes())
        say(f"publishing {len(messages)} events of the mix onto the stream")
        futures = [await js.publish_async(*_args(m)) for m in messages]
        await asyncio.gather(*futures)
        await check_stream(js, NODE, len(messages))
        return len(messages)
    finally:
        await nc.close()


async def bare_consumers_rate(url: str, events: int, consumers: int, batch: int) -> float:
    """The ceiling: `consumers` bare durable pull consumers at once (one per projection), fetch and ack only."""
    from domain.envelope import stream_name

    nc = await nats.connect(url)
    try:
        js = nc.jetstream()

        async def consume(index: int, bar) -> None:
            sub = await js.pull_subscribe(f"ducha.{NODE}.evt.>", durable=f"bench-ceiling-{index}", stream=stream_name(NODE))
            seen = 0
            while seen < events:
                for msg in await sub.fetch(batch, timeout=5):
                    await msg.ack()
                    seen += 1
                    bar.update(1)

        with progress("consume ceiling (all)", events * consumers) as bar, Stopwatch() as watch:
            await asyncio.gather(*(consume(i, bar) for i in range(consumers)))
    finally:
        await nc.close()
    return events / watch.elapsed


async def project_all(url: str, node, last_position: int) -> float:
    """The figure: one projector per projection, built as Node.start builds them, from zero until all have applied
    `last_position`; answers history events per second (each projector sees every event)."""
    from handlers.projector import Projector

    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        projectors = {
            name: Projector(js, node.views, projection, NODE, store_position=node.reader.last_position)
            for name, projection in node.projections.items()
        }
        started = time.perf_counter()
        tasks = [asyncio.create_task(p.run(), name=f"bench-projector:{n}") for n, p in projectors.items()]
        done = asyncio.ensure_future(
            asyncio.gather(*(p.wait_for(last_position, timeout=PROJECTION_TIMEOUT) for p in projectors.values()))
        )
        try:
            finished, _ = await asyncio.wait([done, *tasks], return_when=asyncio.FIRST_COMPLETED)
            elapsed = time.perf_counter() - started  # the stop below is not the projection's work
            if done not in finished:
                for task in finished:
                    task.result()
                raise RuntimeError("a projector ended early")
            late = [n for n, ok in zip(projectors, done.result()) if not ok]
            if late:
                raise RuntimeError(f"not all applied within {PROJECTION_TIMEOUT:g} s: {', '.join(late)}")
        finally:
            await stop(tasks, done)
        for name, projection in node.projections.items():
            applied = node.views.tracked_position(projection.name, NODE)
            if applied < last_position:
                raise RuntimeError(f"{name} tracked position {applied} < {last_position}")
    finally:
        await nc.close()
    return last_position / elapsed


async def stop(tasks: list[asyncio.Task], done: asyncio.Future) -> None:
    """Cancels the projectors as Node.stop does: again until each is done (nats-py may swallow one cancel)."""
    done.cancel()
    for task in tasks:
        task.cancel()
    for task in tasks:
        while not (await asyncio.wait({task}, timeout=1.0))[0]:
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task


def close(node) -> None:
    """The mixed node's store and views (its writer is stopped already; nothing else was started)."""
    node.audit_store.close()
    node.views.close()
    node.app.close()
