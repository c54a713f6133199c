"""Time travel: the case board, one case and the digests as of a position or a moment, replayed from the store."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from domain.case import CaseType, Method, Topic
from domain.policy import Policy
from ducha.audit.cli import audit_app
from ducha.audit.time_travel import Cut, as_of, case_as_of, replayed
from ducha.calendar import OfficialCalendar
from ducha.clock import SetClock
from ducha.commands import CaseCommands
from tests.audit.conftest import AGENCY, LEADER, NOW


@pytest.fixture
def clock() -> SetClock:
    return SetClock(NOW)


@pytest.fixture
def commands(history, registry, clock) -> CaseCommands:
    """Real case commands on the history's store and writer, stamped by a clock the test moves."""
    return CaseCommands(history.writer, registry, clock, OfficialCalendar(), Policy())


async def propose(commands: CaseCommands, title: str = "高标准农田建设", targets: tuple[str, ...] = ("220100",)):
    return await commands.propose(
        AGENCY, case_type=CaseType.SPECIAL, topic=Topic.WORK_REPORT, title=title, targets=targets,
        methods=[Method.INSPECTION], window_start=date(2026, 12, 1), window_end=date(2027, 3, 31),
        rationale="《政府工作报告》任务",
    )


def titles(answer) -> list[str]:
    return sorted(case["title"] for case in answer["cases"])


async def test_board_as_of_a_position_shows_only_the_cases_proposed_by_then(history, commands):
    first = await propose(commands, "事项 甲")
    await propose(commands, "事项 乙")

    answer = as_of(history.reader, Cut(position=first.position))

    assert titles(answer) == ["事项 甲"]
    assert answer["position"] == first.position


async def test_case_as_of_a_position_before_its_approval_is_still_proposed(history, commands):
    proposed = await propose(commands)
    approved = await commands.approve(LEADER, proposed.aggregate.id)

    before = case_as_of(history.reader, Cut(position=proposed.position), proposed.aggregate.id)
    after = case_as_of(history.reader, Cut(position=approved.position), proposed.aggregate.id)

    assert before["case"]["state"] == "proposed"
    assert after["case"]["state"] == "approved"


async def test_case_before_it_was_proposed_is_absent(history, commands):
    earlier = await propose(commands, "事项 甲")
    later = await propose(commands, "事项 乙")

    answer = case_as_of(history.reader, Cut(position=earlier.position), later.aggregate.id)

    assert answer["case"] is None


async def test_at_a_moment_replays_the_events_recorded_at_or_before_it(history, commands, clock):
    first = await propose(commands, "事项 甲")
    clock.set(NOW + timedelta(hours=2))
    await propose(commands, "事项 乙")

    answer = as_of(history.reader, Cut(at=NOW + timedelta(hours=1)))

    assert titles(answer) == ["事项 甲"]
    assert answer["position"] == first.position
    assert answer["last_recorded_at"] == NOW.isoformat()


async def test_a_moment_before_the_first_event_shows_an_empty_board(history, commands):
    await propose(commands)

    answer = as_of(history.reader, Cut(at=NOW - timedelta(seconds=1)))

    assert answer["cases"] == [] and answer["position"] == 0


async def test_unit_filter_shows_only_the_cases_concerning_the_unit(history, commands):
    await propose(commands, "长春市", targets=("220100",))
    await propose(commands, "吉林市", targets=("220200",))

    answer = as_of(history.reader, Cut(position=history.reader.last_position()), unit="220200")

    assert titles(answer) == ["吉林市"] and answer["total"] == 1


async def test_digests_differ_between_two_positions_and_repeat_at_the_same_one(history, commands):
    first = await propose(commands, "事项 甲")
    second = await propose(commands, "事项 乙")

    at_first = as_of(history.reader, Cut(position=first.position))["digests"]
    at_second = as_of(history.reader, Cut(position=second.position))["digests"]

    assert at_first["case_board"] != at_second["case_board"]
    assert as_of(history.reader, Cut(position=first.position))["digests"] == at_first


async def test_the_temporary_views_are_removed_afterwards(history, commands):
    await propose(commands)

    with replayed(history.reader, Cut(position=1)) as snapshot:
        directory = Path(snapshot.directory)
        assert (directory / "views.sqlite3").exists()

    assert not directory.exists()


def test_a_cut_needs_exactly_one_of_a_position_or_a_moment():
    with pytest.raises(ValueError):
        Cut()
    with pytest.raises(ValueError):
        Cut(position=3, at=NOW)


def test_a_moment_without_its_time_zone_is_refused():
    with pytest.raises(ValueError):
        Cut(at=datetime(2026, 11, 25, 10, 0))


async def test_cli_as_of_prints_a_units_board_as_json(history, commands):
    await propose(commands, "长春市", targets=("220100",))
    await propose(commands, "吉林市", targets=("220200",))
    history.close()

    result = CliRunner().invoke(
        audit_app, ["as-of", "--position", "2", "--unit", "220100", "--data-dir", str(history.data_dir)]
    )

    assert result.exit_code == 0, result.output
    assert titles(json.loads(result.output)) == ["长春市"]


async def test_cli_as_of_a_case_prints_its_state_then(history, commands):
    proposed = await propose(commands)
    await commands.approve(LEADER, proposed.aggregate.id)
    history.close()

    result = CliRunner().invoke(
        audit_app,
        ["as-of", "--position", str(proposed.position), "--case", str(proposed.aggregate.id),
         "--data-dir", str(history.data_dir)],
    )

    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["case"]["state"] == "proposed"


def test_cli_as_of_refuses_both_a_position_and_a_moment(tmp_path):
    result = CliRunner().invoke(
        audit_app, ["as-of", "--position", "1", "--at", "2026-11-25T10:00:00+08:00", "--data-dir", str(tmp_path)]
    )

    assert result.exit_code == 2
