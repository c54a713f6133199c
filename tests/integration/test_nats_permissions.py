"""Credentials on the bus: a real nats-server with the generated per-node and per-service nkey users.

Each test starts its own server (JetStream on, a free loopback port) with credentials freshly
generated for the Jilin sample nodes (province 220000, Changchun 220100, Nanguan 220102). A
refused publish or subscription is seen as the server's "permissions violation" error, and,
where it matters, as the stream it would have changed staying as it was.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import stat
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import nats
import pytest
from nats.aio.client import Client
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from domain.envelope import stream_name
from ducha.nats_auth import JILIN_SAMPLE_NODES, generate
from handlers.projector import consumer_config
from handlers.relay import ensure_stream, stream_tail

PROVINCE, CITY, COUNTY = JILIN_SAMPLE_NODES
SAMPLE = Path(__file__).parents[2] / "deploy" / "nats" / "auth" / "sample"
START_TIMEOUT = 20.0
REFUSAL_TIMEOUT = 5.0  # bounds the wait for the server's error; a refusal normally arrives at once
REQUEST_TIMEOUT = 1.0  # a refused JetStream request is never answered: no need to wait long


class Bus:
    """A running nats-server with the generated accounts, and connections as any generated user."""

    def __init__(self, url: str, auth_dir: Path) -> None:
        self.url = url
        self.users = {user["name"]: user for user in json.loads((auth_dir / "users.json").read_text())}
        self.auth_dir = auth_dir
        self.refusals: dict[str, asyncio.Queue[str]] = {}
        self.connections: list[Client] = []

    async def connect(self, name: str) -> Client:
        """Connects as the user `name`, with its own seed and reply inbox; refusals go to its queue."""
        user = self.users[name]
        refusals: asyncio.Queue[str] = self.refusals.setdefault(name, asyncio.Queue())

        async def on_error(error: Exception) -> None:
            await refusals.put(str(error))

        nc = await nats.connect(
            self.url, nkeys_seed=str(self.auth_dir / user["seed_file"]), inbox_prefix=user["inbox_prefix"],
            error_cb=on_error, max_reconnect_attempts=0,
        )
        self.connections.append(nc)
        return nc

    async def refusal(self, name: str) -> str:
        """The next permissions violation the server sent to `name`."""
        return await asyncio.wait_for(self.refusals[name].get(), REFUSAL_TIMEOUT)


def _start_server(directory: Path) -> tuple[subprocess.Popen[bytes], str]:
    """nats-server with JetStream; the include must be relative, so the config sits beside auth.conf."""
    config = directory / "auth" / "server.conf"
    q = json.dumps
    config.write_text(
        f'listen: "127.0.0.1:-1"\nports_file_dir: {q(str(directory))}\n'
        f"jetstream {{ store_dir: {q(str(directory / 'js'))} }}\ninclude \"auth.conf\"\n"
    )
    binary = Path(sys.executable).parent / "nats-server"
    log = (directory / "nats-server.log").open("wb")
    process = subprocess.Popen([str(binary), "-c", str(config)], stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    ports = directory / f"nats-server_{process.pid}.ports"
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline and process.poll() is None:
        try:
            return process, json.loads(ports.read_text())["nats"][0]
        except (FileNotFoundError, json.JSONDecodeError, KeyError, IndexError):
            time.sleep(0.02)  # polling for the ports file, not timing an assertion
    process.kill()
    raise RuntimeError(f"nats-server did not start: see {directory / 'nats-server.log'}")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """Fresh credentials and a real nats-server using them, stopped (by its PID) afterwards."""
    generate(tmp_path / "auth", list(JILIN_SAMPLE_NODES))
    process, url = _start_server(tmp_path)
    yield url, tmp_path / "auth"
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture
async def bus(server: tuple[str, Path]) -> AsyncIterator[Bus]:
    bus = Bus(*server)
    nc = await bus.connect(PROVINCE)
    await nc.jetstream(timeout=START_TIMEOUT).account_info()  # JetStream is up before any test runs
    yield bus
    for connection in bus.connections:
        await connection.close()


@pytest.fixture
async def province_stream(bus: Bus) -> str:
    """The province's stream, made by its own credentials, holding one event."""
    js = (await bus.connect(PROVINCE)).jetstream()
    await ensure_stream(js, PROVINCE)
    await js.publish(f"ducha.{PROVINCE}.evt.case.CaseProposed", b"{}", headers={"Nats-Msg-Id": f"{PROVINCE}:1"})
    return stream_name(PROVINCE)


