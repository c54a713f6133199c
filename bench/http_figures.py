"""HTTP figures: commands/s and queries/s against a server process, with aiohttp keep-alive clients.

The server runs in its own process (`bench.serve`), so client and server do not share a
GIL. The client is aiohttp, not httpx: on this machine httpx spends about 1.3 ms of CPU per
request on the client side (aiohttp about 0.1 ms), so with httpx both the ducha figures and
the bare ceiling measured mostly the client, sharing the server's two cores. The same client
code drives the ducha app and the bare FastAPI ceiling.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import uuid4

import aiohttp

from bench.env import Stopwatch, progress, say
from bench.workload import http_proposal

STOP_TIMEOUT = 20.0


@dataclass
class Server:
    """A running `bench.serve` process."""

    url: str
    tokens: dict[str, str]
    process: subprocess.Popen[bytes] = field(repr=False)


@contextlib.asynccontextmanager
async def server(kind: str, log_dir: Path, *args: str) -> AsyncIterator[Server]:
    """Starts `python -m bench.serve kind ...`, waits until it answers, stops it by its PID afterwards."""
    log_dir.mkdir(parents=True, exist_ok=True)
    with (log_dir / f"{kind}-server.log").open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "bench.serve", kind, str(log_dir), *args], stdout=subprocess.PIPE, stderr=log
        )
    try:
        line = await asyncio.to_thread(process.stdout.readline)
        if not line:
            raise RuntimeError(f"the {kind} server exited ({process.wait()}); see {log_dir}/{kind}-server.log")
        hello = json.loads(line)
        running = Server(f"http://127.0.0.1:{hello['port']}", hello["tokens"], process)
        await wait_until_up(running)
        yield running
    finally:
        await asyncio.to_thread(stop, process)


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM (uvicorn shuts down, the node stops), then SIGKILL if it lingers."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            say(f"server {process.pid} ignored SIGTERM: killing it")
            process.kill()
            process.wait()


async def wait_until_up(running: Server, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession(running.url) as session:
        while True:
            if running.process.poll() is not None:
                raise RuntimeError(f"the server exited with {running.process.returncode}")
            with contextlib.suppress(aiohttp.ClientConnectionError):
                async with session.get(f"/v1/cases/{uuid4()}"):
                    return  # any answer (404, 401) means the app is serving
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server did not answer within {timeout} s")
            await asyncio.sleep(0.05)


def client(url: str, concurrency: int) -> aiohttp.ClientSession:
    """Keep-alive connections, at most `concurrency` of them."""
    connector = aiohttp.TCPConnector(limit=concurrency, limit_per_host=concurrency)
    return aiohttp.ClientSession(url, connector=connector, timeout=aiohttp.ClientTimeout(total=30.0))


@dataclass
class Answer:
    headers: Mapping[str, str]  # case-insensitive
    body: Any


async def call(http: aiohttp.ClientSession, method: str, path: str, **options: Any) -> Answer:
    """One request; raises on a status >= 400, answers the JSON body."""
    async with http.request(method, path, **options) as response:
        response.raise_for_status()
        return Answer(response.headers.copy(), await response.json())


async def spread(
    count: int, concurrency: int, one: Callable[[int], Awaitable[int]], label: str, per_job: int = 1
) -> float:
    """Runs `one(i)` for i in range(count) on `concurrency` tasks; returns operations (what `one` answers) per second."""
    jobs = iter(range(count))
    done = 0

    async def worker(bar) -> None:
        nonlocal done
        for i in jobs:
            ops = await one(i)
            done += ops
            bar.update(ops)

    with progress(label, count * per_job) as bar, Stopwatch() as watch:
        await asyncio.gather(*(worker(bar) for _ in range(concurrency)))
    return done / watch.elapsed


async def command_rate(running: Server, cases: int, concurrency: int) -> tuple[float, list[str], int]:
    """Proposes then approves `cases` cases over HTTP; answers commands/s, the case ids and the last position."""
    agency = {"Authorization": f"Bearer {running.tokens['agency']}"}
    leader = {"Authorization": f"Bearer {running.tokens['leader']}"}
    ids: list[str] = []
    last = 0

    async with client(running.url, concurrency) as http:

        async def one(_: int) -> int:
            nonlocal last
            # Each case targets the next unit in turn, as the application layer's figure does: the
            # same work on both sides of the ratio (one target for all would make every approval
            # answer with the maximum of repeated-supervision warnings).
            proposed = await call(http, "POST", "/v1/cases", json=http_proposal(), headers=agency)
            case_id = proposed.body["id"]
            approved = await call(http, "POST", f"/v1/cases/{case_id}/approve", headers=leader)
            ids.append(case_id)
            last = max(last, approved.body["position"])
            return 2

        rate = await spread(cases, concurrency, one, "http commands", per_job=2)
    return rate, ids, last


async def query_rate(running: Server, ids: list[str], count: int, concurrency: int) -> float:
    """GET /v1/cases/{id} round the given ids; every answer must be 200."""
    headers = {"Authorization": f"Bearer {running.tokens['agency']}"} if running.tokens else {}
    async with client(running.url, concurrency) as http:

        async def one(i: int) -> int:
            await call(http, "GET", f"/v1/cases/{ids[i % len(ids)]}", headers=headers)
            return 1

        return await spread(count, concurrency, one, "http queries")


async def caught_up(running: Server, case_id: str, position: int) -> None:
    """Waits (via the API's own read-your-writes) until the case board holds every command's result."""
    headers = {"Authorization": f"Bearer {running.tokens['agency']}"}
    async with client(running.url, 1) as http:
        for _ in range(12):
            answer = await call(http, "GET", f"/v1/cases/{case_id}", params={"after": position, "wait": 5}, headers=headers)
            if answer.headers.get("Ducha-Consistency") == "fresh":
                return
    raise RuntimeError(f"the case board did not reach position {position} within a minute")
