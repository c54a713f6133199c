"""The projector's batch handler under FastStream's in-memory broker (TestNatsBroker).

The in-memory broker delivers each publish as a one-message batch, with no JetStream
delivery count (a first delivery); redelivery and ordering are covered on the real server
in tests/integration/test_projector.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from faststream import Context
from faststream.middlewares import AckPolicy
from faststream.nats import JStream, NatsBroker, PullSub, TestNatsBroker

from domain.envelope import Envelope, stream_name
from handlers.projector import Projector
from projections.case_board import CaseBoard, get_case
from projections.store import ViewStore
from tests.projections.history import NODE, History, poison_event

SUBJECT = f"ducha.{NODE}.evt.>"


@pytest.fixture
def views(tmp_path: Path) -> ViewStore:
    store = ViewStore.open(None, tmp_path / "views")
    store.install(CaseBoard())
    yield store
    store.close()


@pytest.fixture
def history(tmp_path: Path, registry):
    built = History(tmp_path / "events", registry)
    yield built
    built.close()


def projector_broker(projector: Projector) -> NatsBroker:
    """A broker whose batch pull subscriber hands each fetched batch to the projector."""
    broker = NatsBroker()

    @broker.subscriber(
        SUBJECT, stream=JStream(stream_name(NODE), declare=False), durable=projector.projection.name,
        pull_sub=PullSub(batch_size=projector.batch, timeout=0.1, batch=True), ack_policy=AckPolicy.MANUAL,
    )
    async def on_batch(body: Any, message=Context("message")) -> None:
        await projector.handle(message.raw_message)

    return broker


@pytest.fixture
async def publish(views) -> AsyncIterator:
    projector = Projector(None, views, CaseBoard(), NODE, max_deliver=1)  # type: ignore[arg-type]
    broker = projector_broker(projector)
    async with TestNatsBroker(broker) as test_broker:

        async def send(data: Envelope | bytes) -> None:
            body = data.model_dump_json() if isinstance(data, Envelope) else data
            await test_broker.publish(body, data.subject if isinstance(data, Envelope) else f"ducha.{NODE}.evt.x.Y")

        send.projector = projector  # type: ignore[attr-defined]
        yield send


async def test_published_envelope_is_applied_to_the_board(history, views, publish):
    case_id = history.propose()
    (proposed,) = history.envelopes()

    await publish(proposed)

    assert get_case(views, case_id)["state"] == "proposed"
    assert publish.projector.position == proposed.position


async def test_duplicate_publish_has_no_second_effect(history, views, publish):
    case_id = history.propose()
    history.approve(case_id)
    proposed, approved = history.envelopes()

    for envelope in (proposed, approved, proposed):
        await publish(envelope)

    assert (get_case(views, case_id)["state"], publish.projector.position) == ("approved", approved.position)


async def test_message_that_is_no_envelope_is_dead_lettered_at_once(views, publish):
    await publish(b'{"not": "an envelope"}')

    with views.transaction() as tx:
        letters = tx.query("SELECT message, error FROM dead_letters")
    assert letters[0]["message"] == '{"not": "an envelope"}' and "ValidationError" in letters[0]["error"]


async def test_poison_envelope_at_the_delivery_bound_is_dead_lettered_and_the_next_applies(history, views, publish):
    history.propose()
    (proposed,) = history.envelopes()
    poison = poison_event(proposed)
    case_id = history.propose()
    after = history.envelopes(proposed.position)[0].model_copy(update={"position": poison.position + 1})

    for envelope in (proposed, poison, after):
        await publish(envelope)

    with views.transaction() as tx:
        letters = tx.query("SELECT position FROM dead_letters")
    assert [row["position"] for row in letters] == [poison.position]
    assert get_case(views, case_id) is not None
