"""Decomposition (分解) into child tasks for lower units, the node a child is for, and the roll-up of the
children's progress to the parent (weighted, else the plain average)."""

from __future__ import annotations

import pytest

from domain.errors import ActNotAllowed, InvalidCommand, UnknownUnit, WrongState
from domain.ledger_tree import roll_up, serving_node
from tests.domain.given import NOW, OFFICE, REGISTRY, TARGET, D
from tests.domain.given_ledger import CLOCK, DISTRICT, NODE_OF, accepted, child, decomposed, registered


def decompose(task, *specs, actor=TARGET, node_of=NODE_OF):
    return task.decompose(actor=actor, on=D("2025-03-10"), now=NOW, registry=REGISTRY, node_of=node_of, children=list(specs))


# ---- roll_up --------------------------------------------------------------------------


def test_roll_up_is_weighted_by_the_childrens_weights():
    assert roll_up([(100.0, 3.0), (0.0, 1.0)]) == 75.0


def test_roll_up_without_weights_is_the_plain_average():
    assert roll_up([(100.0, None), (0.0, None)]) == 50.0


def test_roll_up_of_no_children_is_zero():
    assert roll_up([]) == 0.0


# ---- decomposition --------------------------------------------------------------------


def test_children_are_tasks_of_their_own_with_the_parents_id():
    parent, children = decomposed(child("220102"), child("220103"))
    assert [c.parent_id for c in children] == [str(parent.id)] * 2


def test_parent_records_its_children_with_units_and_weights():
    parent, _ = decomposed(child("220102", 2.0), child("220103", 1.0))
    listed = parent.collect_events()[-1].children
    assert [(c["unit"], c["weight"]) for c in listed] == [("220102", 2.0), ("220103", 1.0)]


def test_children_are_verified_by_the_office_of_the_parents_responsible_unit():
    _, children = decomposed(child("220102"))
    assert children[0].level == "220100"


def test_child_for_a_unit_another_node_serves_is_marked_for_that_node():
    parent = accepted(milestones=[])
    children = decompose(parent, child("220102"), node_of=serving_node(REGISTRY, {"220000", "220100", "220102"}))
    assert children[0].remote_node == "220102"


def test_child_for_a_unit_this_node_serves_is_not_marked():
    _, children = decomposed(child("220103"))
    assert children[0].remote_node is None


def test_no_running_node_serving_a_unit_is_an_error():
    with pytest.raises(UnknownUnit):
        serving_node(REGISTRY, {"220200"})("220102")


def test_responsible_unit_decomposes_only_once_it_accepted():
    with pytest.raises(WrongState):
        decompose(registered(milestones=[]), child("220102"))


def test_assigning_office_may_decompose_before_acceptance():
    task = registered(milestones=[])
    assert len(decompose(task, child("220102"), actor=OFFICE)) == 1


def test_another_unit_does_not_decompose_the_task():
    with pytest.raises(ActNotAllowed):
        decompose(accepted(milestones=[]), child("220103"), actor=DISTRICT)


def test_task_is_decomposed_once():
    parent, _ = decomposed(child("220102"))
    with pytest.raises(WrongState):
        decompose(parent, child("220103"))


def test_child_outside_the_responsible_units_jurisdiction_is_refused():
    with pytest.raises(ActNotAllowed):
        decompose(accepted(milestones=[]), child("220202"))


def test_child_deadline_later_than_the_parents_is_refused():
    with pytest.raises(InvalidCommand):
        decompose(accepted(milestones=[]), child("220102", deadline=D("2026-01-31")))


def test_weights_given_to_some_children_only_are_refused():
    with pytest.raises(InvalidCommand):
        decompose(accepted(milestones=[]), child("220102", 2.0), child("220103"))


def test_one_unit_gets_one_child():
    with pytest.raises(InvalidCommand):
        decompose(accepted(milestones=[]), child("220102"), child("220102"))


def test_child_for_the_responsible_unit_itself_is_refused():
    with pytest.raises(InvalidCommand):
        decompose(accepted(milestones=[]), child("220100"))


# ---- roll-up to the parent -------------------------------------------------------------


def test_childs_progress_rolls_up_to_the_parent_weighted():
    parent, children = decomposed(child("220102", 3.0), child("220103", 1.0))
    parent.roll_up_child(actor=DISTRICT, on=D("2025-04-01"), now=NOW, child_id=str(children[0].id), percent=100)
    assert parent.percent == 75.0


def test_childs_progress_rolls_up_to_the_parent_as_the_plain_average():
    parent, children = decomposed(child("220102"), child("220103"))
    parent.roll_up_child(actor=DISTRICT, on=D("2025-04-01"), now=NOW, child_id=str(children[0].id), percent=40)
    assert parent.percent == 20.0


def test_decomposed_task_takes_no_progress_report_of_its_own():
    parent, _ = decomposed(child("220102"))
    with pytest.raises(WrongState):
        parent.report_progress(actor=TARGET, on=D("2025-04-01"), now=NOW, percent=10, narrative="x")


def test_roll_up_from_a_task_that_is_no_child_is_refused():
    parent, _ = decomposed(child("220102"))
    with pytest.raises(InvalidCommand):
        parent.roll_up_child(actor=CLOCK, on=D("2025-04-01"), now=NOW, child_id="not-a-child", percent=10)


def test_parent_completion_waits_for_every_child_verified():
    parent, children = decomposed(child("220102"))
    parent.roll_up_child(actor=DISTRICT, on=D("2025-04-01"), now=NOW, child_id=str(children[0].id), percent=100)
    with pytest.raises(WrongState):
        parent.claim_completion(actor=TARGET, on=D("2025-11-20"), now=NOW, summary="完成")


def test_parent_completion_is_claimed_once_every_child_is_verified():
    parent, children = decomposed(child("220102"))
    parent.roll_up_child(actor=DISTRICT, on=D("2025-11-10"), now=NOW, child_id=str(children[0].id), percent=100, done=True)
    parent.claim_completion(actor=TARGET, on=D("2025-11-20"), now=NOW, summary="完成")
    assert parent.state.value == "claimed"


def test_a_child_verified_below_one_hundred_percent_is_refused():
    parent, children = decomposed(child("220102"))
    with pytest.raises(InvalidCommand):
        parent.roll_up_child(actor=DISTRICT, on=D("2025-11-10"), now=NOW, child_id=str(children[0].id), percent=80, done=True)


def test_child_task_is_accepted_by_its_own_unit():
    _, children = decomposed(child("220102"))
    children[0].accept(actor=DISTRICT, on=D("2025-03-11"), now=NOW)
    assert children[0].state.value == "accepted"
