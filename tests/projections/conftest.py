"""Fixtures for projection tests: a real history and a real view store (SQLite, and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from projections.case_board import CaseBoard
from projections.store import ViewStore
from tests.projections.history import History


@pytest.fixture
def history(tmp_path: Path, registry) -> Iterator[History]:
    built = History(tmp_path / "events", registry)
    yield built
    built.close()


@pytest.fixture
def views(tmp_path: Path, store_url: str | None) -> Iterator[ViewStore]:
    store = ViewStore.open(store_url, tmp_path / "views")
    store.install(CaseBoard())
    yield store
    store.close()


@pytest.fixture
def board() -> CaseBoard:
    return CaseBoard()