async def test_a_node_publishes_its_own_events_on_its_own_stream(bus: Bus) -> None:
    js = (await bus.connect(CITY)).jetstream()
    await ensure_stream(js, CITY)
    ack = await js.publish(f"ducha.{CITY}.evt.case.CaseProposed", b"{}")
    assert (ack.stream, ack.seq) == (stream_name(CITY), 1)


async def test_a_node_sends_a_message_to_its_superiors_inbox(bus: Bus) -> None:
    inbox = await (await bus.connect(PROVINCE)).subscribe(f"ducha.*.msg.{PROVINCE}.>")
    city = await bus.connect(CITY)
    await city.publish(f"ducha.{CITY}.msg.{PROVINCE}.ProgressReported", b"{}")
    message = await inbox.next_msg(timeout=REFUSAL_TIMEOUT)
    assert message.subject == f"ducha.{CITY}.msg.{PROVINCE}.ProgressReported"


async def test_a_node_cannot_publish_into_another_nodes_events(bus: Bus, province_stream: str) -> None:
    city = await bus.connect(CITY)
    await city.publish(f"ducha.{PROVINCE}.evt.case.CaseProposed", b"{}")
    assert "permissions violation for publish" in await bus.refusal(CITY)
    province = (await bus.connect(PROVINCE)).jetstream()
    assert (await province.stream_info(province_stream)).state.messages == 1


async def test_a_node_cannot_send_a_message_in_another_nodes_name(bus: Bus) -> None:
    city = await bus.connect(CITY)
    await city.publish(f"ducha.{COUNTY}.msg.{PROVINCE}.ProgressReported", b"{}")
    assert f'publish to "ducha.{COUNTY}.msg' in await bus.refusal(CITY)


async def test_a_node_cannot_read_another_nodes_inbox(bus: Bus) -> None:
    city = await bus.connect(CITY)
    await city.subscribe(f"ducha.*.msg.{PROVINCE}.>")
    assert "permissions violation for subscription" in await bus.refusal(CITY)


async def test_a_node_cannot_read_another_nodes_replies(bus: Bus) -> None:
    city = await bus.connect(CITY)
    await city.subscribe(f"{bus.users[PROVINCE]['inbox_prefix']}.>")
    assert "permissions violation for subscription" in await bus.refusal(CITY)


async def test_a_node_cannot_read_another_nodes_stream(bus: Bus, province_stream: str) -> None:
    js = (await bus.connect(CITY)).jetstream(timeout=REQUEST_TIMEOUT)
    with pytest.raises(nats.errors.TimeoutError):
        await js.get_msg(province_stream, seq=1)
    assert f"publish to \"$js.api.stream.msg.get.{province_stream.lower()}\"" in await bus.refusal(CITY)


async def test_a_node_cannot_consume_another_nodes_stream(bus: Bus, province_stream: str) -> None:
    js = (await bus.connect(CITY)).jetstream(timeout=REQUEST_TIMEOUT)
    with pytest.raises(nats.errors.TimeoutError):
        await js.pull_subscribe(f"ducha.{PROVINCE}.evt.>", stream=province_stream)
    assert "$js.api.consumer.create" in await bus.refusal(CITY)


