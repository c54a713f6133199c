"""The projector on a real embedded nats-server and a real view store (SQLite file, PostgreSQL)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import nats
import pytest
from nats.js.api import AckPolicy

from domain.envelope import Envelope, stream_name
from handlers.projector import Projector
from handlers.relay import ensure_stream
from projections.base import digest, rebuild
from projections.case_board import CaseBoard, get_case
from projections.store import ViewStore
from tests.projections.history import NODE, ignored_event, poison_event


@pytest.fixture
def views(tmp_path: Path, store_url: str | None):
    store = ViewStore.open(store_url, tmp_path / "views")
    store.install(CaseBoard())
    yield store
    store.close()


@pytest.fixture
async def js(nats_server) -> AsyncIterator:
    nc = await nats.connect(nats_server.url)
    context = nc.jetstream()
    await ensure_stream(context, NODE)
    yield context
    await nc.close()


@contextlib.asynccontextmanager
async def running(js, views, delays=(0.05, 0.1)) -> AsyncIterator[Projector]:
    projector = Projector(js, views, CaseBoard(), NODE, batch=50, max_deliver=3, delays=delays)
    task = asyncio.create_task(projector.run())
    await asyncio.wait_for(projector.started.wait(), timeout=10)
    try:
        yield projector
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def publish(js, envelope: Envelope, msg_id: str | None = None) -> None:
    await js.publish(
        envelope.subject, envelope.model_dump_json().encode(), headers={"Nats-Msg-Id": msg_id or envelope.message_id}
    )


def dead_letters(views: ViewStore) -> list[dict]:
    with views.transaction() as tx:
        return tx.query("SELECT node, position, subject, message, error FROM dead_letters ORDER BY position")


async def test_board_shows_published_events(history, views, js):
    case_id = history.propose()
    history.approve(case_id)
    async with running(js, views) as projector:
        for envelope in history.envelopes():
            await publish(js, envelope)

        assert await projector.wait_for(2, timeout=10)
    assert get_case(views, case_id)["state"] == "approved"


async def test_redelivered_message_has_no_second_effect(history, views, js):
    case_id = history.propose()
    history.approve(case_id)
    proposed, approved = history.envelopes()
    async with running(js, views) as projector:
        await publish(js, proposed)
        await publish(js, approved)
        await publish(js, proposed, msg_id="again")  # past the stream's de-duplication: delivered twice
        await publish(js, ignored_event(approved))

        assert await projector.wait_for(approved.position + 1, timeout=10)
    assert get_case(views, case_id)["state"] == "approved"
    assert dead_letters(views) == []


async def test_poison_message_is_dead_lettered_after_bounded_redelivery_and_the_next_applies(history, views, js):
    history.propose()
    (proposed,) = history.envelopes()
    poison = poison_event(proposed)
    next_case = history.propose()
    after = history.envelopes(proposed.position)[0].model_copy(update={"position": poison.position + 1})
    async with running(js, views) as projector:
        for envelope in (proposed, poison, after):
            await publish(js, envelope)

        assert await projector.wait_for(after.position, timeout=10)
    (letter,) = dead_letters(views)
    assert (letter["position"], letter["subject"]) == (poison.position, poison.subject)
    assert "KeyError" in letter["error"]
    assert get_case(views, next_case) is not None


async def test_message_published_while_a_poison_one_waits_for_retry_is_not_applied_before_it(history, views, js):
    history.propose()
    (proposed,) = history.envelopes()
    poison = poison_event(proposed)
    history.propose()
    after = history.envelopes(proposed.position)[0].model_copy(update={"position": poison.position + 1})
    async with running(js, views, delays=(0.3, 0.3)) as projector:
        await publish(js, proposed)
        await publish(js, poison)
        assert await projector.wait_for(proposed.position, timeout=10)  # the poison one now waits for its retry
        await publish(js, after)

        assert await projector.wait_for(after.position, timeout=10)
    # Had `after` been applied first, the tracking would have skipped the poison message silently.
    assert [letter["position"] for letter in dead_letters(views)] == [poison.position]


async def test_message_that_is_no_envelope_is_dead_lettered_and_the_next_applies(history, views, js):
    case_id = history.propose()
    (proposed,) = history.envelopes()
    async with running(js, views) as projector:
        await js.publish(f"ducha.{NODE}.evt.case.CaseProposed", b"not json", headers={"Nats-Msg-Id": f"{NODE}:0"})
        await publish(js, proposed)

        assert await projector.wait_for(proposed.position, timeout=10)
    assert [letter["message"] for letter in dead_letters(views)] == ["not json"]
    assert get_case(views, case_id) is not None


async def test_wait_for_answers_false_when_the_position_is_not_applied_in_time(views, js):
    async with running(js, views) as projector:
        assert await projector.wait_for(1, timeout=0.2) is False


async def test_consumer_is_durable_with_explicit_acks_and_bounded_redelivery(views, js):
    async with running(js, views) as projector:
        await projector.wait_for(1, timeout=0.2)
    info = await js.consumer_info(stream_name(NODE), "case_board")
    assert (info.config.durable_name, info.config.ack_policy) == ("case_board", AckPolicy.EXPLICIT)
    assert 0 < info.config.max_deliver < 100 and info.config.max_ack_pending == 2 * 50


async def test_restarted_projector_resumes_after_what_it_applied(history, views, js):
    first = history.propose()
    async with running(js, views) as projector:
        await publish(js, history.envelopes()[0])
        assert await projector.wait_for(1, timeout=10)
    history.approve(first)
    await publish(js, history.envelopes()[1])

    async with running(js, views) as projector:
        assert projector.position == 1
        assert await projector.wait_for(2, timeout=10)
    assert get_case(views, first)["state"] == "approved"


async def test_batch_left_unacked_by_a_crashed_projector_is_applied_before_newer_messages(history, views, js):
    cases = [history.propose() for _ in range(4)]
    envelopes = history.envelopes()
    async with running(js, views) as projector:
        await publish(js, envelopes[0])
        assert await projector.wait_for(1, timeout=10)
    # a projector fetches positions 2 and 3 and dies before it commits or acks them
    for envelope in envelopes[1:3]:
        await publish(js, envelope)
    crashed = await js.pull_subscribe("ducha.220000.evt.>", durable="case_board", stream=stream_name(NODE))
    assert len(await crashed.fetch(2, timeout=5)) == 2
    await publish(js, envelopes[3])

    async with running(js, views) as projector:
        assert await projector.wait_for(4, timeout=10)
    assert all(get_case(views, case_id) is not None for case_id in cases)


async def test_view_rebuilt_from_the_event_store_has_the_digest_of_the_live_view(history, views, js, tmp_path):
    for n in range(3):
        case_id = history.propose(title=f"事项{n}")
        (history.approve if n % 2 else history.reject)(case_id)
    async with running(js, views) as projector:
        for envelope in history.envelopes():
            await publish(js, envelope)
        assert await projector.wait_for(history.reader.last_position(), timeout=10)
    rebuilt = ViewStore.open(None, tmp_path / "rebuilt")
    rebuilt.install(CaseBoard())

    rebuild(rebuilt, CaseBoard(), history.reader.iter_envelopes())

    assert digest(rebuilt, CaseBoard()) == digest(views, CaseBoard())
    rebuilt.close()


class Tally:
    """A projection that counts the envelopes it applied, by type: it takes any envelope, poison ones too."""

    name = "tally"
    ddl = ("CREATE TABLE IF NOT EXISTS tally (type TEXT PRIMARY KEY, n INTEGER NOT NULL)",)

    def apply(self, tx, envelope: Envelope) -> None:
        tx.execute(
            "INSERT INTO tally (type, n) VALUES (?, 1) ON CONFLICT (type) DO UPDATE SET n = tally.n + 1",
            (envelope.type,),
        )

    def canonical_rows(self, tx) -> dict:
        return {"tally": tx.query("SELECT type, n FROM tally")}

    def reset(self, tx) -> None:
        tx.execute("DELETE FROM tally")


def tally(views: ViewStore) -> dict[str, int]:
    with views.transaction() as tx:
        return {row["type"]: row["n"] for row in tx.query("SELECT type, n FROM tally")}


@contextlib.asynccontextmanager
async def running_group(js, views, delays=(0.05, 0.1)) -> AsyncIterator[Projector]:
    views.install(Tally())
    projector = Projector(js, views, [CaseBoard(), Tally()], NODE, name="views", batch=50, max_deliver=3, delays=delays)
    task = asyncio.create_task(projector.run())
    await asyncio.wait_for(projector.started.wait(), timeout=10)
    try:
        yield projector
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_group_feeds_every_projection_from_one_consumer_with_tracking_of_its_own(history, views, js):
    case_id = history.propose()
    history.approve(case_id)
    async with running_group(js, views) as projector:
        for envelope in history.envelopes():
            await publish(js, envelope)

        assert await projector.wait_for(2, timeout=10)
    assert get_case(views, case_id)["state"] == "approved"
    assert tally(views) == {"CaseProposed": 1, "CaseApproved": 1}
    assert (views.tracked_position("case_board", NODE), views.tracked_position("tally", NODE)) == (2, 2)
    assert [info.name for info in await js.consumers_info(stream_name(NODE))] == ["views"]


async def test_message_poison_to_one_projection_does_not_hold_the_others_back(history, views, js):
    history.propose()
    (proposed,) = history.envelopes()
    poison = poison_event(proposed)
    async with running_group(js, views, delays=(5.0, 5.0)) as projector:
        await publish(js, proposed)
        await publish(js, poison)

        # the board waits seconds for its retry; the tally applies the message meanwhile
        assert await projector.view("tally").wait_for(poison.position, timeout=3)
        assert projector.view("case_board").position == proposed.position
    assert tally(views) == {"CaseProposed": 2}
    assert dead_letters(views) == []


async def test_message_poison_to_one_projection_is_dead_lettered_for_it_alone_and_applied_once_by_the_others(
    history, views, js,
):
    history.propose()
    (proposed,) = history.envelopes()
    poison = poison_event(proposed)
    next_case = history.propose()
    after = history.envelopes(proposed.position)[0].model_copy(update={"position": poison.position + 1})
    async with running_group(js, views) as projector:
        for envelope in (proposed, poison, after):
            await publish(js, envelope)

        assert await projector.wait_for(after.position, timeout=10)
    (letter,) = dead_letters(views)
    assert letter["position"] == poison.position
    assert get_case(views, next_case) is not None
    assert tally(views) == {"CaseProposed": 3}  # redeliveries for the board had no second effect on the tally


async def test_group_starts_from_its_least_applied_projection_and_the_others_skip_what_they_applied(
    history, views, js,
):
    case_id = history.propose()
    history.approve(case_id)
    async with running(js, views) as projector:  # the board alone first
        for envelope in history.envelopes():
            await publish(js, envelope)
        assert await projector.wait_for(2, timeout=10)
    before = digest(views, CaseBoard())

    async with running_group(js, views) as projector:  # then a new projection joins it
        assert projector.position == 0
        assert await projector.wait_for(2, timeout=10)
    assert tally(views) == {"CaseProposed": 1, "CaseApproved": 1}
    assert digest(views, CaseBoard()) == before
    assert [info.name for info in await js.consumers_info(stream_name(NODE))] == ["views"]


async def test_batch_on_sqlite_is_committed_chunk_by_chunk_and_the_loop_runs_between_chunks(
    history, tmp_path, js, monkeypatch
):
    import handlers.projector

    monkeypatch.setattr(handlers.projector, "CHUNK", 3)
    views = ViewStore.open(None, tmp_path / "chunked")
    views.install(CaseBoard())
    for _ in range(10):
        history.propose()
    for envelope in history.envelopes():
        await publish(js, envelope)
    fetched = await (await js.pull_subscribe(f"ducha.{NODE}.>", durable="chunk-test", stream=stream_name(NODE))).fetch(10)
    projector = Projector(js, views, CaseBoard(), NODE)
    seen: list[int] = []
    done = asyncio.Event()

    async def observe() -> None:
        while not done.is_set():
            seen.append(projector.position)
            await asyncio.sleep(0)

    observer = asyncio.create_task(observe())
    await asyncio.sleep(0)
    await projector.handle(fetched)
    done.set()
    await observer

    assert projector.position == 10
    assert any(0 < position < 10 for position in seen), seen  # a chunk's commit, seen before the batch's end
    views.close()


async def test_poison_message_in_one_chunk_is_dead_lettered_and_every_later_chunk_applied(history, tmp_path, js, monkeypatch):
    import handlers.projector

    monkeypatch.setattr(handlers.projector, "CHUNK", 2)
    views = ViewStore.open(None, tmp_path / "chunked")
    views.install(CaseBoard())
    history.propose()
    (proposed,) = history.envelopes()
    poison = poison_event(proposed)
    later = [history.propose() for _ in range(3)]
    shifted = [
        envelope.model_copy(update={"position": poison.position + offset})
        for offset, envelope in enumerate(history.envelopes(proposed.position), start=1)
    ]
    for envelope in (proposed, poison, *shifted):  # fetched together: chunks [proposed, poison], [1, 2], [3]
        await publish(js, envelope)
    async with running(js, views) as projector:
        assert await projector.wait_for(shifted[-1].position, timeout=20)
    (letter,) = dead_letters(views)
    assert letter["position"] == poison.position
    assert all(get_case(views, case_id) is not None for case_id in later)
    views.close()
