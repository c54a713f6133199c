"""Nodes on a bus that authenticates: a real nats-server (JetStream domain `province`) started with the generated
`auth.conf`, and ducha nodes started with their own generated seeds (`Settings.nats_nkey_seed`). Every connection a
node makes — its own (relay, projectors, warnings) and its federation's broker — must get through with the node's
permissions: the events are published and projected, and a task assigned down is registered and accepted back up."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import date
from pathlib import Path

import nats
import pytest

from domain.actor import Actor, Role
from domain.ledger import Task
from ducha.bootstrap import Node, bootstrap
from ducha.keys import NodeKey
from domain.envelope import stream_name
from ducha.nats_auth import connect_options, generate
from handlers.relay import ensure_stream
from ducha.settings import Settings
from tests.federation.builders import CITY, CITY_UNIT, DEADLINE, PROVINCE, PROVINCE_OFFICE, child_spec
from tests.projections.story import proposal

DOMAIN = "province"
START_TIMEOUT = 20.0
CONVERGE_SECONDS = 60.0


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """Credentials generated for the province and Changchun (with the server's domain), and a real nats-server
    using them; stopped by its PID afterwards."""
    auth = tmp_path / "auth"
    generate(auth, [PROVINCE, CITY], domains={PROVINCE: DOMAIN, CITY: DOMAIN})
    config = auth / "server.conf"
    q = json.dumps
    config.write_text(
        f'listen: "127.0.0.1:-1"\nports_file_dir: {q(str(tmp_path))}\n'
        f"jetstream {{ store_dir: {q(str(tmp_path / 'js'))}, domain: {q(DOMAIN)} }}\ninclude \"auth.conf\"\n"
    )
    log = (tmp_path / "nats-server.log").open("wb")
    binary = Path(sys.executable).parent / "nats-server"
    process = subprocess.Popen([str(binary), "-c", str(config)], stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    ports = tmp_path / f"nats-server_{process.pid}.ports"
    deadline = time.monotonic() + START_TIMEOUT
    url = None
    while url is None and time.monotonic() < deadline and process.poll() is None:
        try:
            url = json.loads(ports.read_text())["nats"][0]
        except (FileNotFoundError, json.JSONDecodeError, KeyError, IndexError):
            time.sleep(0.02)  # polling for the ports file, not timing an assertion
    assert url is not None, f"nats-server did not start: see {tmp_path / 'nats-server.log'}"
    yield url, auth
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture
async def start_node(server, tmp_path: Path, clock, registry) -> AsyncIterator[Callable[..., object]]:
    url, auth = server
    started: list[Node] = []

    async def start(code: str, *, child_nodes: list[str] = (), trust_store: Path | None = None, seed: str | None = None) -> Node:
        """Starts the node `code` with the seed of the user `seed` (default: its own)."""
        settings = Settings(
            data_dir=tmp_path / "nodes" / code, node=code, nats_url=url, child_nodes=list(child_nodes),
            trust_store=trust_store, nats_nkey_seed=auth / f"{seed or code}.nk",
        )
        node = bootstrap(settings, clock=clock, registry=registry)
        started.append(node)
        await asyncio.wait_for(node.start(), START_TIMEOUT)
        return node

    yield start
    for node in started:
        await node.stop()


def trust_store(tmp_path: Path) -> Path:
    keys = {code: NodeKey.load_or_create(tmp_path / "nodes" / code).public_b64 for code in (PROVINCE, CITY)}
    path = tmp_path / "trust-store.json"
    path.write_text(json.dumps(keys))
    return path


async def until(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + CONVERGE_SECONDS
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception:  # not there yet
            pass
        await asyncio.sleep(0.1)
    raise AssertionError(f"did not converge: {what}")


async def test_a_node_started_with_its_seed_publishes_and_projects_its_events(start_node):
    node = await start_node(PROVINCE)

    proposed = await node.cases.propose(Actor("220000-DCS", Role.AGENCY, "督查员王"), on=date(2026, 11, 2), **proposal())

    assert await node.projectors["case_board"].wait_for(proposed.position, 20)  # relayed onto the stream, then projected


async def test_federated_nodes_started_with_their_seeds_assign_down_and_report_up(start_node, tmp_path):
    trust = trust_store(tmp_path)
    province = await start_node(PROVINCE, child_nodes=[CITY], trust_store=trust)
    city = await start_node(CITY, trust_store=trust)
    root = await province.tasks.register(
        PROVINCE_OFFICE, title="新增城镇就业", source="work-report", responsible_unit="220000-FGW",
        responsible_person="经办", responsible_leader="副省长", deadline=DEADLINE, standard="新增就业10万人",
    )
    _, (city_task,) = await province.tasks.decompose(PROVINCE_OFFICE, root.aggregate.id, children=[child_spec(CITY)])

    await until(lambda: city.tasks.load(city_task, Task) is not None, "the assignment reaches Changchun")
    await city.tasks.run("accept", CITY_UNIT, city_task)

    await until(lambda: province.tasks.load(city_task, Task).state.value == "accepted", "the acceptance reaches the province")


async def test_a_node_with_another_nodes_seed_cannot_start(start_node):
    with pytest.raises(nats.errors.TimeoutError):  # its stream's JetStream API is the province's to refuse
        await start_node(CITY, seed=PROVINCE)



async def connect_as(server, user: str, node: str):
    url, auth = server
    return await nats.connect(url, max_reconnect_attempts=0, **connect_options(node, auth / f"{user}.nk"))


async def test_a_node_keeps_its_stream_through_its_servers_domain_api(server):
    nc = await connect_as(server, PROVINCE, PROVINCE)
    try:
        js = nc.jetstream(domain=DOMAIN)
        await ensure_stream(js, PROVINCE)
        await js.publish(f"ducha.{PROVINCE}.evt.case.CaseProposed", b"{}")

        assert (await js.stream_info(stream_name(PROVINCE))).state.messages == 1
    finally:
        await nc.close()


async def test_a_node_cannot_reach_another_nodes_stream_through_the_domain_api(server):
    province = await connect_as(server, PROVINCE, PROVINCE)
    city = await connect_as(server, CITY, CITY)
    try:
        await ensure_stream(province.jetstream(domain=DOMAIN), PROVINCE)

        with pytest.raises(nats.errors.TimeoutError):
            await city.jetstream(domain=DOMAIN, timeout=1.0).stream_info(stream_name(PROVINCE))
    finally:
        await city.close()
        await province.close()


def test_the_generated_node_user_reaches_its_inbox_stream_under_its_domain(tmp_path):
    (province, *_) = generate(tmp_path, [PROVINCE], domains={PROVINCE: DOMAIN})

    assert {f"$JS.{DOMAIN}.API.CONSUMER.MSG.NEXT.DUCHA_IN_{PROVINCE}.*", f"$JS.API.STREAM.CREATE.DUCHA_IN_{PROVINCE}"} <= set(
        province.publish
    )


def test_the_generated_auditor_reads_each_level_under_that_levels_domain(tmp_path):
    users = generate(tmp_path, [PROVINCE, CITY], domains={PROVINCE: DOMAIN, CITY: "city-220100"})
    auditor = next(user for user in users if user.name == f"auditor-{PROVINCE}")

    assert f"$JS.city-220100.API.DIRECT.GET.{stream_name(CITY)}" in auditor.publish


def test_the_permissions_name_the_inbox_stream_the_federation_makes():
    from ducha.federation.inbox import inbox_stream
    from ducha.nats_auth import inbox_stream_name

    assert inbox_stream_name(CITY) == inbox_stream(CITY).name
