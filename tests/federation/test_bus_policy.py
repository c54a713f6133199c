"""Bus messages as rows of the one authorization policy (`api/authorization.py`, `BUS_POLICY`): every contract that
exists at run time has a row, the row decides the sender's relation and the actor's roles, and the inbox refuses a
contract without one."""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal

import pytest

from api.authorization import BUS_POLICY, BusRule, Relation
from domain.actor import Actor, Role
from ducha.units import load_registry
from ducha.federation import state
from ducha.federation.contracts import CONTRACTS, ActorRef, Contract, Direction, SignedMessage
from ducha.federation.trust import Rejected, check_policy
from tests.federation.builders import CITY, COUNTY, PROVINCE, PROVINCE_OFFICE, assignment, message, new_id, progress

REGISTRY = load_registry()
ELSEWHERE_CITY = "220200"  # 吉林市: neither above nor below Changchun
SENDER_AT = {Relation.ABOVE: PROVINCE, Relation.BELOW: COUNTY, Relation.OWN: CITY, Relation.ELSEWHERE: ELSEWHERE_CITY}
ROW_OF_DIRECTION = {Direction.UP: Relation.BELOW, Direction.DOWN: Relation.ABOVE}


def contracts() -> list[type[Contract]]:
    """Every concrete contract (one with its own name) the application defines, as loaded at run time."""
    found, pending = [], list(Contract.__subclasses__())
    while pending:
        kind = pending.pop()
        pending.extend(kind.__subclasses__())
        if isinstance(kind.model_fields["name"].default, str) and not kind.__module__.startswith("tests."):
            found.append(kind)
    return sorted(set(found), key=lambda kind: kind.__name__)


def name_of(kind: type[Contract]) -> str:
    return kind.model_fields["name"].default


def signed(kind: type[Contract], role: Role, sender: str, receiver: str = CITY) -> tuple[SignedMessage, Contract]:
    """An envelope and a contract of `kind` whose actor has `role` (only the name and the actor matter to the policy)."""
    contract = kind.model_construct(actor=ActorRef(unit=sender, role=role.value, person="经办"), on=date(2026, 11, 25))
    envelope = SignedMessage(message_id=f"{sender}>{receiver}:1", sender=sender, receiver=receiver, seq=1, previous=None,
                             body={"name": name_of(kind), "version": 1})
    return envelope, contract


def allowed(kind: type[Contract], role: Role, sender: str) -> bool:
    envelope, contract = signed(kind, role, sender)
    try:
        check_policy(REGISTRY, envelope, contract)
    except Rejected:
        return False
    return True


def test_every_contract_has_a_row_in_the_authorization_policy():
    missing = [name_of(kind) for kind in contracts() if name_of(kind) not in BUS_POLICY]

    assert not missing, f"contracts without a row in api/authorization.py BUS_POLICY (the inbox refuses them): {missing}"


def test_every_receivable_contract_is_among_the_contracts_checked():
    assert {kind.__name__ for kind in CONTRACTS.values()} <= {kind.__name__ for kind in contracts()}


@pytest.mark.parametrize("kind", contracts(), ids=name_of)
def test_the_row_sends_the_contract_the_way_its_direction_says(kind):
    rule = BUS_POLICY.get(name_of(kind))

    assert rule is not None and rule.sender is ROW_OF_DIRECTION[kind.DIRECTION], name_of(kind)


@pytest.mark.parametrize("related", list(Relation), ids=str)
@pytest.mark.parametrize("kind", contracts(), ids=name_of)
def test_a_sender_is_let_through_only_at_the_relation_its_row_names(kind, related):
    rule = BUS_POLICY[name_of(kind)]
    role = sorted(rule.roles)[0]

    assert allowed(kind, role, SENDER_AT[related]) is (related is rule.sender)


@pytest.mark.parametrize("role", list(Role), ids=str)
@pytest.mark.parametrize("kind", contracts(), ids=name_of)
def test_an_actor_is_let_through_only_in_a_role_its_row_names(kind, role):
    rule = BUS_POLICY[name_of(kind)]

    assert allowed(kind, role, SENDER_AT[rule.sender]) is (role in rule.roles)


