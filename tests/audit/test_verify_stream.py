"""`verify` of the bus: the node's real JetStream stream is checked against its store, position by position."""

from __future__ import annotations

import json

import nats
import pytest

from domain.envelope import stream_name
from ducha.audit.report import FaultKind
from handlers.relay import Relay, ensure_stream
from tests.audit.conftest import NODE


@pytest.fixture
async def published(history, nats_server):
    """Five cases in the store, all published to the node's stream by the real relay."""
    history.cases(5)
    nc = await nats.connect(nats_server.url)
    js = nc.jetstream()
    await ensure_stream(js, NODE)
    relay = Relay(history.reader, js, NODE)
    await relay.resume()
    await relay.publish_pending()
    yield js
    await nc.drain()


async def test_a_faithful_stream_verifies(history, published):
    report = await history.auditor.verify_stream(published)
    assert report.ok and report.events == 10, report.text()


async def test_a_message_deleted_from_the_stream_is_named(history, published):
    await published.delete_msg(stream_name(NODE), 4)
    fault = (await history.auditor.verify_stream(published)).first_fault
    assert (fault.position, fault.kind) == (4, FaultKind.REMOVED)


async def test_a_forged_message_on_the_stream_is_named(history, published):
    original = await published.get_msg(stream_name(NODE), 10)
    forged = json.loads(original.data) | {"position": 11}
    await published.publish(original.subject, json.dumps(forged).encode(), headers={"Nats-Msg-Id": f"{NODE}:11"})
    fault = (await history.auditor.verify_stream(published)).first_fault
    assert (fault.position, fault.kind) == (11, FaultKind.INSERTED)


async def test_a_stream_lagging_behind_the_store_counts_the_unpublished(history, published):
    history.cases(1)
    report = await history.auditor.verify_stream(published)
    assert report.ok and report.unsealed == 2
