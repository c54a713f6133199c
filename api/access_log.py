"""The access log: one structured line per request, with the actor's unit and role.

A plain ASGI middleware (not BaseHTTPMiddleware) so that streaming and errors pass through
untouched. The actor is read from the request's state, where `api.auth` left it; the token
itself is never logged.
"""

from __future__ import annotations

import time
from typing import Any

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = structlog.get_logger("ducha.access")


class AccessLog:
    """Logs method, path, status, duration and the actor of every HTTP request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client gets if the app fails before answering

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            log.info(
                "request",
                method=scope["method"],
                path=scope["path"],
                status=status,
                duration_ms=round((time.perf_counter() - started) * 1000, 2),
                **_actor_fields(scope),
            )


def _actor_fields(scope: Scope) -> dict[str, Any]:
    actor = scope.get("state", {}).get("actor")
    if actor is None:
        return {}
    return {"unit": actor.unit, "role": actor.role.value}
