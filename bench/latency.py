"""Command-to-visible latency: a command through the application layer of a running node,
until the case board's projector has applied its position (`wait_for`).

First the sustainable rate: closed-loop callers for a few seconds, counted until the last
command is applied by every projection of the node (so any projector that falls behind
lowers it: a rate at which some view's lag keeps growing is not sustainable). Then commands
are paced open-loop at half that rate; each latency runs from the command's scheduled
start (not its actual start), so a stall is not hidden by the callers waiting it out.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass

from bench.env import Sizes, progress, say
from bench.workload import AGENCY, LEADER, case_fields

VISIBLE_TIMEOUT = 10.0


FIXED_RATES = (250.0, 500.0, 1000.0)  # also measured at these rates, so runs of different throughput compare


@dataclass
class Latencies:
    sustainable: float
    paced: float
    p50_ms: float
    p99_ms: float
    count: int
    timeouts: int
    at_rates: dict[float, tuple[float, float]]  # rate -> (p50 ms, p99 ms)


async def sustainable_rate(node, seconds: float, concurrency: int) -> float:
    """Commands/s from the first command until every projection has applied the last one."""
    projector = node.projectors["case_board"]
    deadline = time.perf_counter() + seconds
    done = 0
    last = 0

    async def caller() -> None:
        nonlocal done, last
        while time.perf_counter() < deadline:
            proposed = await node.cases.propose(AGENCY, **case_fields())
            approved = await node.cases.approve(LEADER, proposed.aggregate.id)
            done += 2
            last = max(last, approved.position)

    started = time.perf_counter()
    await asyncio.gather(*(caller() for _ in range(concurrency)))
    say(f"{done} commands in {time.perf_counter() - started:.1f} s; the board is at {projector.position} of {last}")
    for name, view in node.projectors.items():
        if not await view.wait_for(last, timeout=120):
            raise RuntimeError(f"the projection {name} did not reach {last} within 120 s")
    return done / (time.perf_counter() - started)


async def paced(node, rate: float, seconds: float) -> tuple[list[float], int]:
    """Issues commands at `rate` per second (propose, then approve that case, alternately)."""
    projector = node.projectors["case_board"]
    count = max(int(rate * seconds) // 2 * 2, 2)
    interval = 1.0 / rate
    latencies: list[float] = []
    timeouts = 0
    proposals: dict[int, asyncio.Future] = {}

    async def command(k: int, scheduled: float) -> None:
        nonlocal timeouts
        if k % 2 == 0:
            outcome = await node.cases.propose(AGENCY, **case_fields())
            proposals[k + 1].set_result(outcome.aggregate.id)
        else:
            outcome = await node.cases.approve(LEADER, await proposals[k])
        if not await projector.wait_for(outcome.position, timeout=VISIBLE_TIMEOUT):
            timeouts += 1
        latencies.append(time.perf_counter() - scheduled)
        bar.update(1)

    loop = asyncio.get_running_loop()
    tasks = []
    with progress("paced commands", count) as bar:
        start = time.perf_counter() + 0.05
        for k in range(count):
            if k % 2 == 0:
                proposals[k + 1] = loop.create_future()
            scheduled = start + k * interval
            await asyncio.sleep(max(0.0, scheduled - time.perf_counter()))
            tasks.append(asyncio.create_task(command(k, scheduled)))
        await asyncio.gather(*tasks)
    return latencies, timeouts


async def measure(node, sizes: Sizes) -> Latencies:
    rate = await sustainable_rate(node, sizes.latency_probe_seconds, sizes.concurrency)
    say(f"sustainable rate, commands until visible: {rate:,.0f}/s; pacing at {rate / 2:,.0f}/s")
    latencies, timeouts = await paced(node, rate / 2, sizes.latency_seconds)
    at_rates = {}
    for fixed in FIXED_RATES:
        at_rate, _ = await paced(node, fixed, sizes.latency_seconds / 2)
        at_rates[fixed] = percentiles(at_rate)
    return Latencies(rate, rate / 2, *percentiles(latencies), len(latencies), timeouts, at_rates)


def percentiles(latencies: list[float]) -> tuple[float, float]:
    """p50 and p99 in milliseconds."""
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return 1000 * cuts[49], 1000 * cuts[98]
