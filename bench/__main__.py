"""`python -m bench [--quick]`: runs every figure, prints the table on stdout."""

from __future__ import annotations

import argparse
import dataclasses
import asyncio
import logging
import signal
import sys

import uvloop

from bench import figures
from bench.env import Sizes
from bench.report import table
from ducha.logging import configure_logging


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a smaller run (about a fifth of the work)")
    parser.add_argument("--only", nargs="*", default=None, help="run only these sections: " + ", ".join(figures.SECTIONS))
    parser.add_argument(
        "--audit-events", type=int, default=None,
        help=f"the audit section's larger history (default {Sizes.audit_events:,}; 1000000 for the issue's figure)",
    )
    args = parser.parse_args(argv)
    sizes = Sizes.quick() if args.quick else Sizes()
    if args.audit_events is not None:
        sizes = dataclasses.replace(sizes, audit_events=args.audit_events)
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # so `kill PID` cleans up like Ctrl-C
    configure_logging(json=False, level=logging.WARNING)  # the nodes' info lines would drown the progress bars
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        results = runner.run(figures.run_all(sizes, args.only))
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
