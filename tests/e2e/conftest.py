"""End-to-end fixtures: the HTTP API of a started node (real embedded nats-server, real store).

The API fixtures are tests/api's. The store is SQLite unless a test asks for PostgreSQL with
`@pytest.mark.parametrize("store_url", ["postgres"], indirect=True)`.
"""

from __future__ import annotations

import pytest

from tests.api.conftest import app, auth, client, key  # noqa: F401  (fixtures, re-exported)
from tests.e2e.steps import Api


@pytest.fixture
def store_url(request: pytest.FixtureRequest) -> str | None:
    """SQLite files by default; PostgreSQL (the real local server) when a test asks for it."""
    if getattr(request, "param", "sqlite") == "postgres":
        return request.getfixturevalue("postgres_url")
    return None


@pytest.fixture
def api(client, auth) -> Api:  # noqa: F811
    return Api(client, auth)
