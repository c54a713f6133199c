"""What the federation remembers, in the node's views DB: per sender, the last message applied (order
and de-duplication); the dead letters with their reasons; the outbox with a sequence per receiver;
the outbox's position in the node's history; the burden counts last reported up; and which tasks came from above or went below."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from projections.store import Tx, ViewStore

DDL = (
    "CREATE TABLE IF NOT EXISTS fed_inbox (sender TEXT PRIMARY KEY, last_seq INTEGER NOT NULL, last_id TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS fed_dead (message_id TEXT, sender TEXT, subject TEXT, reason TEXT NOT NULL, data TEXT NOT NULL, "
    "at TEXT)",
    "CREATE TABLE IF NOT EXISTS fed_outbox (receiver TEXT NOT NULL, seq INTEGER NOT NULL, message_id TEXT NOT NULL, "
    "subject TEXT NOT NULL, data TEXT NOT NULL, sent INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (receiver, seq))",
    "CREATE TABLE IF NOT EXISTS fed_out_tracking (node TEXT PRIMARY KEY, position INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS fed_burden_sent (receiver TEXT NOT NULL, year INTEGER NOT NULL, data TEXT NOT NULL, "
    "PRIMARY KEY (receiver, year))",
    "CREATE TABLE IF NOT EXISTS fed_tasks (task_id TEXT PRIMARY KEY, origin TEXT, remote TEXT, responsible_unit TEXT NOT NULL)",
)


ADDED_COLUMNS = (("fed_dead", "at", "TEXT"),)  # columns added after a table was first made: (table, column, type)


def install(views: ViewStore) -> None:
    """Creates the federation's tables when missing, and adds the columns a table made earlier lacks."""
    with views.transaction() as tx:
        for ddl in DDL:
            tx.execute(ddl)
        for table, column, kind in ADDED_COLUMNS:
            try:
                with tx.savepoint():
                    tx.query(f"SELECT {column} FROM {table} WHERE 1 = 0")
            except Exception:  # sqlite3.OperationalError / psycopg UndefinedColumn: the column is missing
                tx.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")


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


def dead_letter(
    tx: Tx, *, message_id: str | None, sender: str | None, subject: str, reason: str, data: str, at: datetime | None = None
) -> None:
    """Records a message that changed nothing, with its reason and when it was judged (now, unless given)."""
    tx.execute(
        "INSERT INTO fed_dead (message_id, sender, subject, reason, data, at) VALUES (?, ?, ?, ?, ?, ?)",
        (message_id, sender, subject, reason, data, (at or datetime.now(UTC)).isoformat()),
    )


def contract_of(subject: str | None) -> str | None:
    """The contract named by a message subject `ducha.<from>.msg.<to>.<Name>` (None for any other subject)."""
    parts = (subject or "").split(".")
    return parts[4] if len(parts) == 5 and parts[0] == "ducha" and parts[2] == "msg" else None


def dead_letters(views: ViewStore, *, limit: int | None = None) -> list[dict[str, Any]]:
    """The dead letters, oldest first: message id, sender, contract, subject, reason and time (`at`, ISO 8601)."""
    sql = "SELECT message_id, sender, subject, reason, at FROM fed_dead ORDER BY at, message_id"
    with views.read() as tx:
        rows = tx.query(sql + (" LIMIT ?" if limit is not None else ""), (limit,) if limit is not None else ())
    return [{**row, "contract": contract_of(row["subject"])} for row in rows]
