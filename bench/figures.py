"""Which figures a run measures, in order, each guarded so a missing part reads "not available"."""

from __future__ import annotations

import asyncio
import traceback
from collections.abc import Awaitable, Callable
from uuid import uuid4

from bench.env import Sizes, say
from bench.report import Figure, Target, no_target, p99_below, ratio_at_least

Measure = Callable[[Figure], Awaitable[None]]


async def guarded(figure: Figure, measure: Measure) -> Figure:
    """Runs one measurement; an absent module or a failure becomes the figure's reason, not a crash."""
    try:
        await measure(figure)
    except ImportError as error:
        figure.missing = f"{error.name or error} is not built yet" if error.name else str(error)
    except Exception as error:  # a broken part must not take the other figures with it
        say("".join(traceback.format_exception(error)))
        figure.missing = f"{type(error).__name__}: {error}"
    return figure


async def store_section(sizes: Sizes, registry, earlier: dict[str, Figure]) -> list[Figure]:
    from bench import store_figures

    app_layer = Figure(APP_LAYER, "cmd/s", ratio_at_least(0.70), ceiling_name=BARE_STORE)

    async def measure(figure: Figure) -> None:
        figure.ceiling = store_figures.bare_store_rate(registry, sizes.store_cases)
        figure.value = await store_figures.app_layer_rate(registry, sizes)
        figure.notes.append(
            f"{2 * sizes.store_cases} one-event commands (propose; get+approve) by {sizes.concurrency} tasks "
            "through CaseCommands/Writer; ceiling: the same commands in a sequential loop, one app.save each"
        )

    return [await guarded(app_layer, measure)]


async def bus_section(sizes: Sizes, registry, earlier: dict[str, Figure]) -> list[Figure]:
    from bench import bus_figures as bus
    from bench.env import nats_server, temp_dir

    relay = Figure("relay events/s (backlog)", "ev/s", ratio_at_least(0.50), ceiling_name="bare publish_async")
    projection = Figure("projection events/s (backlog)", "ev/s", ratio_at_least(0.30), ceiling_name="bare pull+ack")
    with temp_dir("bus") as root:

        async def measure(_: Figure) -> None:
            backlog = bus.seed_backlog(registry, root / "store", sizes.bus_events)
            try:
                async with nats_server(root / "nats") as url:
                    await bus_measures(sizes, url, root, backlog, relay, projection)
            finally:
                backlog.app.close()

        await guarded(relay, measure)
        if relay.missing and projection.value is None and projection.missing is None:
            projection.missing = relay.missing
    return [relay, projection]


async def bus_measures(sizes: Sizes, url: str, root, backlog, relay: Figure, projection: Figure) -> None:
    from bench import bus_figures as bus

    n = backlog.last_position

    async def measure_relay(figure: Figure) -> None:
        window = 1000  # the Relay's own default window, checked below
        figure.ceiling = await bus.bare_publish_rate(url, backlog.messages, window)
        figure.value, relay_window = await bus.relay_rate(url, backlog)
        figure.notes.append(
            f"{n} events from a seeded SQLite store to a file stream (sync always, duplicate window, Nats-Msg-Id); "
            f"relay window {relay_window}, ceiling window {window}; ceiling bodies pre-serialized"
        )

    async def measure_projection(figure: Figure) -> None:
        await bus.fill_if_short(url, backlog)  # the stream must hold the backlog even if the relay failed
        figure.ceiling = await bus.bare_consume_rate(url, n, sizes.fetch_batch)
        figure.value = await bus.projection_rate(url, root / "views", n)
        figure.notes.append(f"{n} envelopes on the stream to the case board (SQLite views); ceiling fetch batch {sizes.fetch_batch}")

    await guarded(relay, measure_relay)
    await guarded(projection, measure_projection)


async def http_section(sizes: Sizes, registry, earlier: dict[str, Figure]) -> list[Figure]:
    from bench import http_figures as http
    from bench.env import nats_server, temp_dir

    commands = Figure("commands/s, HTTP", "cmd/s", ratio_at_least(0.70), ceiling_name="application layer")
    floor = Figure("commands/s, HTTP floor", "cmd/s", no_target(), ceiling_name="application layer")
    queries = Figure("queries/s, HTTP by id", "req/s", ratio_at_least(0.50), ceiling_name="bare FastAPI")
    app_layer = earlier.get(APP_LAYER)
    commands.ceiling = floor.ceiling = app_layer.value if app_layer else None
    with temp_dir("http") as root:

        async def measure_bare(figure: Figure) -> None:
            async with http.server("bare", root / "bare") as running:
                figure.ceiling = await http.query_rate(running, [str(uuid4()) for _ in range(100)], sizes.http_queries, sizes.http_clients)

        async def measure_ducha(figure: Figure) -> None:
            async with nats_server(root / "nats") as url, http.server("ducha", root / "node", url) as running:
                commands.value, ids, last = await http.command_rate(running, sizes.http_cases, sizes.http_clients)
                await http.caught_up(running, ids[-1], last)
                queries.value = await http.query_rate(running, ids, sizes.http_queries, sizes.http_clients)

        async def measure_floor(figure: Figure) -> None:
            async with nats_server(root / "floor-nats") as url, http.server("floor", root / "floor", url) as running:
                figure.value, _, _ = await http.command_rate(running, sizes.http_cases, sizes.http_clients)

        await guarded(queries, measure_bare)
        await guarded(commands, measure_ducha)
        await guarded(floor, measure_floor)
        if commands.missing and queries.value is None:
            queries.missing = commands.missing
    commands.notes.append(
        f"{sizes.http_cases} cases proposed then approved by {sizes.http_clients} aiohttp keep-alive clients against a "
        "server process (uvicorn, uvloop, httptools) running the whole node (relay and projector too)"
    )
    queries.notes.append(
        f"{sizes.http_queries} GET /v1/cases/{{id}} (bearer token checked, case board read) by {sizes.http_clients} "
        "clients; ceiling: a bare FastAPI endpoint returning a 4-key dict, same server set-up and client"
    )
    floor.notes.append(
        "the least an HTTP command costs here: the same cases and clients against a bare FastAPI app (body "
        "models, no token, authorization, middleware, access log or warnings) calling the same application "
        "layer of a whole running node (relay and projectors too)"
    )
    return [commands, floor, queries]


