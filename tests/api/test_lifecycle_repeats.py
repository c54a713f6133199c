"""Repeated supervision (重复督查, Art. 15): a proposal or an approval that would visit a target another
approved case visits, on the same topic or in an overlapping window, is accepted with warnings."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from domain.actor import Role
from tests.e2e import steps
from tests.e2e.steps import Api


@pytest.fixture
def store_url() -> None:
    return None


@pytest.fixture
def api(client, auth) -> Api:
    return Api(client, auth)


async def approved(api: Api, **changes) -> str:
    case_id = await steps.propose(api, steps.proposal(**changes))
    await steps.approve(api, case_id)
    return case_id


async def proposed_answer(api: Api, **changes) -> dict:
    response = await api.post("/v1/cases", steps.proposal(**changes), steps.OFFICE)
    assert response.status_code == 201, response.text
    return response.json()


async def test_proposal_on_the_same_topic_at_the_same_target_names_the_approved_case(api):
    earlier = await approved(api, window_start="2026-01-05", window_end="2026-03-31")

    answer = await proposed_answer(api, title="再次督查稳就业", window_start="2026-09-01", window_end="2026-09-30")

    assert [(w["id"], w["title"]) for w in answer["warnings"]] == [(earlier, "稳就业任务落实情况督查")]
    assert "220100" in answer["warnings"][0]["why"] and "same topic" in answer["warnings"][0]["why"]


async def test_proposal_in_an_overlapping_window_on_another_topic_warns(api):
    await approved(api, topic="livelihood")

    answer = await proposed_answer(api, topic="major-decision")

    assert len(answer["warnings"]) == 1
    assert "overlapping window" in answer["warnings"][0]["why"]


async def test_proposal_on_another_topic_outside_the_window_has_no_warning(api):
    await approved(api, topic="livelihood", window_start="2026-01-05", window_end="2026-03-31")

    answer = await proposed_answer(api, topic="major-decision", window_start="2026-09-01", window_end="2026-09-30")

    assert answer["warnings"] == []


async def test_proposal_at_another_target_has_no_warning(api):
    await approved(api)

    answer = await proposed_answer(api, targets=["220200"])

    assert answer["warnings"] == []


async def test_a_case_only_proposed_is_not_repeated(api):
    await steps.propose(api)

    answer = await proposed_answer(api)

    assert answer["warnings"] == []


async def test_approval_names_the_case_it_would_repeat(api):
    earlier = await approved(api)
    later = await steps.propose(api, steps.proposal(title="再次督查稳就业"))

    answer = await steps.approve(api, later)

    assert answer["state"] == "approved"
    assert [w["id"] for w in answer["warnings"]] == [earlier]


async def stop_the_board(node) -> None:
    """The case board's projector stops applying: what is committed from now on is not on the board."""
    (task,) = [t for t in node._tasks if t.get_name() == "projector:case_board"]
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def test_proposal_names_a_case_approved_just_before_that_the_board_does_not_show_yet(api, node):
    await stop_the_board(node)
    earlier = await approved(api)

    answer = await proposed_answer(api, title="再次督查稳就业")

    assert [w["id"] for w in answer["warnings"]] == [earlier]


async def test_merge_since_the_board_last_applied_moves_the_warning_to_the_surviving_case(api, node):
    absorbed = await approved(api)
    survivor = await approved(api, title="吉林市稳就业督查", targets=["220200"])
    assert await node.projectors["case_board"].wait_for(node.writer.last_position, timeout=10)
    await stop_the_board(node)
    await api.act(survivor, "merge", {"absorbed_id": absorbed, "grounds": "能合尽合", "on": "2026-09-03"})

    answer = await proposed_answer(api, title="再次督查稳就业")

    assert [w["id"] for w in answer["warnings"]] == [survivor]  # the board still shows the absorbed case active


# ---- the warnings pass the reader's sight: a covert case (暗访) is no candidate outside its audience ----------

CITY_OFFICE = ("220100-DCS", Role.AGENCY)  # 长春市人民政府督查室, the superior of 南关区
CITY_LEADER = ("220100", Role.LEADER)
COVERT = {"title": "南关区暗访", "targets": ["220102"], "methods": ["covert-visit"], "topic": "livelihood",
          "window_start": "2026-11-16", "window_end": "2026-12-11"}


async def city_proposal(api: Api, **changes) -> dict:
    body = steps.proposal(title="南关区供暖督查", targets=["220102"], topic="other", window_start="2026-12-01",
                          window_end="2026-12-20", **changes)
    response = await api.post("/v1/cases", body, CITY_OFFICE)
    assert response.status_code == 201, response.text
    return response.json()


async def test_the_target_s_superior_is_not_warned_of_a_covert_case_on_it(api):
    covert = await approved(api, **COVERT)

    answer = await city_proposal(api)

    assert answer["warnings"] == []
    assert covert not in str(answer) and "南关区暗访" not in str(answer) and "2026-11-16" not in str(answer)


async def test_a_covert_case_the_board_does_not_show_yet_is_no_warning_outside_its_audience(api, node):
    await stop_the_board(node)
    covert = await approved(api, **COVERT)

    answer = await city_proposal(api)

    assert (answer["warnings"], covert in str(answer)) == ([], False)


async def test_an_approval_is_not_warned_of_a_covert_case_its_approver_may_not_see(api):
    await approved(api, **COVERT)
    city_case = (await city_proposal(api))["id"]

    answer = await steps.approve(api, city_case, CITY_LEADER)

    assert answer["warnings"] == []


async def test_the_city_is_still_warned_of_the_cases_it_may_see(api):
    await approved(api, **COVERT)
    earlier = (await city_proposal(api))["id"]
    await steps.approve(api, earlier, CITY_LEADER)

    answer = await city_proposal(api)

    assert [w["id"] for w in answer["warnings"]] == [earlier]


async def test_the_office_running_the_covert_case_is_warned_of_it(api):
    covert = await approved(api, **COVERT)

    answer = await proposed_answer(api, title="南关区民生督查", targets=["220102"], window_start="2026-12-01",
                                   window_end="2026-12-20")

    assert [w["id"] for w in answer["warnings"]] == [covert]


async def test_once_visited_the_covert_case_is_named_to_the_target_s_superior(api):
    covert = await approved(api, **COVERT)
    await steps.adopt_plan(api, covert)
    await api.act(covert, "conduct-site-visit", {"on": "2026-11-20", "target": "220102"})

    answer = await city_proposal(api)

    assert [w["id"] for w in answer["warnings"]] == [covert]