async def test_the_province_keeps_and_consumes_its_own_stream(bus: Bus, province_stream: str) -> None:
    js = (await bus.connect(PROVINCE)).jetstream()
    config = consumer_config("case_board", PROVINCE, batch=10, max_deliver=5)
    sub = await js.pull_subscribe(config.filter_subject, durable="case_board", stream=province_stream, config=config)
    [message] = await sub.fetch(1, timeout=REFUSAL_TIMEOUT)
    await message.ack_sync()  # answered only if the ack was allowed through
    assert (await js.consumer_info(province_stream, "case_board")).ack_floor.stream_seq == 1


async def test_the_province_finds_its_relays_position_on_its_own_stream(bus: Bus, province_stream: str) -> None:
    js = (await bus.connect(PROVINCE)).jetstream()
    assert (await stream_tail(js, PROVINCE)).position == 1


async def test_the_auditor_reads_the_streams_of_its_jurisdiction(bus: Bus, province_stream: str) -> None:
    city = (await bus.connect(CITY)).jetstream()
    await ensure_stream(city, CITY)
    await city.publish(f"ducha.{CITY}.evt.case.CaseProposed", b"city")
    js = (await bus.connect(f"auditor-{PROVINCE}")).jetstream()
    message = await js.get_msg(stream_name(CITY), seq=1, direct=True)
    assert message.data == b"city"


async def test_the_auditor_cannot_make_consumers_on_a_nodes_stream(bus: Bus, province_stream: str) -> None:
    js = (await bus.connect(f"auditor-{PROVINCE}")).jetstream(timeout=REQUEST_TIMEOUT)
    config = ConsumerConfig(name="case_board", ack_policy=AckPolicy.NONE, deliver_policy=DeliverPolicy.ALL)
    with pytest.raises(nats.errors.TimeoutError):
        await js.add_consumer(province_stream, config)
    assert "$js.api.consumer.create" in await bus.refusal(f"auditor-{PROVINCE}")


async def test_the_auditor_cannot_publish(bus: Bus, province_stream: str) -> None:
    auditor = await bus.connect(f"auditor-{PROVINCE}")
    await auditor.publish(f"ducha.{PROVINCE}.evt.case.CaseProposed", b"{}")
    assert "permissions violation for publish" in await bus.refusal(f"auditor-{PROVINCE}")


async def test_a_citys_auditor_cannot_read_the_provinces_stream(bus: Bus, province_stream: str) -> None:
    js = (await bus.connect(f"auditor-{CITY}")).jetstream(timeout=REQUEST_TIMEOUT)
    with pytest.raises(nats.errors.TimeoutError):
        await js.get_msg(province_stream, seq=1)
    assert "permissions violation for publish" in await bus.refusal(f"auditor-{CITY}")


async def test_the_projector_service_cannot_publish_events(bus: Bus) -> None:
    projector = await bus.connect(f"{CITY}-projector")
    await projector.publish(f"ducha.{CITY}.evt.case.CaseProposed", b"{}")
    assert "permissions violation for publish" in await bus.refusal(f"{CITY}-projector")


async def test_the_relay_service_cannot_read_the_nodes_inbox(bus: Bus) -> None:
    relay = await bus.connect(f"{CITY}-relay")
    await relay.subscribe(f"ducha.*.msg.{CITY}.>")
    assert "permissions violation for subscription" in await bus.refusal(f"{CITY}-relay")


def test_generated_seeds_are_readable_by_their_owner_only(tmp_path: Path) -> None:
    generate(tmp_path, [CITY])
    assert stat.S_IMODE((tmp_path / f"{CITY}.nk").stat().st_mode) == 0o600


def test_regenerating_keeps_the_existing_keys(tmp_path: Path) -> None:
    generate(tmp_path, [PROVINCE])
    before = (tmp_path / "users.json").read_text()
    generate(tmp_path, [PROVINCE])
    assert (tmp_path / "users.json").read_text() == before


def test_the_committed_sample_is_what_the_generator_makes_of_its_seeds(tmp_path: Path) -> None:
    shutil.copytree(SAMPLE, tmp_path / "sample")
    generate(tmp_path / "sample", list(JILIN_SAMPLE_NODES))
    assert (tmp_path / "sample" / "auth.conf").read_text() == (SAMPLE / "auth.conf").read_text()
