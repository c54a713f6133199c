"""Issue 7 behaviours the other audit tests leave open: checkpoints every N events and at a node's shutdown (on a
started node: real nats-server, real SQLite file), checkpoint forgery and covering checkpoints on PostgreSQL, and the
CLI's verify of a tampered store and of the stream, and its consistency proof between two exports, and a unit export's inclusion proofs
checked by a verifier written from docs/audit.md and RFC 9162 alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import struct
import uuid
from datetime import date

from typer.testing import CliRunner

from domain.actor import Actor, Role
from domain.envelope import stream_name
from ducha.audit.chain import Auditor
from ducha.audit.checkpoints import AuditStore
from ducha.audit.cli import audit_app
from ducha.audit.report import FaultKind
from ducha.bootstrap import bootstrap
from ducha.keys import NodeKey
from ducha.settings import Settings
from ducha.store import EventReader, open_store
from handlers.checkpointer import Checkpointer
from tests.projections.story import proposal
from tests.audit.tamper import PostgresTamper, SQLiteTamper
from tests.audit.test_independent_verifier import F
from tests.audit.test_verify_stream import published  # noqa: F401 (a fixture: the store's events on a real stream)
from tests.audit.test_verify_store import sealed

WAIT = 10.0  # seconds the checkpointer may take before a test gives up
AGENCY = Actor("220000-DCS", Role.AGENCY, "督查室 王")


def checkpoint_positions(history) -> list[int]:
    return [checkpoint.position for checkpoint in history.audit_store.iter_checkpoints(history.auditor.node)]


async def checkpointed(history, position: int) -> bool:
    """Waits (bounded) until a checkpoint at `position` or later is signed."""
    deadline = asyncio.get_running_loop().time() + WAIT
    while asyncio.get_running_loop().time() < deadline:
        latest = await asyncio.to_thread(history.audit_store.latest_checkpoint, history.auditor.node)
        if latest is not None and latest.position >= position:
            return True
        await asyncio.sleep(0.02)
    return False


async def test_checkpointer_signs_a_checkpoint_when_n_events_are_recorded(history):
    history.cases(2)  # 4 events
    checkpointer = Checkpointer(history.auditor, every=4, poll=0.01)
    task = asyncio.create_task(checkpointer.run())
    try:
        assert await checkpointed(history, 4)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    assert checkpoint_positions(history) == [4]
    assert history.auditor.verify_store().ok


async def test_checkpointer_signs_nothing_while_fewer_than_n_new_events_wait(history):
    history.cases(1)  # 2 events
    checkpointer = Checkpointer(history.auditor, every=4, poll=0.01)
    task = asyncio.create_task(checkpointer.run())
    try:
        await asyncio.to_thread(history.cases, 1)  # 4 events: the first checkpoint is due only now
        assert await checkpointed(history, 4)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    assert checkpoint_positions(history) == [4]


async def test_stopped_node_has_signed_a_checkpoint_of_its_last_event(tmp_path, nats_server, clock, registry):
    settings = Settings(data_dir=tmp_path / "data", nats_url=nats_server.url, node="220000", checkpoint_every=1_000_000)
    node = bootstrap(settings, clock=clock, registry=registry)
    await node.start()
    try:
        for _ in range(3):
            outcome = await node.cases.propose(AGENCY, on=date(2026, 11, 2), **proposal())
    finally:
        await node.stop()

    app = open_store(None, settings.data_dir)
    store = AuditStore.open(None, settings.data_dir)
    try:
        latest = store.latest_checkpoint("220000")
        report = Auditor(EventReader(app, "220000"), NodeKey.load_or_create(settings.data_dir), store).verify_store()
    finally:
        store.close()
        app.close()
    assert latest is not None and latest.position == outcome.position == 3
    assert report.ok and report.unsealed == 0, report.text()


def test_forged_checkpoint_signature_in_postgres_is_caught(pg_history):
    sealed(pg_history)
    real = pg_history.audit_store.latest_checkpoint(pg_history.auditor.node)
    with pg_history.audit_store.transaction() as cursor:
        cursor.execute(pg_history.audit_store.sql("UPDATE audit_checkpoints SET signature = ? WHERE position = ?"),
                       (bytes(64), real.position))

    assert pg_history.auditor.verify_store().bad_checkpoints == [12]


def test_altered_event_in_postgres_fails_the_checkpoints_that_cover_it(pg_history):
    sealed(pg_history)
    PostgresTamper(pg_history.store_url).alter(8)

    assert pg_history.auditor.verify_store().bad_checkpoints == [12]


def test_removed_event_in_postgres_fails_every_checkpoint_from_it_on(pg_history):
    sealed(pg_history)
    PostgresTamper(pg_history.store_url).remove(5)

    assert pg_history.auditor.verify_store().bad_checkpoints == [6, 12]


def test_cli_verify_of_a_tampered_store_exits_1_and_names_the_first_bad_position(history):
    sealed(history)
    history.close()
    SQLiteTamper(history.data_dir).alter(4)

    result = CliRunner().invoke(audit_app, ["verify", "--data-dir", str(history.data_dir)])

    assert result.exit_code == 1
    assert f"first bad position: 4 ({FaultKind.ALTERED.value}" in result.output
    assert "checkpoints that no longer verify: 6, 12" in result.output


def test_cli_consistency_proves_a_later_export_extends_an_earlier_one(history, tmp_path):
    runner = CliRunner()
    data = ["--data-dir", str(history.data_dir)]
    history.cases(2)
    history.auditor.checkpoint()
    assert runner.invoke(audit_app, ["export", str(tmp_path / "early"), *data]).exit_code == 0
    history.cases(3)
    history.auditor.checkpoint()
    assert runner.invoke(audit_app, ["export", str(tmp_path / "late"), *data]).exit_code == 0

    result = runner.invoke(audit_app, ["consistency", str(tmp_path / "early"), str(tmp_path / "late")])

    assert result.exit_code == 0, result.output


def test_cli_consistency_of_two_exports_given_in_the_wrong_order_fails(history, tmp_path):
    runner = CliRunner()
    data = ["--data-dir", str(history.data_dir)]
    history.cases(2)
    history.auditor.checkpoint()
    runner.invoke(audit_app, ["export", str(tmp_path / "early"), *data])
    history.cases(3)
    history.auditor.checkpoint()
    runner.invoke(audit_app, ["export", str(tmp_path / "late"), *data])

    result = runner.invoke(audit_app, ["consistency", str(tmp_path / "late"), str(tmp_path / "early")])

    assert result.exit_code == 1


def rfc9162_included(leaf: bytes, index: int, size: int, path: list[bytes], root: bytes) -> bool:
    """RFC 9162 §2.1.3.2, written from the RFC and docs/audit.md §4 alone."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = hashlib.sha256(b"\x01" + p + r).digest()
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = hashlib.sha256(b"\x01" + r + p).digest()
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def test_a_verifier_written_from_the_docs_accepts_the_inclusion_proofs_of_a_unit_export(history, tmp_path):
    history.cases(2, ("220100",))
    history.cases(2, ("220200",))
    history.auditor.export(tmp_path / "x", unit="220200")
    manifest = json.loads((tmp_path / "x" / "manifest.json").read_text())
    node, final = manifest["node"], manifest["checkpoint"]
    events = [json.loads(line) for line in (tmp_path / "x" / "events.jsonl").read_text().splitlines()]
    proofs = [json.loads(line) for line in (tmp_path / "x" / "proofs.jsonl").read_text().splitlines()]

    included = []
    for event, proof in zip(events, proofs, strict=True):
        encoded = F(b"ducha.audit.event.v1", node.encode(), struct.pack(">Q", event["position"]),
                    uuid.UUID(event["aggregate_id"]).bytes, struct.pack(">Q", event["aggregate_version"]),
                    event["topic"].encode(), event["state"].encode())
        leaf = hashlib.sha256(b"\x00" + encoded).digest()
        included.append(rfc9162_included(leaf, proof["index"], final["size"], [bytes.fromhex(h) for h in proof["proof"]],
                                         bytes.fromhex(final["merkle_root"])))

    assert [event["position"] for event in events] == [5, 6, 7, 8]
    assert included == [True] * 4


async def test_cli_verify_with_the_stream_names_a_message_deleted_from_it(history, published, nats_server):
    sealed_at = history.auditor.checkpoint().position
    await published.delete_msg(stream_name(history.auditor.node), 4)
    history.close()

    result = await asyncio.to_thread(
        CliRunner().invoke, audit_app, ["verify", "--stream", "--nats-url", nats_server.url, "--data-dir", str(history.data_dir)]
    )

    assert sealed_at == 10
    assert result.exit_code == 1
    assert f"first bad position: 4 ({FaultKind.REMOVED.value}" in result.output


async def test_cli_verify_with_a_faithful_stream_succeeds(history, published, nats_server):
    history.auditor.checkpoint()
    history.close()

    result = await asyncio.to_thread(
        CliRunner().invoke, audit_app, ["verify", "--stream", "--nats-url", nats_server.url, "--data-dir", str(history.data_dir)]
    )

    assert result.exit_code == 0, result.output
