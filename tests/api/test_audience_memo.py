"""A reader's audience (the cases it may see) is found once per role, unit and registry, not at every query."""

from __future__ import annotations

import dataclasses

from api.visibility import audience
from domain.actor import Actor, Role
from domain.units import Unit, UnitRegistry
from projections.case_board_queries import Audience, audience_clause

OFFICE = Actor(unit="220000", role=Role.AGENCY, person="王敏")


def test_same_reader_gets_the_audience_already_found(registry):
    assert audience(OFFICE, registry) is audience(dataclasses.replace(OFFICE, person="李强"), registry)


def test_another_registry_gets_an_audience_of_its_own(registry):
    smaller = UnitRegistry([Unit(code="220000", name="吉林省", parent=None, kind="government")])

    seen = audience(OFFICE, smaller)

    assert seen.units == frozenset({"220000"})
    assert seen != audience(OFFICE, registry)


def test_audience_clause_answers_a_list_of_its_own_each_time():
    seen = Audience(levels=frozenset({"220000"}))
    first, params = audience_clause(seen)
    params.append("changed by the caller")

    assert audience_clause(seen) == (first, ["220000"])
