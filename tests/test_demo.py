"""`ducha demo` on a fresh data directory: a year of Jilin supervision work that passes every rule of the domain,
with the province's annual plan, its Government Work Report ledger (工作台账) and leaders' instructions (领导批示).

The demo is played once for the module (it takes seconds) and the tests read what it left.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from domain.policy import DEFAULT_POLICY
from ducha.calendar import OfficialCalendar
from ducha.clock import SetClock
from ducha.demo import DemoRefused, DemoResult, run_demo
from ducha.embedded_nats import EmbeddedNats
from ducha.settings import Settings
from projections.instructions import board
from projections.ledger_tree import light_today, subtree
from projections.plan_actual import plan_against_actual
from projections.store import ViewStore

TODAY = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)  # the demo's "now": every act of it lies before


@pytest.fixture(scope="module")
def played(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[DemoResult, Settings]]:
    """The demo, played once on a real nats-server and real SQLite files."""
    root = tmp_path_factory.mktemp("demo")
    server = EmbeddedNats.start(root / "nats")
    try:
        settings = Settings(data_dir=root / "data", nats_url=server.url)
        yield asyncio.run(run_demo(settings, clock=SetClock(TODAY))), settings
    finally:
        server.stop()


@pytest.fixture
def demo(played: tuple[DemoResult, Settings]) -> DemoResult:
    return played[0]


@pytest.fixture
def demo_settings(played: tuple[DemoResult, Settings]) -> Settings:
    return played[1]


def read(settings: Settings, query: Any, *args: Any) -> Any:
    """`query(views, *args)` on the demo's view store."""
    views = ViewStore.open(None, settings.data_dir)
    try:
        return query(views, *args)
    finally:
        views.close()


def rows(settings: Settings, sql: str) -> list[dict]:
    def run(views: ViewStore) -> list[dict]:
        with views.transaction() as tx:
            return tx.query(sql)

    return read(settings, run)


def tree(demo: DemoResult, settings: Settings, name: str) -> dict[str, dict[str, Any]]:
    """The ledger tree below the task `name`, by task name, each row with its light judged today (as the API does)."""
    names = {str(task_id): task for task, task_id in demo.tasks.items()}
    found = read(settings, subtree, str(demo.tasks[name]))
    calendar = OfficialCalendar()
    return {
        names[row["task_id"]]: {
            **row, "parent": names.get(row["parent_id"]),
            "light_today": light_today(row, TODAY.date(), calendar, DEFAULT_POLICY),
        } for row in found
    }


# ---- the cases -----------------------------------------------------------------------------


async def test_the_demo_leaves_a_board_with_each_case_in_its_state(demo: DemoResult, demo_settings: Settings):
    board_states = {row["id"]: row["state"] for row in rows(demo_settings, "SELECT id, state FROM case_board")}
    assert {name: board_states[str(case_id)] for name, case_id in demo.cases.items()} == {
        "comprehensive": "reported", "department": "closed", "covert": "closed",
    }


async def test_the_clock_marks_and_urges_the_demo_s_overdue_rectification(demo: DemoResult, demo_settings: Settings):
    overdue = rows(demo_settings, "SELECT item, overdue_on, urged_on FROM due_items WHERE overdue_on IS NOT NULL")
    assert overdue == [{"item": "r-jl-1", "overdue_on": "2026-11-26", "urged_on": "2026-11-26"}]


async def test_the_demo_s_review_amends_yanbian_s_conclusion(demo: DemoResult, demo_settings: Settings):
    yanbian = rows(demo_settings, "SELECT item, due_on, done FROM due_items WHERE target = '222400' AND kind = 'rectification' ORDER BY item")
    assert [(r["item"], r["due_on"]) for r in yanbian if r["item"].startswith("r-yb")] == [("r-yb-1", "2026-07-31"), ("r-yb-2", "2026-09-30")]


# ---- the annual plan -----------------------------------------------------------------------


async def test_every_demo_case_is_in_the_filed_plan_or_approved_outside_it(demo: DemoResult, demo_settings: Settings):
    plan = read(demo_settings, plan_against_actual, "220000", 2026)
    standing = {c["case_id"]: c["standing"] for c in plan["actual"]}
    assert (plan["filed_on"], {name: standing[str(case_id)] for name, case_id in demo.cases.items()}) == (
        "2026-01-20", {"comprehensive": "in-plan", "department": "in-plan", "covert": "approved-out-of-plan"},
    )


async def test_the_demo_s_plan_caps_what_three_prefectures_receive(demo: DemoResult, demo_settings: Settings):
    plan = read(demo_settings, plan_against_actual, "220000", 2026)
    assert [cap["unit"] for cap in plan["caps"]] == ["220100", "220200", "222400"]


# ---- the Government Work Report ledger ------------------------------------------------------


async def test_the_ledger_decomposes_a_provincial_task_to_prefectures_and_districts(demo: DemoResult, demo_settings: Settings):
    found = tree(demo, demo_settings, "营商环境")
    assert {name: (row["parent"], row["responsible_unit"]) for name, row in found.items()} == {
        "营商环境": (None, "220000-FGW"),
        "营商环境-长春": ("营商环境", "220100"),
        "营商环境-吉林": ("营商环境", "220200"),
        "营商环境-延边": ("营商环境", "222400"),
        "营商环境-南关区": ("营商环境-长春", "220102"),
        "营商环境-朝阳区": ("营商环境-长春", "220104"),
    }


