"""A server process for the HTTP figures: `python -m bench.serve ducha|bare|floor DATA_DIR [NATS_URL]`.

Served as `ducha serve` serves (uvicorn, uvloop, httptools, no uvicorn access log) on a
loopback port the kernel picks. Prints one JSON line on stdout — the port and, for
`ducha`, bearer tokens of the office and the leader — then serves until SIGTERM.

`floor` is the least an HTTP command can cost on this node (`bench.floor`).
"""

from __future__ import annotations

import asyncio
import json
import socket
import sys
from datetime import timedelta
from pathlib import Path

import uvicorn
import uvloop
from fastapi import FastAPI


RATE_LIMIT = "1000000/second"


def bare_app() -> FastAPI:
    """The queries' ceiling: one FastAPI endpoint returning a small JSON dict, nothing else."""
    app = FastAPI()

    @app.get("/v1/cases/{case_id}")
    async def one_case(case_id: str) -> dict[str, str]:
        return {"id": case_id, "state": "approved", "title": "督查事项", "level": "220000"}

    return app


def ducha_app(data_dir: Path, nats_url: str) -> tuple[FastAPI, dict[str, str]]:
    """The real node's app on an external nats-server, and tokens for the office and the leader."""
    from api.app import create_app
    from bench.workload import AGENCY, LEADER, NODE
    from ducha.bootstrap import bootstrap
    from ducha.keys import NodeKey
    from ducha.logging import configure_logging
    from ducha.settings import Settings
    from ducha.tokens import issue_token

    configure_logging(json=True)
    # The per-token rate limiter stays in the path, set far above what two tokens can send here.
    settings = Settings(data_dir=data_dir, nats_url=nats_url, node=NODE, rate_limit=RATE_LIMIT)
    app = create_app(bootstrap(settings))
    key = NodeKey.load_or_create(data_dir)
    tokens = {
        actor.role.value: issue_token(key, NODE, actor.unit, actor.role, actor.person, timedelta(hours=2))
        for actor in (AGENCY, LEADER)
    }
    return app, tokens


def main(kind: str, data_dir: str, nats_url: str | None = None) -> None:
    if kind == "bare":
        app, tokens = bare_app(), {}
    elif kind == "floor":
        from bench.floor import floor_app

        app, tokens = floor_app(Path(data_dir), nats_url or "")
    else:
        app, tokens = ducha_app(Path(data_dir), nats_url or "")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    print(json.dumps({"port": sock.getsockname()[1], "tokens": tokens}), flush=True)
    config = uvicorn.Config(
        app, loop="uvloop", http="httptools", log_config=None, access_log=False, log_level="warning",
        timeout_graceful_shutdown=10,
    )
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(uvicorn.Server(config).serve(sockets=[sock]))


if __name__ == "__main__":
    main(*sys.argv[1:])
