"""`ducha audit …`: checkpoint, verify (the store, the stream, or an export offline), export, consistency.

The lead adds `audit_app` to the `ducha` command: `app.add_typer(audit_app, name="audit")`.
A verification that fails exits with status 1 after printing where.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from ducha.audit.report import VerifyReport
from ducha.settings import Settings

audit_app = typer.Typer(help="Audit: hash chain, signed checkpoints, verification and offline export.", no_args_is_help=True)

DataDir = Annotated[Path | None, typer.Option(help="Data directory [env DUCHA_DATA_DIR; default ./var]")]
NodeCode = Annotated[str | None, typer.Option("--node", help="The node's unit code [env DUCHA_NODE]")]
StoreUrl = Annotated[str | None, typer.Option(help="postgresql://… event store [env DUCHA_STORE_URL; default SQLite]")]


def _settings(**flags: Any) -> Settings:
    return Settings(**{name: value for name, value in flags.items() if value is not None})


@contextlib.contextmanager
def opened_auditor(settings: Settings) -> Iterator[Any]:
    """The node's auditor over its store, closed afterwards."""
    from ducha.audit.chain import Auditor
    from ducha.audit.checkpoints import AuditStore
    from ducha.keys import NodeKey
    from ducha.store import EventReader, open_store

    app = open_store(settings.store_url, settings.data_dir)
    store = AuditStore.open(settings.store_url, settings.data_dir)
    try:
        yield Auditor(EventReader(app, settings.node), NodeKey.load_or_create(settings.data_dir), store)
    finally:
        store.close()
        app.close()


def _finish(*reports: VerifyReport) -> None:
    for report in reports:
        typer.echo(report.text())
    if not all(report.ok for report in reports):
        raise typer.Exit(1)


@audit_app.command("checkpoint")
def checkpoint(data_dir: DataDir = None, node: NodeCode = None, store_url: StoreUrl = None) -> None:
    """Seal the present head: index new events and sign a checkpoint."""
    with opened_auditor(_settings(data_dir=data_dir, node=node, store_url=store_url)) as auditor:
        made = auditor.checkpoint()
    typer.echo(f"checkpoint position={made.position} size={made.size} root={made.merkle_root.hex()} time={made.time}")


@audit_app.command("verify")
def verify(
    export_dir: Annotated[Path | None, typer.Option("--export", help="Verify this export offline, nothing else")] = None,
    stream: Annotated[bool, typer.Option(help="Also check the node's JetStream stream (needs --nats-url)")] = False,
    nats_url: Annotated[str | None, typer.Option(help="The NATS holding the node's stream [env DUCHA_NATS_URL]")] = None,
    data_dir: DataDir = None,
    node: NodeCode = None,
    store_url: StoreUrl = None,
) -> None:
    """Recompute the chain from the store (and the stream), or verify an export offline."""
    if export_dir is not None:
        from ducha.audit.offline import verify_export

        _finish(verify_export(export_dir))
        return
    settings = _settings(data_dir=data_dir, node=node, store_url=store_url, nats_url=nats_url)
    with opened_auditor(settings) as auditor:
        reports = [auditor.verify_store()]
        if stream:
            if not settings.nats_url:
                raise typer.BadParameter("--stream needs --nats-url (or DUCHA_NATS_URL)")
            reports.append(asyncio.run(_verify_stream(auditor, settings.nats_url)))
    _finish(*reports)


async def _verify_stream(auditor: Any, url: str) -> VerifyReport:
    import nats

    nc = await nats.connect(url)
    try:
        return await auditor.verify_stream(nc.jetstream())
    finally:
        await nc.drain()


@audit_app.command("export")
def export(
    directory: Annotated[Path, typer.Argument(help="Where to write the export (created)")],
    unit: Annotated[str | None, typer.Option(help="Only the events naming this unit, and their cases' later events")] = None,
    since: Annotated[str | None, typer.Option(help="First day (YYYY-MM-DD, UTC), included")] = None,
    until: Annotated[str | None, typer.Option(help="Last day (YYYY-MM-DD, UTC), included")] = None,
    data_dir: DataDir = None,
    node: NodeCode = None,
    store_url: StoreUrl = None,
) -> None:
    """Write the events, checkpoints, proofs and the node's public key for offline verification."""
    first = date.fromisoformat(since) if since else None
    last = date.fromisoformat(until) if until else None
    with opened_auditor(_settings(data_dir=data_dir, node=node, store_url=store_url)) as auditor:
        manifest = auditor.export(directory, unit=unit, since=first, until=last)
    typer.echo(f"exported {manifest['events']} events to {directory} (tree size {manifest['checkpoint']['size']})")


@audit_app.command("consistency")
def consistency(
    earlier: Annotated[Path, typer.Argument(help="The earlier export")],
    later: Annotated[Path, typer.Argument(help="The later export")],
) -> None:
    """Prove offline that the later export's history extends the earlier one's (RFC 9162)."""
    from ducha.audit.offline import prove_consistency

    _finish(prove_consistency(earlier, later))


@audit_app.command("as-of")
def as_of(
    position: Annotated[int | None, typer.Option(min=0, help="Replay every event up to this position, included")] = None,
    at: Annotated[str | None, typer.Option(help="Replay every event recorded at or before this moment (ISO 8601, with offset)")] = None,
    unit: Annotated[str | None, typer.Option(help="Only the cases whose sponsor or targets include this unit")] = None,
    case: Annotated[str | None, typer.Option("--case", help="Only this case (its id)")] = None,
    data_dir: DataDir = None,
    node: NodeCode = None,
    store_url: StoreUrl = None,
) -> None:
    """Print (JSON) the case board, one case or a unit's cases, and every view's digest, as of a position or moment."""
    import json
    from datetime import datetime
    from uuid import UUID

    from ducha.audit.time_travel import Cut, as_of as board_as_of, case_as_of
    from ducha.store import EventReader, open_store

    try:
        cut = Cut(position=position, at=datetime.fromisoformat(at) if at else None)
        case_id = UUID(case) if case else None
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None
    settings = _settings(data_dir=data_dir, node=node, store_url=store_url)
    app = open_store(settings.store_url, settings.data_dir)
    try:
        reader = EventReader(app, settings.node)
        answer = case_as_of(reader, cut, case_id) if case_id else board_as_of(reader, cut, unit=unit)
    finally:
        app.close()
    typer.echo(json.dumps(answer, ensure_ascii=False, indent=2, default=str))


@audit_app.command("replay")
def replay(
    nats_url: Annotated[str, typer.Option(help="The NATS holding the node's stream")],
    node: Annotated[str, typer.Option("--node", help="The node's unit code")],
    data_dir: Annotated[Path, typer.Option(help="The auditor's OWN data directory (its views go there)")],
) -> None:
    """Replay the node's stream from its first message into the auditor's own views; print every digest."""
    from ducha.audit.replay import replay as run_replay

    result = asyncio.run(run_replay(nats_url, node, data_dir))
    typer.echo(f"replayed {result.events} events of node {result.node} up to position {result.position}")
    for name, value in result.digests.items():
        typer.echo(f"{name} {value}")
