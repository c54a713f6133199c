"""The due-items view (到期事项) that points the clock at cases: what it records of each due item."""

from __future__ import annotations

from uuid import UUID

from domain.actor import Actor, Role
from ducha.bootstrap import Node
from projections.due_items import due_cases, items_of
from tests.handlers.clock_given import CHANGCHUN, OFFICE, D, built, feed, overdue_case, tick

__all__ = ["built"]  # the fixture


def item(node: Node, case: UUID, name: str) -> dict:
    feed(node)
    return next(row for row in items_of(node.views, str(case)) if row["item"] == name)


async def test_a_requirement_is_due_on_its_deadline(built: Node):
    case = await overdue_case(built)
    assert (item(built, case, "r1")["due_on"], item(built, case, "r1")["done"]) == ("2026-09-30", 0)


async def test_a_review_is_due_on_its_decision_day(built: Node):
    case = await overdue_case(built)
    assert item(built, case, "220200")["due_on"] == "2026-10-10"


async def test_the_requirements_under_review_wait(built: Node):
    case = await overdue_case(built)
    assert item(built, case, "r2")["waiting"] == 1


async def test_the_view_records_when_the_clock_marked_and_urged(built: Node, clock):
    case = await overdue_case(built)
    await tick(built)
    row = item(built, case, "r1")
    assert (row["overdue_on"], row["urged_on"]) == (clock.now().date().isoformat(),) * 2


async def test_a_verified_requirement_is_done(built: Node):
    case = await overdue_case(built)
    await built.cases.run("complete-rectification", CHANGCHUN, case, on=D("2026-09-20"), requirement_id="r1", summary="已开工")
    await built.cases.run("verify-rectification", OFFICE, case, on=D("2026-09-25"), requirement_id="r1")
    assert item(built, case, "r1")["done"] == 1


async def test_an_amending_review_waives_dropped_requirements_and_opens_the_new_ones(built: Node):
    case = await overdue_case(built)
    reviewer = Actor("220000", Role.GOVERNMENT, "办公厅赵")  # took no part in the conclusion
    await built.cases.run(
        "decide-review", reviewer, case, on=D("2026-09-30"), target="220200", outcome="amended", grounds="部分采纳",
        requirements=[{"id": "r3", "text": "明年一季度完善制度", "deadline": "2027-03-31"}],
    )
    assert (item(built, case, "r2")["done"], item(built, case, "r3")["done"], item(built, case, "r3")["waiting"]) == (1, 0, 0)


async def test_the_clock_is_pointed_only_at_cases_with_something_newly_due(built: Node, clock):
    case = await overdue_case(built)
    feed(built)
    assert due_cases(built.views, clock.now().date(), built.policy.urging_interval_days) == [str(case)]
    await tick(built)
    feed(built)
    assert due_cases(built.views, clock.now().date(), built.policy.urging_interval_days) == []
