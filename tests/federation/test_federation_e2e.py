"""End to end on a real three-level federation: three nats-servers joined by real leaf-node links, each with
its own JetStream domain, and a ducha node on each (in this process, so the test can act as each level)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

import pytest

from domain.actor import Actor, Role
from domain.ledger import Task
from ducha.bootstrap import Node, bootstrap
from ducha.federation.topology import Federation3
from ducha.settings import Settings
from tests.federation.builders import CITY, CITY_OFFICE, CITY_UNIT, COUNTY, COUNTY_UNIT, DEADLINE, PROVINCE, PROVINCE_OFFICE, child_spec

CONVERGE_SECONDS = 60.0


@dataclass
class Levels:
    """The running federation: servers and the three nodes."""

    servers: Federation3
    nodes: dict[str, Node]

    def task(self, node: str, task_id: UUID) -> Task:
        return self.nodes[node].tasks.load(task_id, Task)

    def unsent(self, node: str) -> int:
        """Messages in the node's outbox that no receiver has acknowledged yet."""
        with self.nodes[node].views.transaction() as tx:
            return tx.query_one("SELECT count(*) AS n FROM fed_outbox WHERE sent = 0")["n"]

    def events(self, node: str, task_id: UUID) -> list[str]:
        return [e.type for e in self.nodes[node].reader.envelopes(0, 100_000) if e.aggregate_id == task_id]


async def until(check: Callable[[], bool], what: str) -> None:
    """Waits (bounded) for the federation to converge on `check`."""
    deadline = time.monotonic() + CONVERGE_SECONDS
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception:  # e.g. the task has not arrived yet
            pass
        await asyncio.sleep(0.1)
    raise AssertionError(f"did not converge: {what}")


@pytest.fixture
async def levels(tmp_path: Path, clock, registry) -> AsyncIterator[Levels]:
    servers = Federation3(tmp_path / "federation")
    trust = servers.write_trust_store()
    await asyncio.to_thread(servers.start)
    nodes: dict[str, Node] = {}
    try:
        for code, server in servers.servers.items():
            settings = Settings(
                data_dir=servers.data_dir(code), node=code, nats_url=server.url, child_nodes=servers.child_nodes(code),
                trust_store=trust,
            )
            nodes[code] = bootstrap(settings, clock=clock, registry=registry)
            await nodes[code].start()
        yield Levels(servers, nodes)
    finally:
        for node in nodes.values():
            await node.stop()
        await asyncio.to_thread(servers.stop)


async def assign_to_city(levels: Levels) -> tuple[UUID, UUID]:
    """The province registers a task and decomposes it to Changchun (220100): (root id, the city's task id)."""
    tasks = levels.nodes[PROVINCE].tasks
    root = await tasks.register(
        PROVINCE_OFFICE, title="新增城镇就业", source="work-report", responsible_unit="220000-FGW",
        responsible_person="省发改委经办", responsible_leader="副省长", deadline=DEADLINE, standard="新增就业10万人",
    )
    _, (city_task,) = await tasks.decompose(PROVINCE_OFFICE, root.aggregate.id, children=[child_spec(CITY)])
    return root.aggregate.id, city_task


async def decompose_to_county(levels: Levels, city_task: UUID) -> UUID:
    """Changchun accepts the assignment and decomposes it to Nanguan (220102); Nanguan accepts its part."""
    await until(lambda: levels.task(CITY, city_task) is not None, "the assignment reaches Changchun")
    city = levels.nodes[CITY].tasks
    await city.run("accept", CITY_UNIT, city_task)
    _, (county_task,) = await city.decompose(CITY_UNIT, city_task, children=[child_spec(COUNTY)])
    await until(lambda: levels.task(COUNTY, county_task) is not None, "the decomposed task reaches Nanguan")
    await levels.nodes[COUNTY].tasks.run("accept", COUNTY_UNIT, county_task)
    return county_task


async def test_county_progress_rolls_up_through_the_city_to_the_province(levels):
    root, city_task = await assign_to_city(levels)
    county_task = await decompose_to_county(levels, city_task)

    await levels.nodes[COUNTY].tasks.run("report-progress", COUNTY_UNIT, county_task, percent=60, narrative="完成六成")

    await until(lambda: levels.task(PROVINCE, root).percent == 60, "the province's task stands at 60%")
    assert levels.task(CITY, city_task).percent == 60


async def test_county_completion_verified_by_the_city_completes_the_province_task(levels):
    root, city_task = await assign_to_city(levels)
    county_task = await decompose_to_county(levels, city_task)
    county = levels.nodes[COUNTY].tasks
    await county.run("report-progress", COUNTY_UNIT, county_task, percent=100, narrative="全部完成")
    await county.run("claim-completion", COUNTY_UNIT, county_task, summary="办结")
    await until(lambda: levels.task(CITY, county_task).state.value == "claimed", "the claim reaches Changchun")

    await levels.nodes[CITY].tasks.run("verify", CITY_OFFICE, county_task, remarks="照单验收")

    await until(lambda: levels.task(PROVINCE, root).percent == 100, "the province's task stands at 100%")
    assert levels.task(PROVINCE, city_task).state.value == "accepted"


async def test_after_a_city_outage_everything_converges_once_and_nothing_is_lost(levels):
    root, city_task = await assign_to_city(levels)
    county_task = await decompose_to_county(levels, city_task)
    await until(lambda: levels.task(CITY, county_task).state.value == "accepted", "Nanguan's acceptance reaches Changchun")
    city_server = levels.servers.servers[CITY]

    await asyncio.to_thread(city_server.stop)
    await levels.nodes[COUNTY].tasks.run("report-progress", COUNTY_UNIT, county_task, percent=40, narrative="四成")
    second_root, second_city_task = await assign_to_city(levels)  # both sides keep working while the city is away
    await until(lambda: levels.unsent(PROVINCE) and levels.unsent(COUNTY), "both sides hold messages for the city")
    await asyncio.to_thread(city_server.start)

    await until(lambda: levels.task(PROVINCE, root).percent == 40, "the county's progress reaches the province")
    await until(lambda: levels.task(CITY, second_city_task) is not None, "the second assignment reaches Changchun")
    assert levels.events(CITY, county_task).count("ProgressReported") == 1
    assert levels.events(PROVINCE, root).count("ChildProgressRolledUp") == 1
    assert levels.events(CITY, second_city_task) == ["TaskRegistered"]
