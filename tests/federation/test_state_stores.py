"""The federation's tables (ducha/federation/state.py) on both view stores: SQLite files and PostgreSQL (a schema per
level; skipped with the reason when no PostgreSQL is reachable, a failure under DUCHA_REQUIRE_POSTGRES)."""

from __future__ import annotations

from datetime import datetime

from ducha.federation import state
from ducha.federation.contracts import SignedMessage
from ducha.federation.inbox import Verdict
from tests.federation.builders import CITY, COUNTY, PROVINCE, PROVINCE_OFFICE, DEADLINE, assignment, child_spec, message
from tests.federation.stores import level_store, pg_schemas  # noqa: F401 (SQLite and PostgreSQL)


async def handle(level, signed: SignedMessage) -> Verdict:
    return await level.inbox.handle(signed.model_dump_json().encode(), signed.subject)


def rows(level, sql: str) -> list[dict]:
    with level.node.views.read() as tx:
        return tx.query(sql)


def test_installing_the_tables_again_keeps_their_rows(make_level, level_store):  # noqa: F811
    city = make_level(CITY, [COUNTY], level_store())
    with city.node.views.transaction() as tx:
        state.mark_applied(tx, PROVINCE, 3, "m3")

    state.install(city.node.views)

    with city.node.views.read() as tx:
        assert state.last_applied(tx, PROVINCE) == (3, "m3")


def test_a_dead_letter_table_made_before_it_had_a_time_gets_the_column(make_level, level_store):  # noqa: F811
    city = make_level(CITY, [COUNTY], level_store())
    with city.node.views.transaction() as tx:
        tx.execute("DROP TABLE fed_dead")
        tx.execute("CREATE TABLE fed_dead (message_id TEXT, sender TEXT, subject TEXT, reason TEXT NOT NULL, data TEXT NOT NULL)")
        tx.execute("INSERT INTO fed_dead VALUES ('old', ?, 'ducha.220000.msg.220100.TaskAssigned', 'unsigned', '{}')", (PROVINCE,))

    state.install(city.node.views)
    with city.node.views.transaction() as tx:
        state.dead_letter(tx, message_id="new", sender=PROVINCE, subject="s", reason="bad signature", data="{}")

    assert {(d["message_id"], d["at"] is None) for d in state.dead_letters(city.node.views)} == {("old", True), ("new", False)}


async def test_messages_apply_in_order_and_a_replay_changes_nothing(make_level, keys, level_store):  # noqa: F811
    city = make_level(CITY, [COUNTY], level_store())
    first, second = (message(assignment(), sender=PROVINCE, receiver=CITY, seq=n, key=keys[PROVINCE]) for n in (1, 2))

    verdicts = [await handle(city, m) for m in (second, first, second, first)]

    assert verdicts == [Verdict.WAIT, Verdict.APPLIED, Verdict.APPLIED, Verdict.REPLAY]
    assert rows(city, "SELECT sender, last_seq, last_id FROM fed_inbox") == [
        {"sender": PROVINCE, "last_seq": 2, "last_id": second.message_id}
    ]


async def test_a_dead_letter_is_stored_with_its_time(make_level, keys, level_store):  # noqa: F811
    city = make_level(CITY, [COUNTY], level_store())
    forged = message(assignment(), sender=PROVINCE, receiver=CITY, key=keys[COUNTY])

    await handle(city, forged)

    (letter,) = state.dead_letters(city.node.views)
    assert (letter["sender"], letter["contract"], letter["reason"]) == (PROVINCE, "TaskAssigned", "bad signature")
    assert datetime.fromisoformat(letter["at"]).tzinfo is not None


async def test_the_outbox_sequences_its_messages_and_tracks_its_position(make_level, level_store):  # noqa: F811
    province = make_level(PROVINCE, [CITY], level_store())
    tasks = province.node.tasks
    for _ in range(2):
        root = await tasks.register(
            PROVINCE_OFFICE, title="新增城镇就业", source="work-report", responsible_unit="220000-FGW",
            responsible_person="经办", responsible_leader="领导", deadline=DEADLINE, standard="新增就业10万人",
        )
        await tasks.decompose(PROVINCE_OFFICE, root.aggregate.id, children=[child_spec(CITY)])

    province.outbox.collect()
    province.outbox.collect()

    sent = rows(province, "SELECT receiver, seq, message_id FROM fed_outbox ORDER BY seq")
    assert [(r["receiver"], r["seq"]) for r in sent] == [(CITY, 1), (CITY, 2)]
    assert rows(province, "SELECT position FROM fed_out_tracking") == [{"position": province.node.reader.last_position()}]
    assert len(rows(province, "SELECT task_id FROM fed_tasks WHERE remote = '220100'")) == 2


async def test_an_assignment_from_above_is_remembered_with_its_origin(make_level, keys, level_store):  # noqa: F811
    city = make_level(CITY, [COUNTY], level_store())
    contract = assignment()
    await handle(city, message(contract, sender=PROVINCE, receiver=CITY, key=keys[PROVINCE]))

    city.outbox.collect()

    assert rows(city, "SELECT task_id, origin, remote FROM fed_tasks") == [
        {"task_id": str(contract.task_id), "origin": PROVINCE, "remote": None}
    ]
