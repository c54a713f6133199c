"""`ducha federation up`: a three-level federation on one machine (province, Changchun, Nanguan);
`ducha federation dead-letters`: the messages from other levels a node refused (死信), with their reasons.

Starts the three nats-servers (province with its JetStream domain and leaf-node listener, the city as
its leaf and listening for its own, the county as the city's leaf), writes each node's key and the
shared trust store, then one `ducha serve` per level; stops everything it started (by PID) on Ctrl-C.
"""

from __future__ import annotations

import json
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


@federation_app.command("dead-letters")
def dead_letters(
    data_dir: Annotated[Path | None, typer.Option(help="Data directory [env DUCHA_DATA_DIR; default ./var]")] = None,
    store_url: Annotated[str | None, typer.Option(help="postgresql://… views [env DUCHA_STORE_URL; default SQLite]")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line instead of a table")] = False,
) -> None:
    """The messages from other levels this node refused: time, message id, sender, contract and reason."""
    from ducha.federation import state
    from ducha.settings import Settings
    from projections.store import ViewStore

    settings = Settings(**{k: v for k, v in {"data_dir": data_dir, "store_url": store_url}.items() if v is not None})
    views = ViewStore.open(settings.store_url, settings.data_dir)
    try:
        state.install(views)
        letters = state.dead_letters(views)
    finally:
        views.close()
    keep = ("at", "message_id", "sender", "contract", "reason")
    for letter in letters:
        row = {k: letter[k] for k in keep}
        typer.echo(json.dumps(row, ensure_ascii=False) if as_json else "\t".join(str(row[k] or "-") for k in keep))
    if not as_json:
        typer.echo(f"{len(letters)} dead letters", err=True)


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt
