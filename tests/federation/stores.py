"""Where a level's store and views live in the federation's tests: SQLite files, or a fresh PostgreSQL schema per
level (one database for the event store and the views DB, as `DUCHA_STORE_URL` gives a node)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator

import psycopg
import pytest

from tests.conftest import POSTGRES_URL, _postgres_reachable


@pytest.fixture
def pg_schemas() -> Iterator[Callable[[], str]]:
    """Makes a fresh schema per call (a URL naming it), all dropped afterwards; skips without PostgreSQL."""
    reason = _postgres_reachable()
    if reason is not None:
        if os.environ.get("DUCHA_REQUIRE_POSTGRES"):
            pytest.fail(f"PostgreSQL is required here but not reachable at {POSTGRES_URL}: {reason}")
        pytest.skip(f"the federation's tables on PostgreSQL: no PostgreSQL reachable at {POSTGRES_URL}: {reason}")
    made: list[str] = []

    def schema() -> str:
        name = f"fed_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {name}")
        made.append(name)
        return f"{POSTGRES_URL}?schema={name}"

    yield schema
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        for name in made:
            conn.execute(f"DROP SCHEMA {name} CASCADE")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def level_store(request: pytest.FixtureRequest) -> Callable[[], str | None]:
    """Runs a test once with every level on SQLite files, once with each level in its own PostgreSQL schema."""
    if request.param == "sqlite":
        return lambda: None
    return request.getfixturevalue("pg_schemas")
