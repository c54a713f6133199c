"""schemathesis against the app in-process, with its default checks: no server error, no ignored auth, no answer
outside the OpenAPI document. Bounded here: `DUCHA_FUZZ_EXAMPLES` (default 5) examples per operation, and four times
as many stateful scenarios of at most `DUCHA_FUZZ_STEPS` (default 25) steps; `make fuzz` runs more.

Two runs: every operation alone, and a stateful one (schemathesis' state machine, `schema.as_state_machine()`,
run by Hypothesis itself, without the pytest plugin) that chains operations through the links the OpenAPI
document declares: a proposal's answer and each command's link to the case's reads and to the acts that may follow
(`api/case_command_routes.py`, `NEXT`), so scenarios walk the lifecycle. Each step is sent with the token of a role
the policy lets call it (`api/authorization.py`), and its body names units the registry knows, so that chains go
past the first refusal.

The node runs on its own event loop in a thread (its NATS connection and writer live there); schemathesis calls the
app from its own loop, so each request is carried over to the node's loop whole (`OnNodeLoop`).
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings

from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from api import authorization as policy
from api.app import create_app
from domain.actor import Role
from ducha.bootstrap import bootstrap
from ducha.keys import NodeKey
from ducha.settings import Settings
from ducha.tokens import issue_token

EXAMPLES = int(os.environ.get("DUCHA_FUZZ_EXAMPLES", "5"))
STEPS = int(os.environ.get("DUCHA_FUZZ_STEPS", "25"))
CALLS: dict[str, int] = {}
STATEFUL: dict[str, int] = {}
ACCEPTED: dict[str, int] = {}  # stateful steps answered 2xx, per operation
WHO = {  # the unit each role acts for in the stateful run
    Role.AGENCY: "220000-DCS", Role.LEADER: "220000", Role.GOVERNMENT: "220000", Role.TARGET: "220100",
    Role.EVALUATOR: "220000-CBS",
}
UNITS = {"target": WHO[Role.TARGET], "targets": [WHO[Role.TARGET]], "evaluators": [WHO[Role.EVALUATOR]],
         "unit": WHO[Role.TARGET]}
PREFERRED = (Role.AGENCY, Role.TARGET, Role.EVALUATOR, Role.GOVERNMENT, Role.LEADER)


class OnNodeLoop:
    """An ASGI app that runs each request on the node's loop: the body is read here, the answer sent back here."""

    def __init__(self, app: Any, loop: asyncio.AbstractEventLoop) -> None:
        self.app, self.loop = app, loop

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body, more = b"", True
        while more:
            message = await receive()
            body, more = body + message.get("body", b""), message.get("more_body", False)
        sent: list[dict] = []
        future = asyncio.run_coroutine_threadsafe(self._run(scope, body, sent), self.loop)
        await asyncio.wrap_future(future)
        for message in sent:
            await send(message)

    async def _run(self, scope: dict, body: bytes, sent: list[dict]) -> None:
        delivered = False

        async def receive() -> dict:
            nonlocal delivered
            if delivered:
                await asyncio.Event().wait()  # a disconnect never comes: the whole body was given
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict) -> None:
            sent.append(message)

        await self.app(scope, receive, send)


@pytest.fixture
def served(tmp_path, nats_server, registry) -> Iterator[tuple[Any, dict[Role, dict[str, str]]]]:
    """A started node on its own loop, its app wrapped for schemathesis, and a token header per acting role."""
    CALLS.clear()
    STATEFUL.clear()
    ACCEPTED.clear()
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    config = Settings(data_dir=tmp_path / "data", nats_url=nats_server.url, node="220000", rate_limit="")
    node = bootstrap(config, registry=registry)
    asyncio.run_coroutine_threadsafe(node.start(), loop).result(30)
    key = NodeKey.load_or_create(config.data_dir)
    tokens = {role: issue_token(key, "220000", unit, role, "王敏", timedelta(hours=1)) for role, unit in WHO.items()}
    try:
        yield OnNodeLoop(create_app(node), loop), {role: {"Authorization": f"Bearer {t}"} for role, t in tokens.items()}
    finally:
        asyncio.run_coroutine_threadsafe(node.stop(), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        if CALLS:
            print(f"\nschemathesis: {sum(CALLS.values())} examples over {len(CALLS)} operations")
        if STATEFUL:
            print(f"\nschemathesis stateful: {sum(STATEFUL.values())} steps over {len(STATEFUL)} operations, "
                  f"{sum(ACCEPTED.values())} accepted (2xx) over {len(ACCEPTED)}: {sorted(ACCEPTED)}")


@pytest.fixture
def store_url() -> None:
    return None


def run_operation(operation: Any, headers: dict[str, str]) -> str | None:
    """Runs schemathesis' default checks on one operation; the failure's text, or None."""

    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
              database=None, phases=[Phase.explicit, Phase.generate])
    def check(case: Any) -> None:
        CALLS[operation.label] = CALLS.get(operation.label, 0) + 1
        # Schema-valid data may still break a domain rule (an unknown unit, a date order): that answers 422 by design.
        case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])

    try:
        check()
    except (Exception, BaseExceptionGroup) as failure:  # noqa: BLE001 - every operation runs; failures reported together
        return f"{operation.label}: {failure}"
    return None