async def test_the_ledger_rolls_the_prefectures_progress_up_by_weight(demo: DemoResult, demo_settings: Settings):
    found = tree(demo, demo_settings, "营商环境")
    shares = [(found[f"营商环境-{city}"]["percent"], found[f"营商环境-{city}"]["weight"]) for city in ("长春", "吉林", "延边")]
    assert (shares, found["营商环境"]["percent"]) == ([(100.0, 0.4), (100.0, 0.3), (85.0, 0.3)], pytest.approx(95.5))


async def test_the_districts_verified_work_lets_changchun_s_share_be_verified(demo: DemoResult, demo_settings: Settings):
    found = tree(demo, demo_settings, "营商环境")
    verified = ("营商环境-长春", "营商环境-南关区", "营商环境-朝阳区")
    assert {name: (found[name]["state"], found[name]["verified_on"]) for name in verified} == {
        "营商环境-长春": ("verified", "2026-10-16"),
        "营商环境-南关区": ("verified", "2026-09-25"),
        "营商环境-朝阳区": ("verified", "2026-09-28"),
    }


async def test_a_returned_claim_runs_past_its_deadline_and_the_clock_marks_it_overdue(demo: DemoResult, demo_settings: Settings):
    jilin = tree(demo, demo_settings, "营商环境")["营商环境-吉林"]
    assert (jilin["state"], jilin["claimed_on"], jilin["overdue_on"], jilin["urged_on"], jilin["light"]) == (
        "accepted", "2026-11-02", "2026-11-26", "2026-11-26", "red",
    )


async def test_a_missed_milestone_turns_the_task_and_its_parent_red(demo: DemoResult, demo_settings: Settings):
    found = tree(demo, demo_settings, "老旧小区")
    assert {name: (row["light"], row["light_today"][1]) for name, row in found.items() if row["light"] == "red"} == {
        "老旧小区": ("red", "milestone 'm2' due 2026-10-31 has passed unreached"),
        "老旧小区-吉林": ("red", "milestone 'm2' due 2026-10-31 has passed unreached"),
    }


async def test_progress_behind_the_milestones_turns_the_task_yellow(demo: DemoResult, demo_settings: Settings):
    root = tree(demo, demo_settings, "黑土地")["黑土地"]
    assert (root["light"], root["warnings"], root["light_today"]) == ("yellow", 1, ("yellow", "progress 75% is behind the milestones' 80%"))


async def test_the_employment_task_is_verified_and_closed(demo: DemoResult, demo_settings: Settings):
    task = tree(demo, demo_settings, "稳就业")["稳就业"]
    assert (task["state"], task["verified_on"], task["percent"]) == ("closed", "2026-09-24", 100.0)


async def test_the_ledger_clock_records_its_lights_and_overdue(demo: DemoResult):
    # four lights (two red by milestone, one red by deadline, one yellow) with the overdue task; one overdue instruction
    assert demo.ledger_clock_recorded == 5


# ---- the instructions ----------------------------------------------------------------------


async def test_the_instruction_board_shows_the_answered_instruction(demo: DemoResult, demo_settings: Settings):
    answered = read(demo_settings, board, "answered")
    assert [(r["instruction_id"], r["lead_unit"], r["supporting_units"], r["answered_on"]) for r in answered] == [
        (str(demo.instructions["冬季供暖"]), "220100", '["220000-ZJT", "220000-FGW"]', "2026-10-20"),
    ]


async def test_the_covert_case_checks_the_answer_of_the_roads_instruction(demo: DemoResult, demo_settings: Settings):
    (roads,) = [r for r in read(demo_settings, board) if r["instruction_id"] == str(demo.instructions["边境道路"])]
    assert (roads["state"], roads["covert_checks"]) == ("closed", f'["{demo.cases["covert"]}"]')


async def test_the_clock_marks_the_unanswered_instruction_overdue(demo: DemoResult, demo_settings: Settings):
    overdue = [(r["instruction_id"], r["overdue_on"]) for r in read(demo_settings, board) if r["overdue_on"]]
    assert overdue == [(str(demo.instructions["松花江水质"]), "2026-11-26")]


# ---- refusals ------------------------------------------------------------------------------


async def test_the_demo_refuses_a_data_dir_that_holds_events(demo: DemoResult, demo_settings: Settings):
    with pytest.raises(DemoRefused, match="already holds"):
        await run_demo(demo_settings, clock=SetClock(TODAY))


async def test_the_demo_refuses_the_data_dir_of_a_running_node(tmp_path: Path, nats_server):
    fresh = Settings(data_dir=tmp_path / "data", nats_url=nats_server.url)
    pid_file = fresh.data_dir / "nats" / "nats-server.pid"
    pid_file.parent.mkdir(parents=True)
    pid_file.write_text(str(os.getpid()))  # a live process holds the node's nats-server pid file
    with pytest.raises(DemoRefused, match="running"):
        await run_demo(fresh, clock=SetClock(TODAY))