async def latency_section(sizes: Sizes, registry, earlier: dict[str, Figure]) -> list[Figure]:
    from bench import latency
    from bench.env import nats_server, temp_dir
    from bench.workload import NODE

    figure = Figure("command-to-visible latency", "ms", p99_below(100), ceiling_name="(no ceiling)")
    running = Figure("commands/s, application layer, running node", "cmd/s", no_target(), ceiling_name="application layer")
    app_layer = earlier.get(APP_LAYER)
    running.ceiling = app_layer.value if app_layer else None

    async def measure(figure: Figure) -> None:
        from ducha.bootstrap import bootstrap
        from ducha.settings import Settings

        with temp_dir("latency") as root:
            async with nats_server(root / "nats") as url:
                node = bootstrap(Settings(data_dir=root / "node", nats_url=url, node=NODE), registry=registry)
                await node.start()
                try:
                    found = await latency.measure(node, sizes)
                finally:
                    await node.stop()
        figure.p50_ms, figure.p99_ms = found.p50_ms, found.p99_ms
        running.value = found.sustainable
        running.notes.append(
            "the sustainable rate below: the application layer's commands on a started node (relay and all "
            "projectors in the same process), counted until every projection applied the last one"
        )
        figure.notes.append(
            f"app-layer commands on a running node (relay + projector), {found.count} commands paced at "
            f"{found.paced:,.0f}/s = half the sustainable {found.sustainable:,.0f}/s (measured first, until every projection applied the last command); "
            f"{found.timeouts} not visible within {latency.VISIBLE_TIMEOUT:g} s"
        )
        figure.notes.append(
            "the same at fixed rates: " + ", ".join(
                f"{rate:,.0f}/s p50 {p50:.1f} ms p99 {p99:.1f} ms" for rate, (p50, p99) in found.at_rates.items()
            )
        )

    await guarded(figure, measure)
    if figure.missing:
        running.missing = figure.missing
    return [running, figure]


async def _bare_ceiling(sizes: Sizes, registry, earlier: dict[str, Figure]) -> float:
    """The bare eventsourcing ceiling: as measured earlier in this run, else measured here."""
    from bench import store_figures

    for figure in earlier.values():  # the store section's, or another section's that measured it in this run
        if figure.ceiling_name == BARE_STORE and figure.ceiling:
            return figure.ceiling
    return await asyncio.to_thread(store_figures.bare_store_rate, registry, sizes.store_cases)


async def lifecycle_section(sizes: Sizes, registry, earlier: dict[str, Figure]) -> list[Figure]:
    from bench import lifecycle
    from bench.env import nats_server, temp_dir

    commands = Figure("commands/s, lifecycle mix", "cmd/s", ratio_at_least(0.70), ceiling_name=BARE_STORE)
    projection = Figure(
        "projection events/s, lifecycle mix, all projections", "ev/s", ratio_at_least(0.30),
        ceiling_name="bare pull+ack, one consumer per projection",
    )
    with temp_dir("lifecycle") as root:
        mixed = None

        async def measure_write(figure: Figure) -> None:
            nonlocal mixed
            figure.ceiling = await _bare_ceiling(sizes, registry, earlier)
            mixed = await lifecycle.write_mix(registry, root / "node", sizes)
            figure.value = mixed.rate
            figure.notes.append(
                f"{sizes.lifecycle_cases} cases x {lifecycle.STEPS} one-event commands (propose ... close, 13 steps) by "
                f"{sizes.concurrency} callers through CaseCommands/Writer; ceiling: the store figure's bare loop"
            )

        async def measure_projection(figure: Figure) -> None:
            if mixed is None:
                raise RuntimeError("no mixed history: the write figure failed")
            async with nats_server(root / "nats") as url:
                events = await lifecycle.publish_history(url, mixed.node.reader)
                figure.ceiling = await lifecycle.bare_consumers_rate(url, events, len(mixed.node.projections), sizes.fetch_batch)
                figure.value = await lifecycle.project_all(url, mixed.node, mixed.last_position)
            figure.notes.append(
                f"{mixed.last_position} events of the mix on the stream, through all {len(mixed.node.projections)} "
                f"projections ({', '.join(mixed.node.projections)}), one projector each as Node.start builds them, "
                f"from zero to all applied; ceiling: as many bare durable pull consumers at once, fetch {sizes.fetch_batch} and ack"
            )

        try:
            await guarded(commands, measure_write)
            await guarded(projection, measure_projection)
        finally:
            if mixed is not None:
                lifecycle.close(mixed.node)
    return [commands, projection]


