"""`ducha federation up`: a three-level federation on one machine (province, Changchun, Nanguan).

Starts the three nats-servers (province with its JetStream domain and leaf-node listener, the city as
its leaf and listening for its own, the county as the city's leaf), writes each node's key and the
shared trust store, then one `ducha serve` per level; stops everything it started (by PID) on Ctrl-C.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer

from ducha.federation.topology import Federation3, free_port

federation_app = typer.Typer(help="Levels talking to each other: a local three-level federation.", no_args_is_help=True)


@federation_app.command("up")
def up(
    directory: Annotated[Path, typer.Option("--dir", help="Where the servers' stores and the nodes' data live")] = Path(
        "var/federation"
    ),
) -> None:
    """Start the province, city and county nats-servers (real leaf-node links) and a ducha node on each."""
    servers = Federation3(directory.resolve())
    trust = servers.write_trust_store()
    servers.start()
    nodes: list[subprocess.Popen[bytes]] = []
    try:
        for code, server in servers.servers.items():
            port = free_port()
            env = {**os.environ, "DUCHA_TRUST_STORE": str(trust), "DUCHA_CHILD_NODES": str(servers.child_nodes(code)).replace("'", '"')}
            argv = [sys.executable, "-m", "ducha.cli", "serve", "--node", code, "--nats-url", server.url,
                    "--data-dir", str(servers.data_dir(code)), "--port", str(port)]
            nodes.append(subprocess.Popen(argv, env=env))
            typer.echo(f"{code} ({server.domain}): nats {server.url} (pid {server.pid}), http://127.0.0.1:{port} (pid {nodes[-1].pid})")
        typer.echo(f"trust store: {trust}; Ctrl-C stops everything")
        signal.signal(signal.SIGTERM, _interrupt)
        while True:
            signal.pause()
    except KeyboardInterrupt:
        typer.echo("stopping")
    finally:
        for process in nodes:
            process.send_signal(signal.SIGTERM)
        for process in nodes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        servers.stop()


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt
