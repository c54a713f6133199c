"""Store faults: an error that means the store cannot take writes for now (full, read-only).

A full disk or a read-only store is no bug of the node and no fault of the request: the
same command succeeds once space returns. The HTTP layer answers it as 507 Insufficient
Storage (`api/problems.py`), the writer counts it (`ducha_store_write_errors_total`) and
`/readyz` names the store while it lasts. The error may come from SQLite, from PostgreSQL
(psycopg) or from the operating system, and usually wrapped by eventsourcing's own
persistence errors: the whole chain of causes is searched.
"""

from __future__ import annotations

import errno
import sqlite3
import time
from collections.abc import Callable, Iterator
from enum import StrEnum

from ducha.metrics import STORE_WRITE_ERRORS


class StoreFault(StrEnum):
    """Why the store takes no writes: no space (disk or quota) or a store that is read-only."""

    FULL = "full"
    READ_ONLY = "read-only"


_SQLITE = {sqlite3.SQLITE_FULL: StoreFault.FULL, sqlite3.SQLITE_READONLY: StoreFault.READ_ONLY}
_ERRNO = {
    errno.ENOSPC: StoreFault.FULL,
    errno.EDQUOT: StoreFault.FULL,
    errno.EFBIG: StoreFault.FULL,  # a file size limit (RLIMIT_FSIZE, the filesystem's largest file)
    errno.EROFS: StoreFault.READ_ONLY,
}
# PostgreSQL's SQLSTATEs: class 53 "insufficient resources" (disk_full 53100 and its class as
# such, not out_of_memory or too_many_connections), and a read-only transaction (a standby, or
# default_transaction_read_only set on a primary whose disk filled up).
_SQLSTATE = {"53100": StoreFault.FULL, "53000": StoreFault.FULL, "25006": StoreFault.READ_ONLY}


def store_fault(error: BaseException) -> StoreFault | None:
    """The store fault `error` (or any error in its chain of causes) means; None for any other error."""
    for cause in _chain(error):
        fault = _fault_of(cause)
        if fault is not None:
            return fault
    return None


def _fault_of(error: BaseException) -> StoreFault | None:
    if isinstance(error, sqlite3.Error):
        code = getattr(error, "sqlite_errorcode", None)
        if code is not None:
            return _SQLITE.get(code & 0xFF)  # the primary code of an extended one (SQLITE_READONLY_DBMOVED, ...)
        return None
    if isinstance(error, OSError):
        return _ERRNO.get(error.errno) if error.errno is not None else None
    sqlstate = getattr(error, "sqlstate", None)  # psycopg.Error, without importing psycopg on SQLite nodes
    if isinstance(sqlstate, str):
        return _SQLSTATE.get(sqlstate)
    return None


def _chain(error: BaseException) -> Iterator[BaseException]:
    """The error, then its causes (`raise ... from`) and the errors it was raised while handling."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


REFUSAL_SECONDS = 60.0


class WriteHealth:
    """What the writer last learned of the store's writes: the refusal of the last commit, if it was refused.

    A commit that succeeds clears it. A node that takes no commands cannot learn that space has
    returned, so a refusal older than `REFUSAL_SECONDS` is no longer reported (the next
    command finds out again, and is answered 507 if the store is still full).
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic, remember: float = REFUSAL_SECONDS) -> None:
        self._clock = clock
        self.remember = remember
        self._refused: tuple[StoreFault | None, str, float] | None = None

    def committed(self) -> None:
        self._refused = None

    def refused(self, error: BaseException) -> StoreFault | None:
        """Notes a commit the store refused; returns the store fault it means (None: another failure)."""
        fault = store_fault(error)
        STORE_WRITE_ERRORS.labels(fault.value if fault else "other").inc()
        self._refused = (fault, type(error).__name__, self._clock())
        return fault

    def failing(self) -> dict[str, object] | None:
        """The store's refusal as `/readyz` shows it, None while writes are not known to fail."""
        if self._refused is None:
            return None
        fault, error, at = self._refused
        age = self._clock() - at
        if fault is None or age > self.remember:
            return None
        return {"detail": fault.value, "error": error, "seconds_ago": round(age, 1)}