def test_no_row_lets_the_public_or_an_auditor_act():
    assert all(not ({Role.PUBLIC, Role.AUDITOR} & rule.roles) for rule in BUS_POLICY.values())


class Unlisted(Contract):
    """A contract the policy has no row for."""

    DIRECTION: ClassVar[Direction] = Direction.DOWN
    name: Literal["Unlisted"] = "Unlisted"
    version: Literal[1] = 1


@pytest.fixture
def unlisted(monkeypatch) -> SignedMessage:
    monkeypatch.setitem(CONTRACTS, ("Unlisted", 1), Unlisted)
    return Unlisted(actor=ActorRef(**PROVINCE_OFFICE.as_dict()), on=date(2026, 11, 25))


async def test_a_contract_without_a_row_is_dead_lettered_with_its_reason(city, keys, unlisted):
    sent = message(unlisted, sender=PROVINCE, receiver=CITY, key=keys[PROVINCE])

    await city.inbox.handle(sent.model_dump_json().encode(), sent.subject)

    assert [d["reason"] for d in state.dead_letters(city.node.views)] == ["no policy row for contract Unlisted: refused"]


async def test_a_new_contract_needs_only_its_row_to_pass_the_inbox_checks(city, keys, unlisted, monkeypatch):
    monkeypatch.setitem(BUS_POLICY, "Unlisted", BusRule(Relation.ABOVE, frozenset({Role.AGENCY})))
    sent = message(unlisted, sender=PROVINCE, receiver=CITY, key=keys[PROVINCE])

    checked = city.inbox.check(sent.model_dump_json().encode(), sent.subject)

    assert checked.message_id == sent.message_id


async def test_the_inbox_decides_by_the_row_so_a_removed_row_refuses_an_assignment(city, keys, monkeypatch):
    monkeypatch.delitem(BUS_POLICY, "TaskAssigned")
    sent = message(assignment(), sender=PROVINCE, receiver=CITY, key=keys[PROVINCE])

    await city.inbox.handle(sent.model_dump_json().encode(), sent.subject)

    assert (city.task_events(), [d["reason"] for d in state.dead_letters(city.node.views)]) == (
        [], ["no policy row for contract TaskAssigned: refused"]
    )


async def test_an_assignment_whose_actor_role_the_row_does_not_allow_is_dead_lettered(city, keys):
    by_public = assignment(by=PROVINCE_OFFICE).model_copy(update={"actor": ActorRef(unit=PROVINCE, role="public", person="市民")})
    sent = message(by_public, sender=PROVINCE, receiver=CITY, key=keys[PROVINCE])

    await city.inbox.handle(sent.model_dump_json().encode(), sent.subject)

    assert (city.task_events(), [d["reason"] for d in state.dead_letters(city.node.views)]) == (
        [], ["the policy does not let the role 'public' act in TaskAssigned"]
    )


@pytest.mark.parametrize("kind", contracts(), ids=name_of)
def test_an_actor_of_a_unit_outside_the_senders_level_is_refused(kind):
    rule = BUS_POLICY[name_of(kind)]
    sender, receiver = (CITY, COUNTY) if rule.sender is Relation.ABOVE else (COUNTY, CITY)
    envelope, contract = signed(kind, sorted(rule.roles)[0], sender, receiver)
    contract = contract.model_copy(update={"actor": ActorRef(unit=ELSEWHERE_CITY, role=contract.actor.role, person="冒名")})

    with pytest.raises(Rejected, match="not within the sender's level"):
        check_policy(REGISTRY, envelope, contract)


async def test_a_county_reporting_for_a_unit_of_another_city_is_dead_lettered_with_its_reason(city, keys):
    impostor = Actor(ELSEWHERE_CITY, Role.TARGET, "冒名")  # 吉林市: not within Nanguan
    sent = message(progress(new_id(), 40, by=impostor), sender=COUNTY, receiver=CITY, key=keys[COUNTY])

    await city.inbox.handle(sent.model_dump_json().encode(), sent.subject)

    assert [d["reason"] for d in state.dead_letters(city.node.views)] == [
        f"the actor's unit {ELSEWHERE_CITY} is not within the sender's level {COUNTY}"
    ]
