"""A running node writes its views' WAL back from a worker thread (the loop's commits leave it)."""

from __future__ import annotations

import asyncio
import time
from datetime import date

import pytest

from domain.actor import Actor, Role
from tests.projections.story import proposal

AGENCY = Actor("220000-DCS", Role.AGENCY, "王敏")


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
async def test_running_node_writes_the_views_wal_back_to_the_views_file(node, settings):
    views_file = settings.data_dir / "views.sqlite3"
    size = views_file.stat().st_size
    for _ in range(30):
        outcome = await node.cases.propose(AGENCY, on=date(2026, 11, 2), **proposal())
    assert await node.projectors["case_board"].wait_for(outcome.position, timeout=10)

    deadline = time.monotonic() + 10
    while views_file.stat().st_size <= size and time.monotonic() < deadline:
        await asyncio.sleep(0.1)

    assert views_file.stat().st_size > size
