"""The outbox: a decomposition for another node's unit becomes a signed, sequenced assignment; events on a
task assigned from above become reports to the assigning node; nothing is made twice."""

from __future__ import annotations

from uuid import UUID

from ducha.federation.contracts import SignedMessage
from tests.federation.builders import CITY, CITY_UNIT, COUNTY, PROVINCE, PROVINCE_OFFICE, child_spec, DEADLINE


def outbox(level) -> list[SignedMessage]:
    with level.node.views.transaction() as tx:
        rows = tx.query("SELECT data FROM fed_outbox ORDER BY receiver, seq")
    return [SignedMessage.model_validate_json(row["data"]) for row in rows]


async def assign(level, *units: str) -> None:
    tasks = level.node.tasks
    root = await tasks.register(
        PROVINCE_OFFICE, title="新增城镇就业", source="work-report", responsible_unit="220000-FGW",
        responsible_person="经办", responsible_leader="领导", deadline=DEADLINE, standard="新增就业10万人",
    )
    await tasks.decompose(PROVINCE_OFFICE, root.aggregate.id, children=[child_spec(unit) for unit in units])


async def test_a_child_for_another_nodes_unit_becomes_a_signed_assignment_to_that_node(make_level, keys):
    province = make_level(PROVINCE, [CITY])
    await assign(province, CITY)

    province.outbox.collect()

    (sent,) = outbox(province)
    assert (sent.receiver, sent.body["name"], sent.subject) == (CITY, "TaskAssigned", f"ducha.{PROVINCE}.msg.{CITY}.TaskAssigned")
    province.inbox.trust.check_signed(sent)  # raises unless signed with the province's key


async def test_messages_to_one_receiver_are_chained_by_sequence_and_previous_id(make_level):
    province = make_level(PROVINCE, [CITY])
    await assign(province, CITY)
    await assign(province, CITY)

    province.outbox.collect()

    first, second = outbox(province)
    assert (first.seq, first.previous, second.seq, second.previous) == (1, None, 2, first.message_id)


async def test_collecting_again_makes_no_second_message(make_level):
    province = make_level(PROVINCE, [CITY])
    await assign(province, CITY)
    province.outbox.collect()

    province.outbox.collect()

    assert len(outbox(province)) == 1


async def test_a_child_for_a_unit_this_node_serves_stays_here(make_level):
    province = make_level(PROVINCE, [])  # no child nodes: the province serves Changchun itself
    await assign(province, CITY)

    province.outbox.collect()

    assert outbox(province) == []


async def test_acceptance_of_a_task_assigned_from_above_is_reported_up(make_level, keys):
    city, province = make_level(CITY, [COUNTY]), make_level(PROVINCE, [CITY])
    await assign(province, CITY)
    province.outbox.collect()
    (assigned,) = outbox(province)
    await city.inbox.handle(assigned.model_dump_json().encode(), assigned.subject)
    await city.node.tasks.run("accept", CITY_UNIT, UUID(assigned.body["task_id"]))

    city.outbox.collect()

    (report,) = outbox(city)
    assert (report.receiver, report.body["name"], report.body["task_id"]) == (PROVINCE, "TaskAccepted", assigned.body["task_id"])
