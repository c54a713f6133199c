"""What the ledger's routes share: the answer of a command, and who may read which unit (管辖).

An office (leader, government, agency, department, auditor) reads what concerns any unit within
its government's jurisdiction; any other role (a target unit) reads only what concerns its own
unit and those below it; the public reads nothing here.
"""

from __future__ import annotations

from fastapi import Response

from api.ledger_models import Answer
from api.preconditions import etag
from domain.actor import Actor, Role
from domain.errors import ActNotAllowed, DomainError, NotFound
from domain.units import UnitRegistry
from ducha.bootstrap import Node
from ducha.writer import Outcome

OFFICE_ROLES = frozenset({Role.LEADER, Role.GOVERNMENT, Role.AGENCY, Role.DEPARTMENT, Role.AUDITOR})


def answer(response: Response, outcome: Outcome) -> Answer:
    response.headers["Ducha-Position"] = str(outcome.position)
    response.headers["ETag"] = etag(outcome.version)
    state = outcome.state.value if hasattr(outcome.state, "value") else outcome.state
    return Answer(id=outcome.aggregate.id, state=state, version=outcome.version, position=outcome.position)


def scope(registry: UnitRegistry, actor: Actor) -> str:
    """The unit whose jurisdiction the actor reads."""
    if actor.role is Role.PUBLIC:
        raise ActNotAllowed("the public reads no ledger")
    return registry.government_of(actor.unit) if actor.role in OFFICE_ROLES else actor.unit


def visible(node: Node, actor: Actor, unit: str) -> bool:
    try:
        return node.registry.is_within(unit, scope(node.registry, actor))
    except DomainError:
        return False


def check_visible(node: Node, actor: Actor, unit: str) -> None:
    """Raised (404: nothing tells an invisible unit from an unknown one) when `unit` lies outside the caller's view."""
    node.registry.check_known([unit])
    if not visible(node, actor, unit):
        raise NotFound(f"no unit {unit!r} in your jurisdiction")
