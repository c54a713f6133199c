"""`ducha demo` on a fresh data directory: a year of Jilin supervision work that passes every rule of the domain."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ducha.clock import SetClock
from ducha.demo import DemoRefused, DemoResult, run_demo
from ducha.settings import Settings
from projections.store import ViewStore

TODAY = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)  # the demo's "now": every act of it lies before


@pytest.fixture
def demo_settings(tmp_path: Path, nats_server) -> Settings:
    return Settings(data_dir=tmp_path / "data", nats_url=nats_server.url)


@pytest.fixture
async def demo(demo_settings: Settings) -> DemoResult:
    return await run_demo(demo_settings, clock=SetClock(TODAY))


def rows(settings: Settings, sql: str) -> list[dict]:
    views = ViewStore.open(None, settings.data_dir)
    try:
        with views.transaction() as tx:
            return tx.query(sql)
    finally:
        views.close()


async def test_the_demo_leaves_a_board_with_each_case_in_its_state(demo: DemoResult, demo_settings: Settings):
    board = {row["id"]: row["state"] for row in rows(demo_settings, "SELECT id, state FROM case_board")}
    assert {name: board[str(case_id)] for name, case_id in demo.cases.items()} == {
        "comprehensive": "reported", "department": "closed", "covert": "closed",
    }


async def test_the_clock_marks_and_urges_the_demo_s_overdue_rectification(demo: DemoResult, demo_settings: Settings):
    overdue = rows(demo_settings, "SELECT item, overdue_on, urged_on FROM due_items WHERE overdue_on IS NOT NULL")
    assert overdue == [{"item": "r-jl-1", "overdue_on": "2026-11-26", "urged_on": "2026-11-26"}]


async def test_the_demo_s_review_amends_yanbian_s_conclusion(demo: DemoResult, demo_settings: Settings):
    yanbian = rows(demo_settings, "SELECT item, due_on, done FROM due_items WHERE target = '222400' AND kind = 'rectification' ORDER BY item")
    assert [(r["item"], r["due_on"]) for r in yanbian if r["item"].startswith("r-yb")] == [("r-yb-1", "2026-07-31"), ("r-yb-2", "2026-09-30")]


async def test_the_demo_refuses_a_data_dir_that_holds_events(demo: DemoResult, demo_settings: Settings):
    with pytest.raises(DemoRefused, match="already holds"):
        await run_demo(demo_settings, clock=SetClock(TODAY))


async def test_the_demo_refuses_the_data_dir_of_a_running_node(demo_settings: Settings):
    pid_file = demo_settings.data_dir / "nats" / "nats-server.pid"
    pid_file.parent.mkdir(parents=True)
    pid_file.write_text(str(os.getpid()))  # a live process holds the node's nats-server pid file
    with pytest.raises(DemoRefused, match="running"):
        await run_demo(demo_settings, clock=SetClock(TODAY))
