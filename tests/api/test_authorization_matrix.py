"""The authorization matrix, generated: every route of the app × every role × the object own / below / above /
elsewhere to the caller, with no token and with an expired token; the expected status of each cell comes from
the policy (`api/authorization.py`), the sight of each object from the read side's own rules.

A route without a policy row fails here. Commands are sent with a stale If-Match and empty bodies, so an
allowed cell is refused by the domain or by validation (409/422) and nothing is recorded.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from fastapi.routing import APIRoute, _iter_included_route_candidates

from api import authorization as policy
from api import ledger_common, visibility
from domain.actor import Actor, Role
from domain.lead import Lead
from ducha.settings import Settings
from ducha.tokens import issue_token
from projections.case_board import get_case
from tests.projections.story import proposal, run_story_on

CHANGCHUN_OFFICE = Actor("220100-DCS", Role.AGENCY, "督查员陈")
BODIES = {  # units registered under a level, by role; any other role acts for the division itself
    (Role.AGENCY, "220000"): "220000-DCS", (Role.AGENCY, "220100"): "220100-DCS",
    (Role.AGENCY, "220102"): "220102-DCS", (Role.AGENCY, "220200"): "220200-DCS",
    (Role.DEPARTMENT, "220000"): "220000-FGW", (Role.DEPARTMENT, "220100"): "220100-JYJ",
    (Role.EVALUATOR, "220000"): "220000-CBS",  # entrusted in the story's plan
}


@pytest.fixture
def store_url() -> None:
    """SQLite only: the policy does not depend on the store."""
    return None


@pytest.fixture
def settings(tmp_path, nats_server) -> Settings:
    # The matrix sends thousands of requests on a handful of tokens: the rate limit is tested elsewhere.
    return Settings(data_dir=tmp_path / "data", nats_url=nats_server.url, node="220000", rate_limit="")


@dataclass(frozen=True)
class Situation:
    """An object of a kind, a caller's level, and how the object relates to that level."""

    value: str
    level: str
    relation: policy.Relation


@dataclass
class World:
    """The objects made up front and the situations each kind of route is tried in."""

    situations: dict[str, list[Situation]]
    story_case: str
    lead: str


OWN, BELOW, ABOVE, ELSEWHERE = policy.Relation


async def build_world(node) -> World:
    story_case, position = await run_story_on(node, "notified")  # 220000's case, 220100 and 220200 notified
    changchun = await node.cases.propose(  # 220100's own case on 220102, only proposed
        CHANGCHUN_OFFICE, on=date(2026, 11, 2), **(proposal() | {"targets": ["220102"]})
    )
    lead = uuid4()
    await node.writer.execute(None, lambda _: Lead.submit(
        lead_id=lead, actor=Actor("220000", Role.PUBLIC, "匿名"), on=date(2026, 11, 20),
        now=datetime(2026, 11, 25, 2, tzinfo=UTC), level="220000", receipt_code="R7X2K9QW", channel="platform",
        content="补贴未发放", about_unit="220100", informant={"name": "张三", "phone": "13800000000"},
    ))
    assert await node.projectors["case_board"].wait_for(max(position, changchun.position), 10)
    b = str(changchun.aggregate.id)
    around_changchun = [("220100", OWN), ("220000", BELOW), ("220102", ABOVE), ("220200", ELSEWHERE)]
    missing = [Situation(str(uuid4()), level, rel) for level, rel in around_changchun]
    return World(
        situations={
            "case": [Situation(str(story_case), "220000", OWN), Situation(str(story_case), "220100", ABOVE)]
            + [Situation(b, level, rel) for level, rel in around_changchun],
            "unit": [Situation("220100", level, rel) for level, rel in around_changchun],
            "plan": [Situation("220100", level, rel) for level, rel in around_changchun],
            "lead": [Situation(str(lead), "220000", OWN), Situation(str(lead), "220100", ABOVE)],
            "task": missing, "instruction": missing, "received": missing,
            "none": [Situation("", "220000", OWN), Situation("", "220100", OWN)],
            "public": [Situation("", "220000", OWN)],
        },
        story_case=str(story_case), lead=str(lead),
    )


def caller(role: Role, level: str) -> Actor:
    return Actor(BODIES.get((role, level), level), role, "王敏")


