"""The HTTP floor: the least an HTTP command can cost on a node.

A bare FastAPI app (no token, no authorization, no middleware, no access log, no warnings)
whose two endpoints validate the same bodies as the API's and call the same application
layer of a whole running node (relay and projectors in the process). The API's command
figure beside this one tells what ducha's own HTTP layer costs; this one beside the
application layer what FastAPI and uvicorn cost at the least.

No `from __future__ import annotations` here: FastAPI reads the endpoints' annotations as
objects, and the models are this module's own names.
"""

from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from uuid import UUID

from fastapi import FastAPI

from api.case_models import ApproveCase, ProposeCase
from bench.workload import AGENCY, LEADER, NODE
from ducha.bootstrap import bootstrap
from ducha.logging import configure_logging
from ducha.settings import Settings
from ducha.writer import Outcome


def floor_app(data_dir: Path, nats_url: str) -> tuple[FastAPI, dict[str, str]]:
    """The app and (placeholder) tokens: the clients send a header nobody reads."""
    configure_logging(json=True)
    node = bootstrap(Settings(data_dir=data_dir, nats_url=nats_url, node=NODE))

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        await node.start()
        try:
            yield
        finally:
            await node.stop()

    app = FastAPI(lifespan=lifespan)

    def answer(outcome: Outcome) -> dict[str, Any]:
        return {"id": str(outcome.aggregate.id), "state": str(outcome.state), "version": outcome.version,
                "position": outcome.position}

    @app.post("/v1/cases", status_code=201)
    async def propose(body: ProposeCase) -> dict[str, Any]:
        return answer(await node.cases.propose(AGENCY, on=body.on, **body.fields()))

    @app.post("/v1/cases/{case_id}/approve")
    async def approve(case_id: UUID, body: ApproveCase | None = None) -> dict[str, Any]:
        body = body or ApproveCase()
        return answer(await node.cases.approve(LEADER, case_id, on=body.on, remarks=body.remarks))

    @app.get("/v1/cases/{case_id}")
    async def one_case(case_id: UUID) -> dict[str, str]:  # what `wait_until_up` asks
        return {"id": str(case_id)}

    return app, {"agency": "-", "leader": "-"}
