"""Errors as RFC 9457 problem details (`application/problem+json`), each with a stable `type`.

Every domain error keeps the `type` of `domain/errors.py`; the HTTP layer adds its own few
(invalid request, unauthenticated, a malformed If-Match, not ready, internal). A 500 says
nothing of the internals: the log has them.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from domain.errors import DomainError
from ducha.store_faults import StoreFault, store_fault

log = structlog.get_logger(__name__)

PROBLEM_JSON = "application/problem+json"
URN = "urn:ducha:problem:"


class Problem(BaseModel):
    """A problem detail (RFC 9457); extension members are allowed, as the RFC allows them."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(examples=[f"{URN}act-not-allowed"], description="A stable URN naming the kind of problem.")
    title: str
    status: int
    detail: str | None = None
    instance: str | None = Field(None, description="The path of the request that met the problem.")
    errors: list[dict[str, Any]] | None = Field(None, description="For invalid requests: each invalid field.")


class ProblemError(Exception):
    """Raised by the HTTP layer to answer with a problem of its own (not a domain rule's)."""

    def __init__(
        self, slug: str, title: str, status: int, detail: str | None = None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(detail or title)
        self.type = f"{URN}{slug}"
        self.title = title
        self.status = status
        self.detail = detail
        self.headers = headers or {}


def unauthenticated(detail: str, *, token_presented: bool) -> ProblemError:
    """401 with the challenge RFC 6750 asks for (`invalid_token` once a token was presented)."""
    challenge = 'Bearer realm="ducha"' + (', error="invalid_token"' if token_presented else "")
    return ProblemError(
        "unauthenticated", "Authentication is required", 401, detail, headers={"WWW-Authenticate": challenge}
    )


def problem_response(
    request: Request,
    *,
    type: str,
    title: str,
    status: int,
    detail: str | None = None,
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> JSONResponse:
    body = Problem(type=type, title=title, status=status, detail=detail, instance=request.url.path, **extensions)
    return JSONResponse(
        jsonable_encoder(body, exclude_none=True), status_code=status, media_type=PROBLEM_JSON, headers=headers
    )


# Problem types for the HTTP statuses Starlette raises itself (unknown route, wrong method...).
_HTTP_SLUGS = {404: "not-found", 405: "method-not-allowed", 401: "unauthenticated", 415: "unsupported-media-type"}


async def _domain_error(request: Request, error: DomainError) -> JSONResponse:
    return problem_response(request, type=error.type, title=error.title, status=error.status, detail=error.detail)


async def _problem_error(request: Request, error: ProblemError) -> JSONResponse:
    return problem_response(
        request, type=error.type, title=error.title, status=error.status, detail=error.detail, headers=error.headers
    )


async def _invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
    # The submitted values are left out: they may hold what the caller should not see echoed in logs.
    errors = [{k: v for k, v in e.items() if k in ("loc", "msg", "type")} for e in error.errors()]
    return problem_response(
        request,
        type=f"{URN}invalid-request",
        title="The request is not valid",
        status=422,
        detail=f"{len(errors)} invalid field(s)",
        errors=errors,
    )


async def _http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
    slug = _HTTP_SLUGS.get(error.status_code)
    phrase = HTTPStatus(error.status_code).phrase
    return problem_response(
        request,
        type=f"{URN}{slug}" if slug else "about:blank",
        title=phrase,
        status=error.status_code,
        detail=error.detail if isinstance(error.detail, str) and error.detail != phrase else None,
        headers=getattr(error, "headers", None),
    )


STORE_RETRY_AFTER_SECONDS = 60
_STORE_FAULTS = {
    StoreFault.FULL: ("store-full", "The node's store is full", "no space is left for the node's records"),
    StoreFault.READ_ONLY: ("store-read-only", "The node's store is read-only", "the node's store takes no writes"),
}


def _store_fault_answer(request: Request, fault: StoreFault) -> JSONResponse:
    """507 Insufficient Storage: nothing was recorded, and the same request succeeds once space returns."""
    slug, title, detail = _STORE_FAULTS[fault]
    return problem_response(
        request, type=f"{URN}{slug}", title=title, status=507,
        detail=f"{detail}: nothing was recorded; try again later", headers={"Retry-After": str(STORE_RETRY_AFTER_SECONDS)},
    )


def _internal_error_answer(request: Request, error: Exception) -> JSONResponse:
    fault = store_fault(error)
    if fault is not None:
        log.error("the store refused a write", fault=fault.value, error=repr(error), path=request.url.path)
        return _store_fault_answer(request, fault)
    log.error("unhandled error", path=request.url.path, method=request.method, exc_info=error)
    return problem_response(
        request,
        type=f"{URN}internal",
        title="Internal error",
        status=500,
        detail="The node could not handle the request; the error is in its log.",
    )


async def _internal_error(request: Request, error: Exception) -> JSONResponse:
    """The last resort, for an error raised outside `ErrorAnswers` (in an outer middleware)."""
    return _internal_error_answer(request, error)


class ErrorAnswers:
    """Answers an error no handler took as a problem, and keeps the connection.

    Starlette's own last resort (the `Exception` handler) answers and then raises the error
    again, for the server to log it; uvicorn then closes the connection, so every client on a
    keep-alive connection met a reset. Here the error is logged once and answered: a full or
    read-only store with 507, anything else with 500. Only once the answer has begun (a
    stream) is the error raised on: the half-sent answer cannot be mended, the connection must go.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception as error:
            if started:
                raise
            await _internal_error_answer(Request(scope), error)(scope, receive, send)


def install_problem_handlers(app: FastAPI) -> None:
    """Every error the API can meet answers as a problem."""
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(ProblemError, _problem_error)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _internal_error)


_DESCRIPTIONS = {
    400: "Malformed request header (e.g. If-Match)",
    401: "No token, or a bad, expired, revoked or foreign one",
    403: "The role or unit may not perform this act",
    404: "No such object",
    409: "Wrong state, or a stale If-Match (version conflict)",
    422: "Invalid request, or a rule of supervision work is broken",
    503: "Not ready",
    507: "The node's store is full or read-only: nothing was recorded; retry after Retry-After seconds",
}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` for the problems a route can answer with."""
    return {
        status: {"model": Problem, "description": _DESCRIPTIONS[status], "content": {PROBLEM_JSON: {}}}
        for status in statuses
    }


def move_problem_schemas(schema: dict[str, Any]) -> dict[str, Any]:
    """FastAPI files a response model under application/json; a problem's belongs under
    application/problem+json alone."""
    for path in schema.get("paths", {}).values():
        for operation in path.values():
            for response in operation.get("responses", {}).values():
                content = response.get("content", {})
                if PROBLEM_JSON in content and "application/json" in content:
                    content[PROBLEM_JSON] = content.pop("application/json")
    return schema