def test_the_api_conforms_to_its_openapi_document(served):
    app, tokens = served
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures = [run_operation(result.ok(), tokens[Role.AGENCY]) for result in schema.get_all_operations()]

    assert [f for f in failures if f] == []


def acting_role(method: str, path: str) -> Role:
    """A role the policy lets call the route (an agency where it may), so that a chained step can succeed."""
    command = path.rsplit("/", 1)[-1]
    if method != "POST" or command not in policy.CASE_COMMAND_ROLES:
        return Role.AGENCY
    allowed = policy.CASE_COMMAND_ROLES[command].allow
    if command in ("approve", "reject"):
        return Role.LEADER  # a government case is decided by its head (Art. 11)
    return next(role for role in PREFERRED if role in allowed)


def state_machine(schema: Any, tokens: dict[Role, dict[str, str]]) -> Any:
    """schemathesis' state machine over the document's links, each step with its role's token."""

    base = schema.as_state_machine()

    class Lifecycle(base):  # type: ignore[misc, valid-type]
        def before_call(self, case: Any) -> None:
            STATEFUL[case.operation.label] = STATEFUL.get(case.operation.label, 0) + 1
            if not case.path.startswith("/v1/cases") or case.method != "POST":
                return
            # Units the registry knows, the act dated today, the team leader left out and no stale If-Match, so
            # that a chain goes on: the OpenAPI document cannot list the registry's codes, and the stateless run
            # sends the rest.
            case.headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "if-match"}
            if isinstance(case.body, dict):
                case.body.update({k: v for k, v in UNITS.items() if k in case.body})
                for key in ("on", "team_leader"):
                    case.body.pop(key, None)

        def after_call(self, response: Any, case: Any) -> None:
            if 200 <= response.status_code < 300:
                ACCEPTED[case.operation.label] = ACCEPTED.get(case.operation.label, 0) + 1
            super().after_call(response, case)

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": dict(tokens[acting_role(case.method, case.path)])}  # schemathesis changes it in place

        def validate_response(self, response: Any, case: Any, additional_checks: Any = None, **kwargs: Any) -> None:
            # Schema-valid data may still break a domain rule: that answers 422 by design.
            case.validate_response(
                response, excluded_checks=[positive_data_acceptance], transport_kwargs=kwargs, headers=kwargs.get("headers"),
                recorder=self.recorder,  # the stateful checks look earlier steps up in it
            )

    # Every command is a POST with links, so schemathesis would also start scenarios from it on a random id,
    # which only answers 404 (the stateless run sends those): scenarios start from a proposal or a list instead.
    for name in base.root_rules:
        if "_case_id_" in name:
            setattr(Lifecycle, name, None)
    Lifecycle.root_rules = frozenset(name for name in base.root_rules if "_case_id_" not in name)
    return Lifecycle


def test_chained_operations_conform_to_the_openapi_document(served):
    app, tokens = served
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    # Positive data only: the run above sends the negative (and unauthenticated) cases; here chains go deep.
    schema.config.generation.update(modes=[GenerationMode.POSITIVE])

    state_machine(schema, tokens).run(settings=settings(
        max_examples=4 * EXAMPLES, stateful_step_count=STEPS, deadline=None, suppress_health_check=list(HealthCheck),
        derandomize=True, database=None,
    ))

    assert (STATEFUL.get("POST /v1/cases", 0) > 0, STATEFUL.get("POST /v1/cases/{case_id}/approve", 0) > 0) == (True, True)
