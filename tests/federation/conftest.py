"""Levels for the federation's unit tests: a node's store, views and commands (its writer running, no bus),
with its inbox and outbox, and the keys of the nodes around it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from ducha.bootstrap import Node, bootstrap
from ducha.federation import state
from domain.ledger_tree import serving_node
from ducha.federation.apply import Applier
from ducha.federation.cases import CasesAcross
from ducha.federation.instructions import InstructionsAcross
from ducha.federation.inbox import Inbox
from ducha.federation.outbox import Outbox
from ducha.federation.trust import TrustStore
from ducha.keys import NodeKey
from ducha.settings import Settings
from tests.federation.builders import CITY, COUNTY, PROVINCE


@dataclass
class Level:
    """One level's node, not started on a bus: what the inbox and outbox work on."""

    node: Node
    inbox: Inbox
    outbox: Outbox

    def task_events(self) -> list[str]:
        return [e.type for e in self.node.reader.envelopes(0, 10_000) if e.aggregate_type == "task"]


@pytest.fixture
def keys(tmp_path: Path) -> dict[str, NodeKey]:
    return {code: NodeKey.load_or_create(tmp_path / "keys" / code) for code in (PROVINCE, CITY, COUNTY)}


@pytest.fixture
def make_level(tmp_path: Path, clock, registry, keys) -> Iterator:
    made: list[Node] = []

    def make(code: str, child_nodes: list[str] = (), store_url: str | None = None) -> Level:
        data_dir = tmp_path / code
        data_dir.mkdir(parents=True, exist_ok=True)
        (data_dir / "node-key.pem").write_bytes((tmp_path / "keys" / code / "node-key.pem").read_bytes())
        settings = Settings(
            data_dir=data_dir, node=code, nats_url="nats://127.0.0.1:1", child_nodes=list(child_nodes), store_url=store_url
        )
        node = bootstrap(settings, clock=clock, registry=registry)
        node.writer.start()
        made.append(node)
        state.install(node.views)
        trust = TrustStore({c: k.public_raw for c, k in keys.items()})
        inbox = Inbox(code, registry, trust, node.views, Applier(node.tasks, node.cases, code, node.instructions))
        serving = serving_node(registry, {code, *keys})
        outbox = Outbox(code, registry, node.reader, node.views, node.key,
                        cases=CasesAcross(code, node.reader, serving, node.calendar, node.policy),
                        instructions=InstructionsAcross(code, node.reader, serving))
        return Level(node, inbox, outbox)

    yield make
    for node in made:
        node.writer.stop()
        node.views.close()
        node.app.close()


@pytest.fixture
def city(make_level) -> Level:
    return make_level(CITY, [COUNTY])


def trust_file(path: Path, keys: dict[str, NodeKey]) -> Path:
    path.write_text(json.dumps({code: key.public_b64 for code, key in keys.items()}))
    return path
