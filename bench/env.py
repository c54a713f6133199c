"""What every measurement stands on: sizes, temporary directories, the nats-server, progress."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm


@dataclass(frozen=True)
class Sizes:
    """How much work each figure does; `--quick` shrinks all of it."""

    store_cases: int = 3000  # each case = 2 one-event commands (propose, approve)
    concurrency: int = 64
    http_cases: int = 1500
    http_queries: int = 8000
    http_clients: int = 32  # aiohttp keep-alive connections; commands wait on the group commit, so more callers help
    bus_events: int = 20000
    publish_window: int = 256
    fetch_batch: int = 256
    latency_probe_seconds: float = 4.0
    latency_seconds: float = 10.0
    lifecycle_cases: int = 2000  # each case = 13 one-event commands
    ledger_tasks: int = 40  # provincial tasks, each decomposed to the 9 prefectures and their counties
    ledger_reports: int = 12  # progress reports per county task
    audit_events: int = 200_000  # the larger audit size (the smaller is a tenth)

    @classmethod
    def quick(cls) -> Sizes:
        return cls(
            store_cases=500, http_cases=300, http_queries=1500, bus_events=3000,
            latency_probe_seconds=2.0, latency_seconds=3.0, lifecycle_cases=300, ledger_tasks=4, ledger_reports=6,
            audit_events=20_000,
        )


@contextlib.contextmanager
def temp_dir(label: str) -> Iterator[Path]:
    """A fresh directory under the system temp dir, removed afterwards whatever happens."""
    path = Path(tempfile.mkdtemp(prefix=f"ducha-bench-{label}-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@contextlib.asynccontextmanager
async def nats_server(store_dir: Path) -> AsyncIterator[str]:
    """A real embedded nats-server (sync always) on a free loopback port; stopped by its PID afterwards."""
    from ducha.embedded_nats import EmbeddedNats
    from ducha.settings import JetStreamSync

    server = await asyncio.to_thread(EmbeddedNats.start, store_dir, JetStreamSync.ALWAYS)
    try:
        yield server.url
    finally:
        await asyncio.to_thread(server.stop)


def progress(label: str, total: int) -> tqdm:
    """A progress bar on stderr, so stdout carries the table only."""
    return tqdm(total=total, desc=label, file=sys.stderr, leave=False, unit="op", dynamic_ncols=True)


class Stopwatch:
    """Wall time of a block, by perf_counter."""

    def __enter__(self) -> Stopwatch:
        self.started = time.perf_counter()
        self.elapsed = 0.0
        return self

    def __exit__(self, *_: object) -> None:
        self.elapsed = time.perf_counter() - self.started


def say(message: str) -> None:
    tqdm.write(message, file=sys.stderr)
