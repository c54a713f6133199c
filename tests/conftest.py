"""Shared fixtures: real embedded nats-servers on free ports, real SQLite files, real PostgreSQL.

Tests that need PostgreSQL skip with a reason when none is reachable; CI sets
DUCHA_REQUIRE_POSTGRES=1, which turns that skip into a failure.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest

from ducha.bootstrap import Node, bootstrap
from ducha.clock import SetClock
from ducha.embedded_nats import EmbeddedNats
from ducha.settings import Settings
from ducha.units import load_registry

POSTGRES_URL = os.environ.get("DUCHA_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session")
def registry():
    return load_registry()


@pytest.fixture
def clock() -> SetClock:
    """The node's clock, set to a plain working day; tests move it as they need."""
    return SetClock(datetime(2026, 11, 25, 2, 0, tzinfo=UTC))


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[EmbeddedNats]:
    """A real nats-server with JetStream on a free loopback port, stopped afterwards."""
    server = EmbeddedNats.start(tmp_path / "nats")
    yield server
    server.stop()


def _postgres_reachable() -> str | None:
    try:
        with psycopg.connect(POSTGRES_URL, connect_timeout=2):
            return None
    except Exception as error:  # any reason the server cannot be used
        return str(error)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh schema on the test PostgreSQL server, dropped afterwards."""
    reason = _postgres_reachable()
    if reason is not None:
        if os.environ.get("DUCHA_REQUIRE_POSTGRES"):
            pytest.fail(f"PostgreSQL is required here but not reachable at {POSTGRES_URL}: {reason}")
        pytest.skip(f"no PostgreSQL reachable at {POSTGRES_URL}: {reason}")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    yield f"{POSTGRES_URL}?schema={schema}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest) -> str | None:
    """Runs a test once on SQLite files and once on PostgreSQL."""
    if request.param == "sqlite":
        return None
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def settings(tmp_path: Path, nats_server: EmbeddedNats, store_url: str | None) -> Settings:
    return Settings(data_dir=tmp_path / "data", nats_url=nats_server.url, store_url=store_url, node="220000")


@pytest.fixture
async def node(settings: Settings, clock: SetClock, registry) -> AsyncIterator[Node]:
    """A started node on a real nats-server and a real store."""
    built = bootstrap(settings, clock=clock, registry=registry)
    await built.start()
    yield built
    await built.stop()
