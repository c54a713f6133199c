"""Who sees a case, in its two forms: the board's SQL (`audience_clause`, for pages and counts) and the same rule
on one case's facts (`Audience.admits` on a `CaseSight`, for a case the board does not show yet or one loaded
from the store). The two must answer alike for every reader and every case."""

from __future__ import annotations

import itertools

import pytest

from api.visibility import audience
from domain.actor import Actor, Role
from projections.base import apply_batch
from projections.case_board import get_case
from projections.case_board_queries import CaseSight
from tests.projections.story import STAGES, run_story

UNITS = ("220000", "220000-DCS", "220000-FGW", "220000-CBS", "220100", "220100-DCS", "220102", "220200")
ROLES = (Role.LEADER, Role.AGENCY, Role.DEPARTMENT, Role.AUDITOR, Role.TARGET, Role.EVALUATOR)
READERS = [Actor(unit, role, "王敏") for unit, role in itertools.product(UNITS, ROLES)]
COVERT_STAGES = [s for s in STAGES if s != "notified"]


def _disagreements(history, views, board, case_ids) -> list[str]:
    apply_batch(views, board, history.envelopes())
    wrong = []
    for case_id, reader in itertools.product(case_ids, READERS):
        seen_by = audience(reader, history.registry)
        on_board = get_case(views, case_id, seen_by) is not None
        on_facts = seen_by.admits(CaseSight.of(history.app.repository.get(case_id)))
        if on_board != on_facts:
            wrong.append(f"{reader.role.value}@{reader.unit} on {case_id}: board {on_board}, facts {on_facts}")
    return wrong


@pytest.mark.parametrize("stage", STAGES)
def test_an_open_case_is_seen_alike_on_the_board_and_on_its_facts(history, views, board, stage):
    case_id = run_story(history, stage)

    assert _disagreements(history, views, board, [case_id]) == []


@pytest.mark.parametrize("stage", COVERT_STAGES)
def test_a_covert_case_is_seen_alike_on_the_board_and_on_its_facts(history, views, board, stage):
    case_id = run_story(history, stage, covert=True)

    assert _disagreements(history, views, board, [case_id]) == []


def test_a_covert_case_on_a_department_is_seen_alike_on_the_board_and_on_its_facts(history, views, board):
    case_id = history.propose(targets=("220000-FGW", "220100"))
    history.approve(case_id)

    assert _disagreements(history, views, board, [case_id]) == []


def test_the_facts_of_a_covert_case_name_the_targets_it_is_still_hidden_from(history):
    case_id = run_story(history, "visited", covert=True)

    sight = CaseSight.of(history.app.repository.get(case_id))

    assert (sight.covert, sight.unvisited, sight.access) == (
        True, frozenset({"220200"}), frozenset({("220100", "target"), ("220000-CBS", "evaluator")}),
    )
