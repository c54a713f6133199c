"""The inbox's crash window: the node dies after a message's command committed and before the sender's
sequence was advanced (the fault is injected at the sequence mark), then restarts over the same store and
views DB and is offered the message again, as JetStream redelivers an unacknowledged one."""

from __future__ import annotations

from uuid import UUID

import pytest

from ducha.federation import state
from ducha.federation.contracts import TaskAccepted, ActorRef
from ducha.federation.inbox import Verdict
from tests.federation.builders import CITY, CITY_OFFICE, COUNTY, COUNTY_UNIT, DAY, DEADLINE, child_spec, message, progress
from tests.federation.stores import level_store, pg_schemas  # noqa: F401 (SQLite and PostgreSQL)


class Crash(BaseException):
    """The process dies here: nothing after this point runs."""


async def county_child(city) -> UUID:
    """Changchun registers a task and decomposes it to Nanguan (a unit the county node serves)."""
    tasks = city.node.tasks
    root = await tasks.register(
        CITY_OFFICE, title="新增城镇就业", source="work-report", responsible_unit="220100-JYJ",
        responsible_person="经办", responsible_leader="领导", deadline=DEADLINE, standard="新增就业2万人",
    )
    _, (child,) = await tasks.decompose(CITY_OFFICE, root.aggregate.id, children=[child_spec(COUNTY)])
    return child


async def handle(level, signed) -> Verdict:
    return await level.inbox.handle(signed.model_dump_json().encode(), signed.subject)


def restart(level, make_level):
    """The node stops (its writer, views and store closed) and a new one starts over the same files or schema."""
    level.node.writer.stop()
    level.node.views.close()
    level.node.app.close()
    return make_level(CITY, [COUNTY], level.node.settings.store_url)


def progress_events(level, task_id: UUID) -> list[float]:
    return [e.payload["percent"] for e in level.node.reader.envelopes(0, 10_000)
            if e.aggregate_id == task_id and e.type == "ProgressReported"]


def last_seq(level) -> int:
    with level.node.views.transaction() as tx:
        return state.last_applied(tx, COUNTY)[0]


@pytest.fixture
async def crashed(make_level, keys, monkeypatch, level_store):  # noqa: F811
    """Changchun accepted message 1 from Nanguan, then crashed applying message 2 (progress 40%) right after
    its command committed: (the restarted city, the child task, message 2, message 3)."""
    city = make_level(CITY, [COUNTY], level_store())
    child = await county_child(city)
    accepted = TaskAccepted(task_id=child, actor=ActorRef(**COUNTY_UNIT.as_dict()), on=DAY)
    first = message(accepted, sender=COUNTY, receiver=CITY, seq=1, key=keys[COUNTY])
    second = message(progress(child, 40), sender=COUNTY, receiver=CITY, seq=2, key=keys[COUNTY])
    third = message(progress(child, 60), sender=COUNTY, receiver=CITY, seq=3, key=keys[COUNTY])
    assert await handle(city, first) is Verdict.APPLIED

    def crash(*_args, **_kwargs) -> None:
        raise Crash

    with monkeypatch.context() as patch:
        patch.setattr(state, "mark_applied", crash)
        with pytest.raises(Crash):
            await handle(city, second)
    assert (progress_events(city, child), last_seq(city)) == ([40.0], 1)  # the command committed, the mark did not
    return restart(city, make_level), child, second, third


async def test_a_message_redelivered_after_a_crash_before_its_sequence_mark_has_one_effect(crashed):
    city, child, second, _ = crashed

    verdict = await handle(city, second)

    assert (verdict, progress_events(city, child)) == (Verdict.APPLIED, [40.0])


async def test_the_redelivered_message_advances_the_senders_sequence(crashed):
    city, _, second, _ = crashed

    await handle(city, second)

    assert last_seq(city) == 2


async def test_the_next_message_after_the_crash_is_applied_without_a_gap(crashed):
    city, child, second, third = crashed
    await handle(city, second)

    verdict = await handle(city, third)

    assert (verdict, progress_events(city, child)) == (Verdict.APPLIED, [40.0, 60.0])


async def test_the_redelivered_message_is_not_dead_lettered(crashed):
    city, _, second, _ = crashed

    await handle(city, second)

    assert state.dead_letters(city.node.views) == []


async def test_a_crash_before_the_command_commits_leaves_the_message_to_be_applied_on_redelivery(
    make_level, keys, level_store,  # noqa: F811
):
    city = make_level(CITY, [COUNTY], level_store())
    child = await county_child(city)
    accepted = TaskAccepted(task_id=child, actor=ActorRef(**COUNTY_UNIT.as_dict()), on=DAY)
    first = message(accepted, sender=COUNTY, receiver=CITY, seq=1, key=keys[COUNTY])
    save = city.node.writer._save

    def crash(*_args, **_kwargs):
        raise OSError("disk gone")

    city.node.writer._save = crash
    with pytest.raises(OSError):
        await handle(city, first)
    city.node.writer._save = save
    city = restart(city, make_level)

    verdict = await handle(city, first)

    assert (verdict, last_seq(city)) == (Verdict.APPLIED, 1)
