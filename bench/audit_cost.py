"""The cost of the audit (审计): checkpoint, verify, export and offline verify of a large history, and its memory.

`run(events)` measures each size in a fresh child process (so each peak RSS is its own):
a history of `events // 10` events, then of `events`. The history is written fast, around the
domain and the writer: one real case proposed and approved gives the two stored events
(mapper → `StoredEvent`), copied under new aggregate ids and inserted through the
eventsourcing recorder `INSERT_BATCH` at a time. The audit reads only the recorder's
notifications, so it sees an ordinary history. Then, timed one after another:

* checkpoint — index every event (leaf, chain, tree nodes) and sign (`Auditor.checkpoint`);
* verify — recompute the chain and the tree from the store against the checkpoints (`verify_store`);
* export — a complete export to a directory (`Auditor.export`);
* verify export — the export verified offline (`verify_export`).

Memory: the child's peak RSS once the history is written and after the audit; the audit's
growth is the difference. Equal growth at both sizes shows it does not grow with the history.
Run `python -m bench.audit_cost --events 1000000`.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

NODE = "220000"
DEFAULT_EVENTS = 100_000
INSERT_BATCH = 10_000


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _templates() -> list[Any]:
    """The stored form of a real CaseProposed and CaseApproved (the states are ~500 bytes)."""
    from bench.workload import approve, proposed_case
    from ducha.store import DuchaApplication
    from ducha.units import load_registry

    registry = load_registry()
    now = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
    case = approve(proposed_case(registry, now), registry, now)
    mapper = DuchaApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"}).mapper
    return [mapper.to_stored_event(event) for event in case.collect_events()]


def write_history(app: Any, events: int) -> None:
    """`events` stored events, two per case, inserted straight through the recorder in large batches."""
    from eventsourcing.persistence import StoredEvent

    templates = _templates()
    written = 0
    while written < events:
        batch: list[StoredEvent] = []
        while len(batch) < min(INSERT_BATCH, events - written):
            case_id = uuid4()
            for template in templates[: events - written - len(batch)]:
                batch.append(StoredEvent(case_id, template.originator_version, template.topic, template.state))
        app.recorder.insert_events(batch)
        written += len(batch)


def _timed(action: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    result = action()
    return result, time.perf_counter() - started


def measure(events: int) -> dict[str, Any]:
    """One size, in this process: write the history, then time the four audit steps."""
    from ducha.audit.chain import Auditor
    from ducha.audit.checkpoints import AuditStore
    from ducha.audit.offline import verify_export
    from ducha.keys import NodeKey
    from ducha.store import EventReader, open_store

    directory = Path(tempfile.mkdtemp(prefix="ducha-bench-audit-"))
    try:
        app = open_store(None, directory / "data")
        _, write_seconds = _timed(lambda: write_history(app, events))
        store = AuditStore.open(None, directory / "data")
        auditor = Auditor(EventReader(app, NODE), NodeKey.load_or_create(directory / "data"), store)
        rss_history = _rss_mb()
        checkpoint, seconds_checkpoint = _timed(auditor.checkpoint)
        verified, seconds_verify = _timed(auditor.verify_store)
        _, seconds_export = _timed(lambda: auditor.export(directory / "export"))
        offline, seconds_offline = _timed(lambda: verify_export(directory / "export"))
        assert checkpoint.size == events and verified.ok and offline.ok, (verified.text(), offline.text())
        store.close()
        app.close()
        rss_peak = _rss_mb()
        return {
            "events": events,
            "write_events_per_s": round(events / write_seconds),
            "checkpoint_events_per_s": round(events / seconds_checkpoint),
            "verify_events_per_s": round(events / seconds_verify),
            "export_events_per_s": round(events / seconds_export),
            "verify_export_events_per_s": round(events / seconds_offline),
            "seconds": {"checkpoint": round(seconds_checkpoint, 1), "verify": round(seconds_verify, 1),
                        "export": round(seconds_export, 1), "verify_export": round(seconds_offline, 1)},
            "rss_after_history_mb": round(rss_history, 1),
            "rss_peak_mb": round(rss_peak, 1),
            "audit_rss_growth_mb": round(rss_peak - rss_history, 1),
        }
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _child(events: int, queue: Any) -> None:
    try:
        queue.put(measure(events))
    except BaseException as error:  # the parent reports it; the other size goes on
        queue.put({"events": events, "error": f"{type(error).__name__}: {error}"})


def measure_in_child(events: int) -> dict[str, Any]:
    """`measure(events)` in a fresh process, so that its peak RSS is its own."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_child, args=(events, queue), name=f"bench-audit-{events}")
    process.start()
    try:
        return queue.get()
    finally:
        process.join()


def run(events: int = DEFAULT_EVENTS) -> dict[str, Any]:
    """The figures at `events // 10` and at `events` events; `memory_flat` when the audit's RSS growth did not grow."""
    small, large = measure_in_child(max(events // 10, 2)), measure_in_child(events)
    figures: dict[str, Any] = {"small": small, "large": large}
    if "error" not in small and "error" not in large:
        # Flat: the large history's audit grew the RSS no more than the small one's, give or take 16 MB of noise.
        figures["memory_flat"] = large["audit_rss_growth_mb"] <= small["audit_rss_growth_mb"] + 16
    return figures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=DEFAULT_EVENTS, help="the larger size (the smaller is a tenth)")
    args = parser.parse_args(argv)
    json.dump(run(args.events), sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
