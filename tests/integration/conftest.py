"""Integration fixtures: a real history of node 220000, written through the real writer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.projections.history import History


@pytest.fixture
def history(tmp_path: Path, registry) -> Iterator[History]:
    built = History(tmp_path / "events", registry)
    yield built
    built.close()
