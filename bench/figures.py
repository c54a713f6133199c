"""Which figures a run measures, in order, each guarded so a missing part reads "not available"."""

from __future__ import annotations

import traceback
from collections.abc import Awaitable, Callable
from uuid import uuid4

from bench.env import Sizes, say
from bench.report import Figure, p99_below, ratio_at_least

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

    app_layer = Figure(APP_LAYER, "cmd/s", ratio_at_least(0.70), ceiling_name="bare eventsourcing")

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
    queries = Figure("queries/s, HTTP by id", "req/s", ratio_at_least(0.50), ceiling_name="bare FastAPI")
    app_layer = earlier.get(APP_LAYER)
    commands.ceiling = app_layer.value if app_layer else None
    with temp_dir("http") as root:

        async def measure_bare(figure: Figure) -> None:
            async with http.server("bare", root / "bare") as running:
                figure.ceiling = await http.query_rate(running, [str(uuid4()) for _ in range(100)], sizes.http_queries, sizes.http_clients)

        async def measure_ducha(figure: Figure) -> None:
            async with nats_server(root / "nats") as url, http.server("ducha", root / "node", url) as running:
                commands.value, ids, last = await http.command_rate(running, sizes.http_cases, sizes.http_clients)
                await http.caught_up(running, ids[-1], last)
                queries.value = await http.query_rate(running, ids, sizes.http_queries, sizes.http_clients)

        await guarded(queries, measure_bare)
        await guarded(commands, measure_ducha)
        if commands.missing and queries.value is None:
            queries.missing = commands.missing
    commands.notes.append(
        f"{sizes.http_cases} cases proposed then approved by {sizes.http_clients} httpx keep-alive clients against a "
        "server process (uvicorn, uvloop, httptools) running the whole node (relay and projector too)"
    )
    queries.notes.append(
        f"{sizes.http_queries} GET /v1/cases/{{id}} (bearer token checked, case board read) by {sizes.http_clients} "
        "clients; ceiling: a bare FastAPI endpoint returning a 4-key dict, same server set-up and client"
    )
    return [commands, queries]


async def latency_section(sizes: Sizes, registry, earlier: dict[str, Figure]) -> list[Figure]:
    from bench import latency
    from bench.env import nats_server, temp_dir
    from bench.workload import NODE

    figure = Figure("command-to-visible latency", "ms", p99_below(100), ceiling_name="(no ceiling)")

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
        figure.notes.append(
            f"app-layer commands on a running node (relay + projector), {found.count} commands paced at "
            f"{found.paced:,.0f}/s = half the sustainable {found.sustainable:,.0f}/s (measured first, until visible); "
            f"{found.timeouts} not visible within {latency.VISIBLE_TIMEOUT:g} s"
        )

    return [await guarded(figure, measure)]


APP_LAYER = "commands/s, application layer"
SECTIONS = {"store": store_section, "bus": bus_section, "http": http_section, "latency": latency_section}


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
