"""Secrecy is a property of every answer: every operation of the app's OpenAPI document, sent as every caller of
the seeded world (tests/api/secrecy_world.py), answers no secret to a caller outside that secret's audience —
a covert case's (暗访) id, title or window; who gave a lead and its receipt code (Art. 26); an internal note or a
draft; a proposal on results not yet approved (Art. 21) — in its body or its headers, whether the operation is a
query, a count, an export or a command (its answer and warnings), or refuses with an error.

Generated, not listed: tests/api/openapi_sweep.py reads the operations, parameters and bodies from
`app.openapi()`, so a route added tomorrow is swept as it is added (a parameter the world has no value for stops
the sweep by name), and the sweep must cover every operation of the document. A request naming an id whose
existence is the secret (a covert case's, a pending proposal's) is answered as the same request naming nothing.

The world is seeded and swept once for the module (about 7,000 requests, some 15 s); each test reads the answers.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from api.app import create_app
from domain.actor import Role
from ducha.bootstrap import bootstrap
from ducha.clock import SetClock
from ducha.embedded_nats import EmbeddedNats
from ducha.keys import NodeKey
from ducha.settings import Settings
from ducha.tokens import issue_token
from ducha.units import load_registry
from tests.api.openapi_sweep import Exchange, Story, operations, sweep
from tests.api.secrecy_world import CALLERS, PENDING_PERSON, World, seed

DECOY = "00000000-0000-4000-8000-0000000000{:02d}"  # ids of nothing, one per hidden id


def _story(world: World) -> Story:
    """What the sweep fills the document's parameters and fields with: the world's own objects, units and ids,
    each case's own target, and for a body naming another case (a merger's, 一事一报's) a case hidden from the
    caller; dates that meet the rules (a window overlapping the covert case's: repeated supervision is asked)."""
    cases = world.cases
    targets = {cases["story"]: "220100", cases["notes"]: "220100", cases["department-covert"]: "220000-FGW"}

    def target(context: dict) -> str:
        return targets.get(context.get("case_id"), "220102")

    def hidden_or_visible(context: dict) -> str:
        hidden = world.hidden_cases(context["caller"])
        return hidden[0] if hidden else cases["city-proposed"]

    child = {"unit": "220102", "person": "南关区王", "leader": "副区长马", "title": "分解任务", "standard": "按期完成",
             "deadline": "2026-12-30"}
    return Story(
        paths={
            "case_id": lambda caller: [*world.hidden_cases(caller), cases["city"], cases["city-proposed"],
                                       cases["story"], cases["notes"]],
            "lead_id": [world.lead], "receipt": [world.receipt], "task_id": [world.task],
            "instruction_id": [world.instruction], "received_id": ["5f0e3f5e-0000-4000-8000-000000000001"],
            "code": ["220100", "220102", "220200", "220000-FGW"], "government": ["220000", "220100"], "year": [2027],
            "person": ["长春市刘", PENDING_PERSON],
        },
        queries={"after": world.position, "as_of": "2026-11-30", "position": world.position, "unit": "220102",
                 "year": 2026, "period": "2026", "level": "220000", "method": "covert-visit"},
        fields={
            "targets": lambda c: [target(c)], "target": target, "unit": target, "units": lambda c: [target(c)],
            "lead_unit": "220102", "responsible_unit": "220102", "absorbed_id": hidden_or_visible,
            "ApproveOutOfPlan.case_id": hidden_or_visible, "proposal_id": "p-pending-criticism",
            "ProposeResult.proposal_id": "p-sweep", "requirement_id": "r2", "RecordFinding.finding_id": "f-sweep",
            "window_start": "2027-04-05", "window_end": "2027-04-28", "site_work_starts": "2026-12-01",
            "deadline": "2026-12-30", "due": "2026-12-30", "supervisors": ["督查员陈"], "methods": ["inspection"],
            "year": 2027, "period": "2026", "points": 1, "percent": 50, "children": [child],
            "ProposeCase.title": "南关区重复督查（扫）",
        },
    )


def _headers(key: NodeKey, who: tuple[str, Role] | None) -> dict[str, str]:
    if who is None:
        return {}
    return {"Authorization": f"Bearer {issue_token(key, '220000', who[0], who[1], '王敏', timedelta(hours=2))}"}


async def _sweep(root: Path) -> tuple[World, list[Exchange], dict]:
    server = EmbeddedNats.start(root / "nats")
    try:
        # The sweep sends thousands of requests on a handful of tokens: the rate limit is tested elsewhere.
        settings = Settings(data_dir=root / "data", nats_url=server.url, node="220000", rate_limit="")
        node = bootstrap(settings, clock=SetClock(datetime(2026, 11, 25, 2, tzinfo=UTC)), registry=load_registry())
        await node.start()
        try:
            app = create_app(node)
            key = NodeKey.load_or_create(settings.data_dir)
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://ducha.test") as client:
                world = await seed(node, client, lambda who: _headers(key, who))
                document = app.openapi()
                callers = {name: _headers(key, who) for name, who in CALLERS.items()}
                decoys = {i: DECOY.format(n) for n, i in enumerate(world.hidden_everywhere())}
                exchanges = await sweep(client, document, _story(world), callers, world.hidden_ids, decoys.__getitem__)
            return world, exchanges, document
        finally:
            await node.stop()
    finally:
        server.stop()


@pytest.fixture(scope="module")
def swept(tmp_path_factory: pytest.TempPathFactory) -> tuple[World, list[Exchange], dict]:
    """The world seeded, then every operation of the document sent as every caller: once for the module."""
    return asyncio.run(_sweep(tmp_path_factory.mktemp("sweep")))


def test_the_sweep_sends_every_operation_of_the_document_as_every_caller(swept):
    world, exchanges, document = swept
    documented = {op.key for op in operations(document)}

    sent = {(e.caller, e.operation) for e in exchanges}

    assert len(documented) == sum(len(item) for item in document["paths"].values()) > 90
    assert sent == {(caller, key) for caller in CALLERS for key in documented}


def test_no_answer_carries_a_secret_to_a_caller_outside_its_audience(swept):
    world, exchanges, _ = swept

    leaks = sorted({
        f"{e.caller} {e.operation} {e.status}: {secret.name}"
        for e in exchanges for secret in world.hidden_from(e.caller) for needle in secret.needles
        if needle not in e.request_text() and needle in e.answer_text()
    })

    assert leaks == [], f"{len(leaks)} kinds of answer carry a secret:\n" + "\n".join(leaks)


def test_a_request_naming_a_hidden_id_is_answered_as_one_naming_nothing(swept):
    world, exchanges, _ = swept
    named = [e for e in exchanges if e.decoy is not None]

    differing = [
        f"{e.caller} {e.method.upper()} {e.path}: {e.comparable()} / {e.decoy.comparable()}"
        for e in named if e.tells_apart_its_decoy()
    ]

    assert len(named) > 500
    assert differing == [], f"{len(differing)} answers tell a hidden id from nothing:\n" + "\n".join(differing[:40])


def test_no_request_of_the_sweep_is_refused_as_invalid_or_fails(swept):
    _, exchanges, _ = swept

    refused = [f"{e.caller} {e.method.upper()} {e.path} {e.status}: {e.text[:300]}" for e in exchanges
               if e.status >= 500 or (e.status == 422 and '"errors"' in e.text)]

    assert refused == [], "\n".join(refused[:40])


def test_every_secret_of_the_sweep_reaches_its_own_audience(swept):
    world, exchanges, _ = swept

    unseen = [
        f"{secret.name}: {needle}" for secret in world.secrets for needle in secret.needles
        if not any(e.caller in secret.audience and needle in e.answer_text() for e in exchanges)
    ]

    assert unseen == []


def test_the_sweep_s_proposal_is_warned_of_the_case_its_caller_may_see(swept):
    world, exchanges, _ = swept

    (proposed,) = [e for e in exchanges if (e.caller, e.operation) == ("city-office", "POST /v1/cases")]

    assert proposed.status == 201
    assert [w["id"] for w in json.loads(proposed.text)["warnings"]] == [world.cases["city"]]


def test_at_least_half_of_the_documented_commands_are_accepted_in_the_sweep(swept):
    """The others reach a rule of the domain (a state, an id of the story) or the policy, never validation."""
    _, exchanges, document = swept
    commands = {op.key for op in operations(document) if op.method == "post"}

    accepted = {e.operation for e in exchanges if e.operation in commands and 200 <= e.status < 300}

    assert len(accepted) >= len(commands) // 2, sorted(commands - accepted)
