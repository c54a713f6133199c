"""The HTTP API of a node: `create_app(node)` builds it; nothing is built at import time.

The node comes in as an argument and lives on `app.state`; routes get it by dependency.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from api import audit, case_commands, case_queries, ops
from api import leads, policy
from api import accountability, comparison, history
from api import instructions, plans, tasks, units
from api import federation, province, received_cases, received_instructions
from api.access_log import AccessLog
from api.authorization import Authorized
from api.limits import Limits
from api.auth import TokenVerifier
from api.problems import ErrorAnswers, install_problem_handlers, move_problem_schemas
from ducha.bootstrap import Node
from ducha.tokens import RevocationList


def _lifespan(node: Node):
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # A node started by its owner (a test fixture, an embedding process) is left to it.
        started_here = node.nc is None
        if started_here:
            await node.start()
        try:
            yield
        finally:
            if started_here:
                await node.stop()

    return lifespan


def create_app(node: Node) -> FastAPI:
    """The FastAPI application serving `node`."""
    app = FastAPI(
        title="ducha (督查)",
        summary="Government supervision work, event-sourced, one node per level.",
        version="0.1.0",
        lifespan=_lifespan(node),
        dependencies=[Authorized],  # the one authorization policy, before every route (api/authorization.py)
    )
    app.state.node = node
    app.state.tokens = TokenVerifier(
        key=node.key,
        node=node.settings.node,
        revoked=RevocationList(node.settings.data_dir),
        registry=node.registry,
    )
    install_problem_handlers(app)
    # Routes are matched in order, each tried in turn: the most asked for come first (a GET of
    # one case ahead of the 40 commands on a case saves trying each of them).
    app.include_router(case_queries.router)
    app.include_router(case_commands.router)
    app.include_router(history.router)
    app.include_router(accountability.router)
    app.include_router(comparison.router)
    app.include_router(ops.router)
    app.include_router(leads.router)
    app.include_router(policy.router)
    app.include_router(audit.router)
    app.include_router(tasks.router)
    app.include_router(instructions.router)
    app.include_router(plans.router)
    app.include_router(units.router)
    app.include_router(federation.router)
    app.include_router(province.router)
    app.include_router(received_cases.router)
    app.include_router(received_instructions.router)
    app.add_middleware(ErrorAnswers)  # innermost: an error is answered where the other middlewares see the answer
    app.add_middleware(Limits, max_body=node.settings.max_body_bytes, rate=node.settings.rate_limit)
    app.add_middleware(AccessLog)
    _problem_openapi(app)
    return app


def _problem_openapi(app: FastAPI) -> None:
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = move_problem_schemas(build())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
