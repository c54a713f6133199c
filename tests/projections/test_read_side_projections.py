"""The case history, accountability and comparison projections fold the story's events; every view of
the read side rebuilds to the digest of the live one."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import uuid4

import pytest

from domain.actor import Actor, Role
from domain.lead import Lead
from projections.accountability import Accountability, records
from projections.base import apply_batch, digest, rebuild
from projections.case_board import CaseBoard
from projections.case_history import CaseHistory, history_of
from projections.comparison import Comparison, comparison_of
from tests.projections.story import TARGET, run_story, run_step

READ_SIDE = (CaseBoard, CaseHistory, Accountability, Comparison)


@pytest.fixture
def fold(history, views):
    """Folds the whole history into a fresh projection of the given class and answers it."""

    def run(factory):
        projection = factory()
        views.install(projection)
        apply_batch(views, projection, history.envelopes())
        return projection

    return run


def _submit_lead(history, informant):
    lead_id = uuid4()
    history.writer.execute_sync(None, lambda _: Lead.submit(
        lead_id=lead_id, actor=Actor("220000", Role.PUBLIC, "匿名"), on=date(2026, 11, 20),
        now=datetime(2026, 11, 25, 2, tzinfo=UTC), level="220000", receipt_code="R7X2K9QW", channel="platform",
        content="补贴未发放", about_unit="220100", informant=informant,
    ))
    return lead_id


def test_history_keeps_every_event_with_its_actor_day_and_version(history, views, fold):
    case_id = run_story(history, "delivered")
    fold(CaseHistory)

    events = history_of(views, case_id)

    assert [e["version"] for e in events] == list(range(1, len(events) + 1))
    assert events[1]["type"] == "CaseApproved"
    assert (events[1]["actor"]["role"], events[1]["occurred_on"]) == ("leader", "2026-11-03")


def test_history_says_which_target_a_requirement_event_concerns(history, views, fold):
    case_id = run_story(history, "verified")
    fold(CaseHistory)

    verified = [e for e in history_of(views, case_id) if e["type"] == "RectificationVerified"]

    assert verified[0]["concerns"] == ["220100"]


def test_history_never_keeps_who_gave_a_lead(history, views, fold):
    lead_id = _submit_lead(history, {"name": "张三", "phone": "13800000000"})
    fold(CaseHistory)

    [submitted] = history_of(views, lead_id, "lead")

    assert "informant" not in submitted["payload"]
    assert "张三" not in str(submitted) and "13800000000" not in str(submitted)


def test_a_proposal_is_proposed_until_approved(history, views, fold):
    run_story(history, "results")
    fold(Accountability)

    commendation = [r for r in records(views, unit="220200") if r["record_id"] == "p2"]

    assert (commendation[0]["state"], commendation[0]["kind"]) == ("proposed", "commendation")


def test_fault_tolerance_excuses_an_approved_criticism(history, views, fold):
    run_story(history, "results")
    fold(Accountability)

    [criticism] = [r for r in records(views, unit="220100") if r["record_id"] == "p1"]

    assert (criticism["state"], criticism["approved_on"], criticism["excused_on"]) == ("excused", "2026-11-21", "2026-11-24")


def test_a_referral_names_the_authority(history, views, fold):
    run_story(history, "results")
    fold(Accountability)

    [referral] = records(views, person="长春市某")

    assert (referral["kind"], referral["state"], referral["authority"]) == ("accountability", "approved", "市监委")


def test_a_deduction_is_recorded_with_its_points_and_case(history, views, fold):
    case_id = run_story(history, "results")
    fold(Accountability)

    [deduction] = [r for r in records(views, unit="220100") if r["kind"] == "performance-deduction"]

    assert (deduction["points"], deduction["period"], deduction["case_id"]) == (2.0, "2026", str(case_id))
    assert deduction["case_title"] == "稳就业任务落实"


def test_comparison_puts_self_inspection_finding_and_evaluation_side_by_side(history, views, fold):
    case_id = run_story(history, "worked")
    fold(Comparison)

    [target] = comparison_of(views, str(case_id))
    subsidy = next(i for i in target["items"] if i["item"] == "补贴")

    assert subsidy["self_inspection"]["text"] == "已发放"
    assert [f["text"] for f in subsidy["findings"]] == ["发放滞后"]
    assert subsidy["evaluations"]["220000-CBS"]["text"] == "部分滞后"


def test_a_later_self_inspection_replaces_the_earlier(history, views, fold):
    case_id = run_story(history, "worked")
    run_step(history, case_id, "submit-self-inspection", TARGET, date(2026, 11, 12), report="补充自查", items={"补贴": "已补发"})
    fold(Comparison)

    [target] = comparison_of(views, str(case_id))

    assert target["self_report"]["text"] == "补充自查"
    assert [i["item"] for i in target["items"]] == ["补贴"]


@pytest.mark.parametrize("factory", READ_SIDE, ids=lambda f: f.__name__)
def test_rebuilt_view_has_the_digest_of_the_live_view(history, views, factory):
    run_story(history, "results")
    run_story(history, "visited", covert=True)
    _submit_lead(history, {"name": "张三"})
    envelopes = history.envelopes()
    projection = factory()
    views.install(projection)
    for envelope in envelopes:  # live: one event at a time, some redelivered
        apply_batch(views, projection, [envelope])
    apply_batch(views, projection, envelopes[:5])
    live = digest(views, projection)

    rebuild(views, projection, iter(envelopes), batch=7)

    assert digest(views, projection) == live
