"""Ledger progress at the scale of a province (全省工作台账): thousands of tasks, tens of thousands of reports.

Set-up (timed apart from the reports): the provincial supervision office registers
`ledger_tasks` tasks for the provincial development and reform commission (发改委), which
accepts each and decomposes (分解) it to the 9 prefectures; each prefecture accepts its
child and decomposes it to its own counties; each county accepts. That is
1 + 9 + 60 = 70 tasks per provincial task, all served by this node.

The figure: every county reports progress `ledger_reports` times (weekly from February
2026, percent rising to 90 — a report never goes back), from many callers at once through
`TaskCommands.run("report-progress")`; each report rolls up into its prefecture's task in
the same writer act (two events, one transaction). Then the ledger tree view is rebuilt
from the history (not timed) and the tree of one provincial task — what
`GET /v1/tasks/{id}/tree` answers: `subtree` plus the lights of today — is timed.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from bench.env import Sizes, Stopwatch, progress
from bench.workload import NODE
from domain.actor import Actor, Role
from domain.ledger import TaskSource

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
D = date.fromisoformat
OFFICE = Actor("220000-DCS", Role.AGENCY, "督查员李")
COMMISSION = Actor("220000-FGW", Role.DEPARTMENT, "发改委陈")  # 吉林省发展和改革委员会
FIRST_REPORT = D("2026-02-02")
TREE_QUERIES = 50


@dataclass
class Province:
    """The tasks made by the set-up: the provincial roots and every county task with its actor."""

    roots: list[UUID]
    counties: list[tuple[UUID, Actor]]
    tasks: int


def _units(registry) -> dict[str, list[str]]:
    """Each prefecture under the node with its counties."""
    prefectures = sorted(u.code for u in registry if u.kind == "prefecture" and registry.is_within(u.code, NODE))
    return {p: sorted(u.code for u in registry if u.kind == "county" and u.parent == p) for p in prefectures}


def _child(unit: str) -> dict[str, Any]:
    return {
        "unit": unit, "person": f"{unit}经办", "leader": f"{unit}分管领导", "title": "新增城镇就业（分解）",
        "standard": "按分解指标完成新增就业", "deadline": D("2026-12-20"),
    }


async def _province_task(tasks, units: dict[str, list[str]], number: int) -> tuple[UUID, list[tuple[UUID, Actor]]]:
    """One provincial task decomposed to prefectures and counties, every task accepted."""
    registered = await tasks.register(
        OFFICE, on=D("2026-01-05"), title=f"政府工作报告重点任务第{number}项", source=TaskSource.WORK_REPORT,
        responsible_unit=COMMISSION.unit, responsible_person="发改委陈", responsible_leader="副省长",
        deadline=D("2026-12-31"), standard="全年目标任务全部完成",
    )
    root = registered.aggregate.id
    await tasks.run("accept", COMMISSION, root, on=D("2026-01-06"))
    _, prefecture_ids = await tasks.decompose(COMMISSION, root, on=D("2026-01-07"), children=[_child(p) for p in units])
    counties: list[tuple[UUID, Actor]] = []
    for prefecture, task_id in zip(units, prefecture_ids):
        actor = Actor(prefecture, Role.TARGET, f"{prefecture}经办")
        await tasks.run("accept", actor, task_id, on=D("2026-01-08"))
        _, county_ids = await tasks.decompose(actor, task_id, on=D("2026-01-09"), children=[_child(c) for c in units[prefecture]])
        for county, county_id in zip(units[prefecture], county_ids):
            county_actor = Actor(county, Role.TARGET, f"{county}经办")
            await tasks.run("accept", county_actor, county_id, on=D("2026-01-12"))
            counties.append((county_id, county_actor))
    return root, counties


async def set_up(tasks, registry, sizes: Sizes) -> Province:
    units = _units(registry)
    made = await asyncio.gather(*(_province_task(tasks, units, n + 1) for n in range(sizes.ledger_tasks)))
    per_root = 1 + len(units) + sum(len(c) for c in units.values())
    return Province([root for root, _ in made], [c for _, cs in made for c in cs], per_root * len(made))


async def report_all(tasks, province: Province, sizes: Sizes, bar=None) -> int:
    """Every county reports `ledger_reports` times in date order; the counties' reports interleave."""
    rounds = sizes.ledger_reports
    work = iter(province.counties)

    async def caller() -> None:
        for task_id, actor in work:
            for n in range(rounds):
                percent = round(90 * (n + 1) / rounds)
                await tasks.run(
                    "report-progress", actor, task_id, on=FIRST_REPORT + timedelta(weeks=n), percent=percent,
                    narrative=f"第{n + 1}次报送：已完成{percent}%",
                )
                if bar is not None:
                    bar.update(1)

    await asyncio.gather(*(caller() for _ in range(sizes.concurrency)))
    return rounds * len(province.counties)


@dataclass
class LedgerFigures:
    tasks: int
    reports: int
    setup_seconds: float
    reports_per_s: float
    events: int
    tree_rows: int
    tree_p50_ms: float
    tree_p99_ms: float


async def measure(registry, data_dir: Path, sizes: Sizes) -> LedgerFigures:
    from ducha.bootstrap import bootstrap
    from ducha.clock import SetClock
    from ducha.settings import Settings

    node = bootstrap(Settings(data_dir=data_dir, nats_url="nats://127.0.0.1:1", node=NODE), clock=SetClock(NOW), registry=registry)
    node.writer.start()
    try:
        with Stopwatch() as setup:
            province = await set_up(node.tasks, registry, sizes)
        reports = sizes.ledger_reports * len(province.counties)
        with progress("ledger reports", reports) as bar, Stopwatch() as watch:
            await report_all(node.tasks, province, sizes, bar)
        node.writer.stop()
        events = node.reader.last_position()
        rows, times = await asyncio.to_thread(_tree_times, node, province.roots[0])
    finally:
        node.writer.stop()
        node.audit_store.close()
        node.views.close()
        node.app.close()
    return LedgerFigures(
        province.tasks, reports, setup.elapsed, reports / watch.elapsed, events, rows,
        statistics.median(times) * 1000, statistics.quantiles(times, n=100)[98] * 1000,
    )


def _tree_times(node, root: UUID) -> tuple[int, list[float]]:
    """Rebuilds the ledger tree view from the history (not timed), then times the tree query of one root."""
    from api.tasks import _tree
    from projections.base import rebuild
    from projections.ledger_tree import subtree

    tree = node.projections["ledger_tree"]
    rebuild(node.views, tree, node.reader.iter_envelopes())
    times = []
    for _ in range(TREE_QUERIES):
        started = time.perf_counter()
        answer = _tree(node, OFFICE, subtree(node.views, str(root)))
        times.append(time.perf_counter() - started)
    return _count(answer), times


def _count(node: dict[str, Any]) -> int:
    return 1 + sum(_count(child) for child in node["children"])
