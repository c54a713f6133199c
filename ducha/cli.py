"""The `ducha` command: serve a node, issue tokens, rebuild and digest projections.

Every setting of `ducha serve` is a --flag and a DUCHA_ environment variable (flags win).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from ducha.audit.cli import audit_app
from ducha.federation.cli import federation_app
from ducha.settings import JetStreamSync, Settings

app = typer.Typer(help="ducha (督查): government supervision work, one node per level.", no_args_is_help=True)
token_app = typer.Typer(help="Bearer tokens signed by this node.", no_args_is_help=True)
projections_app = typer.Typer(help="Rebuild projections and print their digests.", no_args_is_help=True)
app.add_typer(token_app, name="token")
app.add_typer(projections_app, name="projections")
app.add_typer(audit_app, name="audit")
app.add_typer(federation_app, name="federation")

DataDir = Annotated[Path | None, typer.Option(help="Data directory [env DUCHA_DATA_DIR; default ./var]")]
Node = Annotated[str | None, typer.Option("--node", help="The node's unit code [env DUCHA_NODE; default 220000]")]
StoreUrl = Annotated[str | None, typer.Option(help="postgresql://… event store [env DUCHA_STORE_URL; default SQLite]")]


def settings_from(**flags: Any) -> Settings:
    """Settings from the environment, overridden by the flags that were given."""
    return Settings(**{name: value for name, value in flags.items() if value is not None})


@app.command()
def serve(
    data_dir: DataDir = None,
    host: Annotated[str | None, typer.Option(help="HTTP address [env DUCHA_HOST; default 127.0.0.1]")] = None,
    port: Annotated[int | None, typer.Option(help="HTTP port [env DUCHA_PORT; default 8000]")] = None,
    node: Node = None,
    nats_url: Annotated[str | None, typer.Option(help="External NATS [env DUCHA_NATS_URL; default embedded]")] = None,
    store_url: StoreUrl = None,
    jetstream_sync: Annotated[
        JetStreamSync | None, typer.Option(help="Embedded JetStream sync_interval [env DUCHA_JETSTREAM_SYNC; default always]")
    ] = None,
    trust_store: Annotated[
        Path | None,
        typer.Option(
            exists=True, dir_okay=False, readable=True,
            help="JSON {node code: Ed25519 public key} of the levels this node talks to; set = federated "
            "[env DUCHA_TRUST_STORE; default not federated]",
        ),
    ] = None,
    nats_nkey_seed: Annotated[
        Path | None,
        typer.Option(
            exists=True, dir_okay=False, readable=True,
            help="The node's nkey seed (python -m ducha.nats_auth): every NATS connection authenticates with it "
            "[env DUCHA_NATS_NKEY_SEED; default no authentication]",
        ),
    ] = None,
) -> None:
    """Start a node: HTTP API, event store, relay and projections (embedded nats-server unless --nats-url)."""
    import uvicorn

    from api.app import create_app
    from ducha.bootstrap import bootstrap
    from ducha.logging import configure_logging

    settings = settings_from(
        data_dir=data_dir, host=host, port=port, node=node, nats_url=nats_url, store_url=store_url, jetstream_sync=jetstream_sync,
        trust_store=trust_store, nats_nkey_seed=nats_nkey_seed,
    )
    configure_logging(json=settings.log_json)
    uvicorn.run(
        create_app(bootstrap(settings)),
        host=settings.host,
        port=settings.port,
        loop="uvloop",
        http="httptools",
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=10,
    )


@token_app.command("issue")
def token_issue(
    unit: Annotated[str, typer.Option(help="The unit the person acts for, e.g. 220000-DCS")],
    role: Annotated[str, typer.Option(help="leader, government, agency, department, target, evaluator, auditor")],
    person: Annotated[str, typer.Option(help="Who acts, e.g. 王敏")],
    hours: Annotated[int | None, typer.Option(help="Lifetime in hours [default DUCHA_TOKEN_TTL_HOURS or 12]")] = None,
    data_dir: DataDir = None,
    node: Node = None,
) -> None:
    """Print a bearer token for a person acting for a unit in a role."""
    from datetime import timedelta

    from domain.actor import Role
    from ducha.keys import NodeKey
    from ducha.tokens import issue_token
    from ducha.units import load_registry

    settings = settings_from(data_dir=data_dir, node=node)
    load_registry(settings.units_file).get(unit)
    key = NodeKey.load_or_create(settings.data_dir)
    ttl = timedelta(hours=hours or settings.token_ttl_hours)
    typer.echo(issue_token(key, settings.node, unit, Role(role), person, ttl))


@token_app.command("revoke")
def token_revoke(
    jti: Annotated[str, typer.Argument(help="The token's id (its jti claim), or the token itself")],
    data_dir: DataDir = None,
) -> None:
    """Revoke a token: the node refuses it from now on."""
    from ducha.tokens import revoke

    settings = settings_from(data_dir=data_dir)
    typer.echo(f"revoked {revoke(settings.data_dir, jti)}")


def _projection_names(name: str | None) -> list[str]:
    from ducha.bootstrap import PROJECTIONS

    if name is None:
        return list(PROJECTIONS)
    if name not in PROJECTIONS:
        raise typer.BadParameter(f"no projection {name!r}; known: {', '.join(PROJECTIONS)}")
    return [name]


@projections_app.command("rebuild")
def projections_rebuild(
    name: Annotated[str | None, typer.Argument(help="One projection; all when omitted")] = None,
    data_dir: DataDir = None,
    node: Node = None,
    store_url: StoreUrl = None,
) -> None:
    """Rebuild projections from the event store, with a progress bar, and print their digests."""
    from tqdm import tqdm

    from ducha.bootstrap import bootstrap_offline
    from projections import digest, rebuild

    offline = bootstrap_offline(settings_from(data_dir=data_dir, node=node, store_url=store_url))
    try:
        total = offline.reader.last_position()
        for projection_name in _projection_names(name):
            projection = offline.projections[projection_name]
            with tqdm(total=total, desc=projection_name, unit="ev") as bar:
                rebuild(offline.views, projection, offline.reader.iter_envelopes(), progress=bar.update)
            typer.echo(f"{projection_name} {digest(offline.views, projection)}")
    finally:
        offline.close()


@projections_app.command("digest")
def projections_digest(
    name: Annotated[str | None, typer.Argument(help="One projection; all when omitted")] = None,
    data_dir: DataDir = None,
    node: Node = None,
    store_url: StoreUrl = None,
) -> None:
    """Print the hash of each projection's canonical content."""
    from ducha.bootstrap import bootstrap_offline
    from projections import digest

    offline = bootstrap_offline(settings_from(data_dir=data_dir, node=node, store_url=store_url))
    try:
        for projection_name in _projection_names(name):
            typer.echo(f"{projection_name} {digest(offline.views, offline.projections[projection_name])}")
    finally:
        offline.close()


@app.command()
def demo(data_dir: DataDir = None, store_url: StoreUrl = None) -> None:
    """Fill a fresh, stopped node (220000) with a year of Jilin supervision work (2026); then `ducha serve`."""
    import asyncio

    from ducha.demo import DemoRefused, run_demo
    from ducha.logging import configure_logging

    settings = settings_from(data_dir=data_dir, store_url=store_url, node="220000")
    configure_logging(json=False)
    try:
        result = asyncio.run(run_demo(settings))
    except DemoRefused as refused:
        typer.echo(f"ducha demo: {refused}", err=True)
        raise typer.Exit(1) from None
    for name, case_id in result.cases.items():
        typer.echo(f"{name:14} {case_id}")
    typer.echo(f"{result.last_position} events in {settings.data_dir}; the clock acted on {result.clock_recorded} case(s)")


def main() -> None:
    app()


if __name__ == "__main__":
    main()


