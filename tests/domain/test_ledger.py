"""A ledger task (工作台账): registration, acceptance (承办), progress with evidence, milestones, the claim and
its verification or return (照单验收), overdue and urging (催办), the light's review and its warning, closing."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest

from domain.errors import ActDateInvalid, ActNotAllowed, InvalidCommand, UnknownUnit, WrongState
from domain.ledger import Task, TaskSource, TaskState
from domain.lights import Light
from domain.policy import Policy
from tests.domain.given import CALENDAR, CTX, DEPARTMENT, LEADER, NOW, OFFICE, OTHER_TARGET, POLICY, TARGET, D, events
from tests.domain.given_ledger import CITY_OFFICE, CLOCK, HANDLER, LEADER_NAME, accepted, at, claimed, registered, verified

EVIDENCE = [{"digest": "sha256:ab12", "title": "就业台账"}]


def report(task, percent=30, on=D("2025-04-01"), actor=TARGET, evidence=EVIDENCE):
    task.report_progress(actor=actor, on=on, now=NOW, percent=percent, narrative="新增就业六千人", evidence=evidence)


def register(**overrides):
    fields = dict(
        task_id=uuid4(), actor=OFFICE, on=D("2025-03-03"), title="新增城镇就业", source=TaskSource.WORK_REPORT,
        responsible_unit="220100", responsible_person=HANDLER, responsible_leader=LEADER_NAME, deadline=D("2025-12-31"),
        standard="新增就业2万人",
    )
    return Task.register(**{**fields, **overrides}, **CTX)


# ---- registration ---------------------------------------------------------------------


def test_task_is_registered_with_its_responsible_unit_standard_and_deadline():
    task = registered()
    assert (task.state, task.responsible_unit, task.deadline) == (TaskState.REGISTERED, "220100", D("2025-12-31"))


def test_task_is_registered_only_by_the_office_or_the_government():
    with pytest.raises(ActNotAllowed):
        register(actor=DEPARTMENT)


def test_task_for_a_unit_outside_the_jurisdiction_is_refused():
    with pytest.raises(ActNotAllowed):
        register(actor=CITY_OFFICE, responsible_unit="220200")


def test_task_for_an_unknown_unit_is_refused():
    with pytest.raises(UnknownUnit):
        register(responsible_unit="999999")


def test_task_without_a_standard_is_refused():
    with pytest.raises(InvalidCommand):
        register(standard=" ")


def test_task_deadline_must_follow_its_registration():
    with pytest.raises(InvalidCommand):
        register(deadline=D("2025-03-03"))


def test_milestone_after_the_deadline_is_refused():
    with pytest.raises(InvalidCommand):
        register(milestones=[{"id": "m1", "title": "x", "due": D("2026-01-10"), "percent": 50}])


def test_later_milestone_expecting_less_than_an_earlier_one_is_refused():
    milestones = [
        {"id": "m1", "title": "a", "due": D("2025-06-30"), "percent": 60},
        {"id": "m2", "title": "b", "due": D("2025-09-30"), "percent": 40},
    ]
    with pytest.raises(InvalidCommand):
        register(milestones=milestones)


def test_responsible_unit_cannot_also_be_a_supporting_unit():
    with pytest.raises(InvalidCommand):
        register(supporting_units=["220100"])


def test_task_cannot_be_registered_on_a_future_date():
    with pytest.raises(ActDateInvalid):
        register(on=NOW.date() + timedelta(days=1))


# ---- acceptance and progress ----------------------------------------------------------


def test_responsible_unit_accepts_the_task():
    task = registered()
    task.accept(actor=TARGET, on=D("2025-03-05"), now=NOW)
    assert events(task)[-1] == "TaskAccepted"


def test_a_supporting_unit_does_not_accept_the_task():
    with pytest.raises(ActNotAllowed):
        registered().accept(actor=DEPARTMENT, on=D("2025-03-05"), now=NOW)


def test_task_is_accepted_once():
    with pytest.raises(WrongState):
        accepted().accept(actor=TARGET, on=D("2025-03-06"), now=NOW)


def test_progress_is_not_reported_before_acceptance():
    with pytest.raises(WrongState):
        report(registered())


def test_progress_report_carries_percent_narrative_and_evidence():
    task = accepted()
    report(task, percent=30)
    event = task.collect_events()[-1]
    assert (event.percent, event.evidence, task.percent) == (30.0, EVIDENCE, 30.0)


def test_progress_outside_zero_to_hundred_is_refused():
    with pytest.raises(InvalidCommand):
        report(accepted(), percent=101)


def test_evidence_without_its_digest_is_refused():
    with pytest.raises(InvalidCommand):
        report(accepted(), evidence=[{"digest": "", "title": "台账"}])


def test_progress_is_reported_by_the_responsible_unit_only():
    with pytest.raises(ActNotAllowed):
        report(accepted(), actor=OTHER_TARGET)


def test_progress_report_cannot_be_dated_before_the_last_one():
    task = accepted()
    report(task, on=D("2025-04-01"))
    with pytest.raises(ActDateInvalid):
        report(task, on=D("2025-03-31"))


def test_progress_may_be_reported_more_often_than_the_cycle():
    task = accepted()
    report(task, on=D("2025-04-01"))
    report(task, percent=35, on=D("2025-04-02"))
    assert task.percent == 35.0


def test_next_report_is_due_one_policy_cycle_after_the_last():
    task = accepted()
    report(task, on=D("2025-04-01"))
    assert task.report_due(Policy(progress_report_cycle_days=30)) == D("2025-05-01")


def test_first_report_is_due_one_cycle_after_acceptance():
    assert accepted().report_due(POLICY) == D("2025-04-04")


def test_milestone_is_reached_once():
    task = accepted()
    task.reach_milestone(actor=TARGET, on=D("2025-06-20"), now=NOW, milestone_id="m1")
    with pytest.raises(WrongState):
        task.reach_milestone(actor=TARGET, on=D("2025-06-21"), now=NOW, milestone_id="m1")


def test_unknown_milestone_is_refused():
    with pytest.raises(InvalidCommand):
        accepted().reach_milestone(actor=TARGET, on=D("2025-06-20"), now=NOW, milestone_id="m9")


# ---- claim, verification, return, closing ---------------------------------------------


def test_completion_cannot_be_claimed_with_a_milestone_unreached():
    with pytest.raises(WrongState):
        accepted().claim_completion(actor=TARGET, on=D("2025-11-20"), now=NOW, summary="完成")


def test_claimed_task_is_verified_by_the_assigning_office():
    task = claimed()
    task.verify(actor=OFFICE, on=D("2025-11-25"), **CTX)
    assert (task.state, task.percent) == (TaskState.VERIFIED, 100.0)


def test_claimed_task_is_not_verified_by_another_levels_office():
    with pytest.raises(ActNotAllowed):
        claimed().verify(actor=CITY_OFFICE, on=D("2025-11-25"), **CTX)


def test_task_not_claimed_cannot_be_verified():
    with pytest.raises(WrongState):
        accepted().verify(actor=OFFICE, on=D("2025-11-25"), **CTX)


def test_verification_cannot_precede_the_claim():
    with pytest.raises(ActDateInvalid):
        claimed().verify(actor=OFFICE, on=D("2025-11-19"), **CTX)


def test_returned_task_goes_back_to_work():
    task = claimed()
    task.return_task(actor=OFFICE, on=D("2025-11-25"), reason="就业数据未核实", **CTX)
    assert task.state is TaskState.ACCEPTED


def test_return_without_a_reason_is_refused():
    with pytest.raises(InvalidCommand):
        claimed().return_task(actor=OFFICE, on=D("2025-11-25"), reason=" ", **CTX)


def test_verified_task_is_closed_by_the_assigning_office():
    task = verified()
    task.close(actor=OFFICE, on=D("2025-11-26"), **CTX)
    assert task.state is TaskState.CLOSED


def test_task_not_verified_cannot_be_closed():
    with pytest.raises(WrongState):
        claimed().close(actor=OFFICE, on=D("2025-11-26"), **CTX)


# ---- the clock: overdue, urging, lights ----------------------------------------------


def test_open_task_past_its_deadline_is_marked_overdue():
    task = accepted()
    assert task.mark_overdue(actor=CLOCK, now=at(D("2026-01-01"))) is True
    assert events(task)[-1] == "TaskOverdue"


def test_task_is_marked_overdue_once():
    task = accepted()
    task.mark_overdue(actor=CLOCK, now=at(D("2026-01-01")))
    assert task.mark_overdue(actor=CLOCK, now=at(D("2026-01-02"))) is False


def test_task_is_not_overdue_on_its_deadline_day():
    assert accepted().mark_overdue(actor=CLOCK, now=at(D("2025-12-31"))) is False


def test_claimed_task_is_not_marked_overdue():
    assert claimed().mark_overdue(actor=CLOCK, now=at(D("2026-01-01"))) is False


def test_office_urges_the_responsible_unit():
    task = accepted()
    task.urge(actor=OFFICE, on=D("2025-07-01"), policy=POLICY, message="请加快进度", **CTX)
    assert task.collect_events()[-1].target == "220100"


def test_task_is_not_urged_again_within_the_urging_interval():
    task = accepted()
    task.urge(actor=OFFICE, on=D("2025-07-01"), policy=POLICY, message="请加快进度", **CTX)
    with pytest.raises(InvalidCommand):
        task.urge(actor=OFFICE, on=D("2025-07-05"), policy=POLICY, message="再催", **CTX)


def test_only_the_assigning_office_urges():
    with pytest.raises(ActNotAllowed):
        accepted().urge(actor=LEADER, on=D("2025-07-01"), policy=POLICY, message="请加快进度", **CTX)


def review(task, day):
    return task.review_light(actor=CLOCK, now=at(day), calendar=CALENDAR, policy=POLICY)


def test_light_turning_red_warns_the_responsible_leader_and_the_handler():
    task = accepted()
    review(task, D("2025-07-01"))  # milestone m1 (30 June) unreached
    warning = task.collect_events()[-1]
    assert (type(warning).__name__, warning.light, warning.recipients) == ("TaskWarningRaised", "red", [LEADER_NAME, HANDLER])


def test_light_change_is_recorded_with_the_previous_light():
    task = accepted()
    review(task, D("2025-07-01"))
    changed = task.collect_events()[-2]
    assert (type(changed).__name__, changed.previous, changed.light) == ("LightChanged", "green", "red")


def test_light_review_records_nothing_when_the_light_did_not_change():
    task = accepted()
    review(task, D("2025-07-01"))
    task.collect_events()
    assert review(task, D("2025-07-02")) is None and events(task) == []


def test_light_returning_to_green_raises_no_warning():
    task = accepted()
    task.reach_milestone(actor=TARGET, on=D("2025-06-20"), now=NOW, milestone_id="m1")
    report(task, percent=30, on=D("2025-06-20"))
    review(task, D("2025-07-01"))  # behind the milestone's 50%: yellow
    report(task, percent=60, on=D("2025-07-01"))
    task.collect_events()
    review(task, D("2025-07-02"))
    assert events(task) == ["LightChanged"]


def test_light_turning_yellow_warns_as_well():
    task = accepted()
    task.reach_milestone(actor=TARGET, on=D("2025-06-20"), now=NOW, milestone_id="m1")
    report(task, percent=30, on=D("2025-06-20"))
    task.collect_events()
    review(task, D("2025-07-01"))
    assert events(task) == ["LightChanged", "TaskWarningRaised"]


def test_light_of_a_claimed_task_is_not_reviewed():
    assert review(claimed(), D("2026-01-05")) is None


def test_light_is_green_when_registered():
    assert registered().light is Light.GREEN


def test_clock_urges_an_overdue_task():
    task = accepted()
    task.mark_overdue(actor=CLOCK, now=at(D("2026-01-01")))
    assert task.urge_overdue(actor=CLOCK, now=at(D("2026-01-01")), registry=CTX["registry"], policy=POLICY) is True


def test_clock_does_not_urge_a_task_that_is_not_overdue():
    assert accepted().urge_overdue(actor=CLOCK, now=at(D("2025-07-01")), registry=CTX["registry"], policy=POLICY) is False


def test_clock_does_not_urge_again_within_the_urging_interval():
    task = accepted()
    task.mark_overdue(actor=CLOCK, now=at(D("2026-01-01")))
    task.urge_overdue(actor=CLOCK, now=at(D("2026-01-01")), registry=CTX["registry"], policy=POLICY)
    assert task.urge_overdue(actor=CLOCK, now=at(D("2026-01-05")), registry=CTX["registry"], policy=POLICY) is False
