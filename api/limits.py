"""Limits on what one request and one caller may ask: body size (413) and rate per token (429).

A plain ASGI middleware, so it runs before any route reads the body or checks the token.
Rates are counted per bearer token (by a hash of it; the token itself is never kept) and,
for unauthenticated requests (the public's leads), per client address. The moving-window
limiter is the `limits` library's.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from typing import Any

from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import PROBLEM_JSON, URN


class BodyTooLarge(Exception):
    """Raised when a request body grows past the limit while it is being read."""


class Limits:
    """Refuses bodies over `max_body` bytes and callers over `rate` (e.g. "50/second;1000/minute")."""

    def __init__(self, app: ASGIApp, *, max_body: int, rate: str) -> None:
        self.app = app
        self.max_body = max_body
        self.items: list[RateLimitItem] = parse_many(rate) if rate else []
        self.limiter = MovingWindowRateLimiter(MemoryStorage())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        if int(headers.get("content-length") or 0) > self.max_body:
            await self._too_large(scope, send)
            return
        if (wait := self._over_rate(scope, headers)) is not None:
            await _problem(send, scope, 429, "rate-limited", "Too many requests",
                           f"retry after {wait} s", {"retry-after": str(wait)})
            return
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, self._counting(receive), sending)
        except BodyTooLarge:
            if not started:
                await self._too_large(scope, send)

    def _over_rate(self, scope: Scope, headers: dict[str, str]) -> int | None:
        """Seconds to wait when the caller is over its rate; None when it may go on."""
        if not self.items:
            return None
        caller = headers.get("authorization") or f"addr:{(scope.get('client') or ('?',))[0]}"
        key = hashlib.sha256(caller.encode()).hexdigest()[:32]
        for item in self.items:
            if not self.limiter.hit(item, key):
                reset = self.limiter.get_window_stats(item, key).reset_time
                return max(1, math.ceil(reset - time.time()))
        return None

    def _counting(self, receive: Receive) -> Receive:
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_body:
                raise BodyTooLarge
            return message

        return counted

    async def _too_large(self, scope: Scope, send: Send) -> None:
        await _problem(send, scope, 413, "payload-too-large", "The request body is too large",
                       f"at most {self.max_body} bytes", {})


async def _problem(send: Send, scope: Scope, status: int, slug: str, title: str, detail: str,
                   extra: dict[str, str]) -> None:
    body: dict[str, Any] = {"type": f"{URN}{slug}", "title": title, "status": status, "detail": detail,
                            "instance": scope.get("path")}
    payload = json.dumps(body, ensure_ascii=False).encode()
    headers = [(b"content-type", PROBLEM_JSON.encode()), (b"content-length", str(len(payload)).encode())]
    headers += [(k.encode(), v.encode()) for k, v in extra.items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
