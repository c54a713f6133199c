"""最多报一次: written demands for material and the forms a unit reported (domain/material.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from domain.actor import Actor, Role
from domain.errors import ActNotAllowed, WrongState
from domain.material import MaterialRegister
from ducha.units import load_registry

REGISTRY = load_registry()
NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
DAY = date(2026, 11, 25)
OFFICE = Actor("220000-DCS", Role.AGENCY, "督查员")
UNIT = Actor("220200", Role.TARGET, "吉林市张")


def register() -> MaterialRegister:
    return MaterialRegister.open(actor=OFFICE, on=DAY, now=NOW, registry=REGISTRY, unit="220200", year=2026)


def demand(reg: MaterialRegister, request_id: str = "r1", form: str = "就业统计表"):
    return reg.demand(actor=OFFICE, on=DAY, now=NOW, registry=REGISTRY, request_id=request_id, form=form)


def test_a_first_demand_for_a_form_is_recorded():
    reg = register()
    answer = demand(reg)
    assert answer.is_new and [type(e).__name__ for e in reg.collect_events()][-1] == "MaterialRequested"


def test_a_reported_form_is_answered_with_the_earlier_report_and_nothing_is_recorded():
    reg = register()
    demand(reg)
    reg.report(actor=UNIT, on=DAY, now=NOW, request_id="r1", digest="sha256:ab", title="表")
    reg.collect_events()
    answer = demand(reg, "r2")
    assert (answer.is_new, answer.earlier.request_id, reg.collect_events()) == (False, "r1", [])


def test_a_pending_demand_for_the_same_form_is_not_made_again():
    reg = register()
    demand(reg)
    reg.collect_events()
    answer = demand(reg, "r2", " 就业统计表 ")
    assert (answer.request.request_id, reg.collect_events()) == ("r1", [])


def test_the_unit_itself_does_not_demand_material_of_itself():
    with pytest.raises(ActNotAllowed):
        register().demand(actor=Actor("220200", Role.AGENCY, "x"), on=DAY, now=NOW, registry=REGISTRY, request_id="r", form="表")


def test_only_the_unit_reports_its_form():
    reg = register()
    demand(reg)
    with pytest.raises(ActNotAllowed):
        reg.report(actor=Actor("220100", Role.TARGET, "x"), on=DAY, now=NOW, request_id="r1", digest="d", title="t")


def test_a_form_is_reported_at_most_once_a_year():
    reg = register()
    demand(reg)
    reg.report(actor=UNIT, on=DAY, now=NOW, request_id="r1", digest="d", title="t")
    with pytest.raises(WrongState):
        reg.report(actor=UNIT, on=DAY, now=NOW, request_id="r1", digest="d", title="t")
