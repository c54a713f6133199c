"""The auditor's replay: the node's stream, from the first message, into the auditor's own views, same digests."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

from typer.testing import CliRunner

from domain.case import CaseType, Method, Topic
from domain.envelope import stream_name
from ducha.audit.cli import audit_app
from ducha.audit.replay import replay
from ducha.bootstrap import Node
from projections.base import digest
from projections.store import ViewStore
from tests.audit.conftest import AGENCY, LEADER

WAIT_SECONDS = 10.0


async def make_history(node: Node, cases: int = 3) -> int:
    """Proposes `cases` cases, approves all but the last, and waits until every projector has applied them."""
    position = 0
    for i in range(cases):
        proposed = await node.cases.propose(
            AGENCY, case_type=CaseType.SPECIAL, topic=Topic.WORK_REPORT, title=f"事项 {i}",
            targets=("220100",) if i % 2 else ("220200",), methods=[Method.INSPECTION],
            window_start=date(2026, 12, 1), window_end=date(2027, 3, 31), rationale="《政府工作报告》任务",
        )
        position = proposed.position
        if i < cases - 1:
            position = (await node.cases.approve(LEADER, proposed.aggregate.id)).position
    for projector in node.projectors.values():
        assert await projector.wait_for(position, WAIT_SECONDS)
    return position


def node_digests(node: Node) -> dict[str, str]:
    return {name: digest(node.views, projector.projection) for name, projector in node.projectors.items()}


async def test_replay_reaches_the_same_digests_as_the_node(node, tmp_path: Path):
    position = await make_history(node)

    result = await replay(node.nats_url, node.settings.node, tmp_path / "auditor")

    assert result.position == position
    assert {name: result.digests[name] for name in node.projectors} == node_digests(node)


async def test_replay_leaves_no_consumer_on_the_nodes_server(node, tmp_path: Path):
    await make_history(node, cases=1)
    before = {info.name for info in await node.js.consumers_info(stream_name(node.settings.node))}

    await replay(node.nats_url, node.settings.node, tmp_path / "auditor")

    after = {info.name for info in await node.js.consumers_info(stream_name(node.settings.node))}
    assert after == before


async def test_replaying_again_into_the_same_directory_changes_nothing(node, tmp_path: Path):
    await make_history(node)
    first = await replay(node.nats_url, node.settings.node, tmp_path / "auditor")

    second = await replay(node.nats_url, node.settings.node, tmp_path / "auditor")

    assert second.digests == first.digests


async def test_replay_writes_the_views_into_the_auditors_own_directory(node, tmp_path: Path):
    await make_history(node)
    result = await replay(node.nats_url, node.settings.node, tmp_path / "auditor")

    views = ViewStore.open(None, tmp_path / "auditor")
    try:
        assert views.tracked_position("case_board", node.settings.node) == result.position
    finally:
        views.close()


async def test_cli_replay_prints_every_digest(node, tmp_path: Path):
    await make_history(node)
    expected = node_digests(node)

    # The CLI runs its own event loop: run it in a thread so the node's loop keeps serving.
    outcome = await asyncio.to_thread(
        CliRunner().invoke, audit_app,
        ["replay", "--nats-url", node.nats_url, "--node", node.settings.node, "--data-dir", str(tmp_path / "cli")],
    )

    assert outcome.exit_code == 0, outcome.output
    for name, value in expected.items():
        assert f"{name} {value}" in outcome.output


async def test_a_node_without_events_replays_to_empty_views(node, tmp_path: Path):
    result = await replay(node.nats_url, node.settings.node, tmp_path / "auditor")

    assert result.events == 0
    assert result.digests == node_digests(node)
