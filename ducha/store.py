"""The node's event store: eventsourcing's Application on SQLite (default) or PostgreSQL.

The store's notification log is the node's gap-free, ordered history; its positions are
the positions every envelope carries. eventsourcing is synchronous, so async callers go
through the `Writer` (one thread, group commit) or through `asyncio.to_thread`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import JSONTranscoder, Notification, Transcoding
from pydantic_core import to_jsonable_python

from domain.envelope import Envelope

_ENVELOPE_FIELDS = {"originator_id", "originator_version", "originator_topic", "timestamp", "actor", "on"}


class DateAsISO(Transcoding):
    """Stores a `date` (the day an act happened) as its ISO text."""

    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class DuchaApplication(Application[UUID]):
    """The event store of one node, with ducha's transcodings."""

    name = "ducha"

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())


def store_env(store_url: str | None, data_dir: Path, *, cache_size: int = 10_000) -> dict[str, str]:
    """eventsourcing's environment for the configured store.

    The aggregate cache's fast-forward (a select of newer events at every load of a cached
    aggregate) is what keeps the cache right when other processes write the same store:
    on PostgreSQL it stays on (several processes may share a database). On SQLite the store
    is the node's own file with one writer, the node's `Writer` thread (the CLI's offline
    commands only read, and the demo refuses to run beside a node), so a cached aggregate
    cannot fall behind its stream: it is off. Without it eventsourcing puts each aggregate
    in the cache as it is saved, and only after the events are recorded, so a save that
    fails (a conflict) leaves the cached aggregate as it was. Loads hand out deep copies,
    so a refused command leaves the cache untouched too.
    """
    env = {
        "AGGREGATE_CACHE_MAXSIZE": str(cache_size),
        "DEEPCOPY_FROM_AGGREGATE_CACHE": "y",
    }
    if store_url and store_url.startswith(("postgresql://", "postgres://")):
        url = urlparse(store_url)
        query = parse_qs(url.query)
        env |= {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": url.path.lstrip("/") or "postgres",
            "POSTGRES_HOST": url.hostname or "127.0.0.1",
            "POSTGRES_PORT": str(url.port or 5432),
            "POSTGRES_USER": unquote(url.username or "postgres"),
            "POSTGRES_PASSWORD": unquote(url.password or ""),
            "POSTGRES_POOL_SIZE": "5",
            "POSTGRES_MAX_OVERFLOW": "5",
        }
        if "schema" in query:
            env["POSTGRES_SCHEMA"] = query["schema"][0]
        return env
    data_dir.mkdir(parents=True, exist_ok=True)
    return env | {
        "AGGREGATE_CACHE_FASTFORWARD": "n",
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "SQLITE_DBNAME": str(data_dir / "events.sqlite3"),
        "SQLITE_LOCK_TIMEOUT": "10",
    }


def open_store(store_url: str | None, data_dir: Path) -> DuchaApplication:
    return DuchaApplication(env=store_env(store_url, data_dir))


class EventReader:
    """Reads the node's history as envelopes, in position order."""

    def __init__(self, app: DuchaApplication, node: str) -> None:
        self.app = app
        self.node = node

    def last_position(self) -> int:
        return self.app.recorder.max_notification_id() or 0

    def notifications(self, after: int, limit: int) -> Sequence[Notification]:
        return self.app.recorder.select_notifications(start=after, limit=limit, inclusive_of_start=False)

    def envelopes(self, after: int, limit: int) -> list[Envelope]:
        return [self.to_envelope(n) for n in self.notifications(after, limit)]

    def iter_envelopes(self, after: int = 0, batch: int = 1000) -> Iterator[Envelope]:
        while page := self.envelopes(after, batch):
            yield from page
            after = page[-1].position

    def to_envelope(self, notification: Notification) -> Envelope:
        event = self.app.mapper.to_domain_event(notification)
        return envelope_of(self.node, notification.id, event)


def envelope_of(node: str, position: int, event: Any) -> Envelope:
    """The envelope of one domain event recorded at `position` of `node`'s history."""
    fields = {f.name: getattr(event, f.name) for f in dataclasses.fields(event)}
    outer, _, name = type(event).__qualname__.rpartition(".")
    payload = {k: v for k, v in fields.items() if k not in _ENVELOPE_FIELDS}
    return Envelope(
        node=node,
        position=position,
        aggregate_type=outer.lower() or "aggregate",
        aggregate_id=event.originator_id,
        aggregate_version=event.originator_version,
        type=name,
        topic=f"{type(event).__module__}:{type(event).__qualname__}",
        recorded_at=event.timestamp,
        occurred_on=fields.get("on"),
        actor=fields.get("actor"),
        payload=to_jsonable_python(payload),
    )