def sees(node, actor: Actor, kind: str, value: str) -> bool:
    """The read side's own answer to "may this caller see the object" (not the policy's)."""
    if kind == "case":
        if actor.role not in visibility.OFFICE_ROLES | visibility.PARTY_ROLES:
            return False  # visibility.check_may_read: the public reads no case at all
        return get_case(node.views, UUID(value), visibility.audience(actor, node.registry)) is not None
    if kind in ("unit", "plan"):
        return ledger_common.visible(node, actor, value)
    if kind == "lead":
        return ledger_common.visible(node, actor, "220000")
    return kind in ("none", "public")  # tasks and instructions here are ones that do not exist


def expected(node, rule: policy.Rule, actor: Actor, situation: Situation) -> str:
    if rule.kind is policy.PUBLIC:
        return "allowed"
    if rule.kind.resolve is not None and not sees(node, actor, rule.kind.name, situation.value):
        return "404"
    relation = None if rule.kind.resolve is None else situation.relation
    return "allowed" if rule.permits(actor.role, relation) else "403"


def path_of(route: APIRoute, value: str) -> str:
    params = {"case_id": value, "task_id": value, "instruction_id": value, "lead_id": value, "code": value,
              "government": value, "received_id": value, "year": "2026", "receipt": "R7X2K9QW", "person": "王敏"}
    return route.path.format(**{name: params[name] for name in route.param_convertors})


def verdict(response, rule: policy.Rule) -> str:
    """What the answer says: 401, a policy 403, a not-found 404 of the object, or a pass (allowed)."""
    body = response.json() if response.headers.get("content-type", "").endswith("json") else {}
    detail = body.get("detail") if isinstance(body, dict) else None
    if response.status_code == 401:
        return "401"
    if response.status_code == 403 and str(detail).startswith("the policy"):
        return "403"
    if response.status_code == 404 and detail == policy.not_found(rule.kind).args[0]:
        return "404"
    return "allowed"


def api_routes(app) -> list[APIRoute]:
    """Every API route as served (FastAPI includes routers lazily: `app.routes` holds the routers)."""
    return [r for r in _iter_included_route_candidates(app.routes) if isinstance(r, APIRoute)]


def test_every_route_has_a_policy_row(app):
    assert len(api_routes(app)) > 80
    unruled = sorted(r.name for r in api_routes(app) if r.name not in policy.POLICY)

    assert unruled == []


async def test_every_route_role_and_relation_answers_as_the_policy_says(app, client, node, key):
    world = await build_world(node)
    tokens: dict[tuple[Role, str], dict[str, str]] = {}

    def headers(actor: Actor, **kwargs: Any) -> dict[str, str]:
        token = issue_token(key, "220000", actor.unit, actor.role, actor.person, kwargs.pop("ttl", timedelta(hours=1)), **kwargs)
        return {"Authorization": f"Bearer {token}", "If-Match": '"999"'}

    expired = headers(caller(Role.AGENCY, "220000"), ttl=timedelta(minutes=1), now=datetime.now(UTC) - timedelta(days=1))
    wrong: list[str] = []
    cells = 0
    for route in api_routes(app):
        rule = policy.POLICY[route.name]
        method = sorted(route.methods)[0]
        for situation in world.situations[rule.kind.name]:
            path = path_of(route, situation.value)
            send = {"json": {}} if method == "POST" else {}
            for label, hdrs in (("no token", {}), ("expired", expired)):
                answer = await client.request(method, path, headers=hdrs, **send)
                want = "allowed" if rule.kind is policy.PUBLIC else "401"
                cells += 1
                if verdict(answer, rule) != want:
                    wrong.append(f"{method} {path} {label}: {answer.status_code} (want {want})")
            for role in Role:
                actor = caller(role, situation.level)
                key_ = (role, situation.level)
                tokens.setdefault(key_, headers(actor))
                answer = await client.request(method, path, headers=tokens[key_], **send)
                want = await asyncio.to_thread(expected, node, rule, actor, situation)
                cells += 1
                if verdict(answer, rule) != want:
                    wrong.append(
                        f"{method} {path} {actor.role.value}@{actor.unit} ({situation.relation.value}): "
                        f"{answer.status_code} {answer.text[:120]} (want {want})"
                    )

    assert cells > 1000
    assert wrong == [], f"{len(wrong)} of {cells} cells:\n" + "\n".join(wrong)
