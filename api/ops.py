"""Operations: liveness (/healthz), readiness (/readyz) and Prometheus metrics (/metrics)."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from api.deps import NodeDep
from api.problems import problem_response, problems
from ducha.bootstrap import Node

router = APIRouter(tags=["operations"])

# A projection further behind than this many events makes the node not ready: its queries
# would answer with old data for longer than read-your-writes clients wait.
MAX_READY_LAG = 1000


@router.get("/healthz", summary="The process is up")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


def _checks(node: Node) -> dict[str, dict[str, Any]]:
    """Each readiness check and its result (blocking: the store and the lags are read here)."""
    checks: dict[str, dict[str, Any]] = {
        "store": _store_check(node),
        "nats": {"ok": node.nc is not None and node.nc.is_connected},
    }
    for name, projector in node.projectors.items():
        lag = projector.lag
        checks[f"projection:{name}"] = {"ok": lag <= MAX_READY_LAG, "lag": lag}
    if not node.projectors:
        checks["projections"] = {"ok": False, "detail": "not started"}
    return checks


def _store_check(node: Node) -> dict[str, Any]:
    """Readable, and not refusing writes: a full or read-only store fails the check from a refused
    commit until one succeeds (`ducha.store_faults.WriteHealth`)."""
    try:
        position = node.reader.last_position()
    except Exception as error:  # any failure to read the store means not ready; the answer says which
        return {"ok": False, "detail": type(error).__name__}
    if (refused := node.writer.health.failing()) is not None:
        return {"ok": False, "position": position, **refused}
    return {"ok": True, "position": position}


@router.get("/readyz", summary="The store, NATS and projections are usable", responses=problems(503))
async def readyz(request: Request, node: NodeDep) -> Response:
    checks = await asyncio.to_thread(_checks, node)
    if all(check["ok"] for check in checks.values()):
        return JSONResponse({"status": "ready", "checks": checks})
    failing = ", ".join(name for name, check in checks.items() if not check["ok"])
    return problem_response(
        request,
        type="urn:ducha:problem:not-ready",
        title="The node is not ready",
        status=503,
        detail=f"failing: {failing}",
        checks=checks,
    )


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
