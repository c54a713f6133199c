"""What the federation remembers, in the node's views DB: per sender, the last message applied (order
and de-duplication); the dead letters with their reasons; the outbox with a sequence per receiver;
the outbox's position in the node's history; the burden counts last reported up; and which tasks came from above or went below."""

from __future__ import annotations

from typing import Any

from projections.store import Tx, ViewStore

DDL = (
    "CREATE TABLE IF NOT EXISTS fed_inbox (sender TEXT PRIMARY KEY, last_seq INTEGER NOT NULL, last_id TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS fed_dead (message_id TEXT, sender TEXT, subject TEXT, reason TEXT NOT NULL, data TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS fed_outbox (receiver TEXT NOT NULL, seq INTEGER NOT NULL, message_id TEXT NOT NULL, "
    "subject TEXT NOT NULL, data TEXT NOT NULL, sent INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (receiver, seq))",
    "CREATE TABLE IF NOT EXISTS fed_out_tracking (node TEXT PRIMARY KEY, position INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS fed_burden_sent (receiver TEXT NOT NULL, year INTEGER NOT NULL, data TEXT NOT NULL, "
    "PRIMARY KEY (receiver, year))",
    "CREATE TABLE IF NOT EXISTS fed_tasks (task_id TEXT PRIMARY KEY, origin TEXT, remote TEXT, responsible_unit TEXT NOT NULL)",
)


def install(views: ViewStore) -> None:
    """Creates the federation's tables when missing."""
    with views.transaction() as tx:
        for ddl in DDL:
            tx.execute(ddl)


def last_applied(tx: Tx, sender: str) -> tuple[int, str | None]:
    """The sequence number and id of the last message applied from `sender`: (0, None) before the first."""
    row = tx.query_one("SELECT last_seq, last_id FROM fed_inbox WHERE sender = ?", (sender,))
    return (int(row["last_seq"]), row["last_id"]) if row else (0, None)


def mark_applied(tx: Tx, sender: str, seq: int, message_id: str) -> None:
    tx.execute(
        "INSERT INTO fed_inbox (sender, last_seq, last_id) VALUES (?, ?, ?) "
        "ON CONFLICT (sender) DO UPDATE SET last_seq = excluded.last_seq, last_id = excluded.last_id",
        (sender, seq, message_id),
    )


def dead_letter(tx: Tx, *, message_id: str | None, sender: str | None, subject: str, reason: str, data: str) -> None:
    tx.execute(
        "INSERT INTO fed_dead (message_id, sender, subject, reason, data) VALUES (?, ?, ?, ?, ?)",
        (message_id, sender, subject, reason, data),
    )


def dead_letters(views: ViewStore) -> list[dict[str, Any]]:
    with views.transaction() as tx:
        return tx.query("SELECT message_id, sender, subject, reason FROM fed_dead ORDER BY message_id")
