"""Direct tampering with eventsourcing's table, as someone with the database file or a SQL session would."""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path

import psycopg


class SQLiteTamper:
    """Edits `stored_events` (rowid = position) in the node's SQLite file."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / "events.sqlite3"

    def run(self, *statements: tuple[str, tuple]) -> None:
        with sqlite3.connect(self.path) as db:
            for sql, params in statements:
                db.execute(sql, params)

    def alter(self, position: int) -> None:
        self.run(("UPDATE stored_events SET state = CAST(replace(state, '同意', '不同意') AS BLOB) WHERE rowid = ?",
                  (position,)))

    def remove(self, position: int) -> None:
        self.run(("DELETE FROM stored_events WHERE rowid = ?", (position,)))

    def insert(self, position: int) -> None:
        """Shifts every event from `position` on by one and puts a forged one in the gap."""
        self.run(
            ("UPDATE stored_events SET rowid = rowid + 1000000 WHERE rowid >= ?", (position,)),
            ("UPDATE stored_events SET rowid = rowid - 999999 WHERE rowid >= 1000000", ()),
            ("INSERT INTO stored_events (rowid, originator_id, originator_version, topic, state) "
             "SELECT ?, ?, originator_version, topic, state FROM stored_events WHERE rowid = ?",
             (position, uuid.uuid4().hex, position + 1)),
        )

    def swap_states(self, first: int, second: int) -> None:
        with sqlite3.connect(self.path) as db:
            states = {p: db.execute("SELECT state FROM stored_events WHERE rowid = ?", (p,)).fetchone()[0]
                      for p in (first, second)}
            db.execute("UPDATE stored_events SET state = ? WHERE rowid = ?", (states[second], first))
            db.execute("UPDATE stored_events SET state = ? WHERE rowid = ?", (states[first], second))


class PostgresTamper:
    """Edits eventsourcing's events table (notification_id = position) in the node's schema."""

    def __init__(self, store_url: str) -> None:
        base, _, schema = store_url.partition("?schema=")
        self.base, self.schema = base, schema
        with psycopg.connect(base) as db:
            self.table = db.execute(
                "SELECT table_name FROM information_schema.columns WHERE table_schema = %s AND column_name = 'notification_id'",
                (schema,),
            ).fetchone()[0]

    def run(self, *statements: tuple[str, tuple]) -> None:
        with psycopg.connect(self.base, options=f"-csearch_path={self.schema}") as db:
            for sql, params in statements:
                db.execute(sql.replace("{t}", self.table), params)

    def alter(self, position: int) -> None:
        self.run(("UPDATE {t} SET state = convert_to(replace(convert_from(state, 'UTF8'), '同意', '不同意'), 'UTF8') "
                  "WHERE notification_id = %s", (position,)))

    def remove(self, position: int) -> None:
        self.run(("DELETE FROM {t} WHERE notification_id = %s", (position,)))

    def insert(self, position: int) -> None:
        self.run(
            ("UPDATE {t} SET notification_id = notification_id + 1000000 WHERE notification_id >= %s", (position,)),
            ("UPDATE {t} SET notification_id = notification_id - 999999 WHERE notification_id >= 1000000", ()),
            ("INSERT INTO {t} (originator_id, originator_version, topic, state, notification_id) "
             "SELECT %s, originator_version, topic, state, %s FROM {t} WHERE notification_id = %s",
             (uuid.uuid4(), position, position + 1)),
        )

    def swap_states(self, first: int, second: int) -> None:
        self.run(
            ("UPDATE {t} AS a SET state = b.state FROM {t} AS b "
             "WHERE (a.notification_id, b.notification_id) IN ((%s, %s), (%s, %s))", (first, second, second, first)),
        )