async def ledger_section(sizes: Sizes, registry, earlier: dict[str, Figure]) -> list[Figure]:
    from bench import ledger_figures
    from bench.env import temp_dir

    reports = Figure("ledger reports/s, province", "rep/s", ratio_at_least(0.70), ceiling_name=BARE_STORE)
    tree = Figure("ledger tree query, one provincial task", "ms", p99_below(200), ceiling_name="(no ceiling)")

    async def measure(figure: Figure) -> None:
        figure.ceiling = await _bare_ceiling(sizes, registry, earlier)
        with temp_dir("ledger") as root:
            found = await ledger_figures.measure(registry, root / "node", sizes)
        figure.value = found.reports_per_s
        figure.notes.append(
            f"{found.tasks} tasks ({sizes.ledger_tasks} provincial tasks, each to the 9 prefectures and their counties, "
            f"all accepted; set-up {found.setup_seconds:.1f} s, not timed), then {found.reports} progress reports "
            f"({sizes.ledger_reports} per county task) by {sizes.concurrency} callers, each rolled up into its prefecture's "
            f"task in the same act (2 events); {found.events} events in all"
        )
        tree.p50_ms, tree.p99_ms = found.tree_p50_ms, found.tree_p99_ms
        tree.notes.append(
            f"{ledger_figures.TREE_QUERIES} times the body of GET /v1/tasks/{{id}}/tree (subtree + lights of today) "
            f"over {found.tree_rows} tasks, on the ledger tree view rebuilt from that history"
        )

    await guarded(reports, measure)
    if reports.missing and tree.p99_ms is None:
        tree.missing = reports.missing
    return [reports, tree]


AUDIT_STEPS = {"verify_events_per_s": "audit verify", "export_events_per_s": "audit export",
               "verify_export_events_per_s": "audit verify export (offline)", "checkpoint_events_per_s": "audit checkpoint"}


async def audit_section(sizes: Sizes, registry, earlier: dict[str, Figure]) -> list[Figure]:
    from bench import audit_cost

    n = sizes.audit_events
    rates = {key: Figure(f"{name} events/s ({n:,} events)", "ev/s", no_target(), ceiling_name="(no ceiling)")
             for key, name in AUDIT_STEPS.items()}
    verdict: dict[str, bool] = {}
    flat = Target("growth at N <= growth at N/10 + 16 MB", lambda f: verdict.get("flat", False))
    memory = Figure(f"audit RSS growth ({n:,} events)", "MB", flat, ceiling_name="(no ceiling)")

    async def measure(_: Figure) -> None:
        say(f"audit: a history of {n // 10} then {n} events, each in its own process")
        found = await asyncio.to_thread(audit_cost.run, n)
        small, large = found["small"], found["large"]
        for part in (small, large):
            if "error" in part:
                raise RuntimeError(f"{part['events']} events: {part['error']}")
        for key, figure in rates.items():
            figure.value = large[key]
        memory.value = large["audit_rss_growth_mb"]
        verdict["flat"] = found["memory_flat"]
        memory.notes.append(
            f"peak RSS growth over the audit: {small['audit_rss_growth_mb']} MB at {small['events']:,} events, "
            f"{large['audit_rss_growth_mb']} MB at {large['events']:,}; the child's peak RSS "
            f"{small['rss_peak_mb']} MB and {large['rss_peak_mb']} MB (a high-water mark: growth is over the peak "
            f"reached writing the history); seconds at {n:,}: {large['seconds']}; for the 1M figure: "
            "python -m bench --only audit --audit-events 1000000"
        )

    first = rates["verify_events_per_s"]
    await guarded(first, measure)
    for figure in [*rates.values(), memory]:
        if first.missing and figure.value is None:
            figure.missing = first.missing
    return [*rates.values(), memory]


APP_LAYER = "commands/s, application layer"
BARE_STORE = "bare eventsourcing"
SECTIONS = {
    "store": store_section, "bus": bus_section, "http": http_section, "latency": latency_section,
    "lifecycle": lifecycle_section, "ledger": ledger_section, "audit": audit_section,
}


async def run_all(sizes: Sizes, only: list[str] | None) -> list[Figure]:
    from ducha.units import load_registry

    registry = load_registry()
    results: list[Figure] = []
    for name, section in SECTIONS.items():
        if only and name not in only:
            continue
        say(f"== {name}")
        results.extend(await section(sizes, registry, {f.name: f for f in results}))
    return results
