"""Repeated supervision (重复督查, Art. 15; DOMAIN.md step 5): the warnings a proposal or an approval answers with.

A case that would visit a target another active (approved, not merged or closed) case
visits, on the same topic or in an overlapping window, is still accepted, but the answer
names those cases, so the office can merge them (能合尽合、能并尽并) before the visit.
Candidates come from the case board in one indexed query, and from the cases the writer
saved since the position the board has applied (`ducha/recent_cases.py`), so a case
approved just before is seen without waiting for the board (read-your-writes). Only when
the board lags past what is remembered (after a restart, say) is it given a moment
(bounded) to catch up; a board that lags longer answers with what it has: the warning is
advice, not a rule. The decision is the domain's own rule, `Case.duplicates`.

The warnings go to whoever sent the command, so its candidates are only the cases that reader
may see (`api/visibility.py`, the board's audience): a covert case (暗访) is no candidate for its
target or the target's superior before the visit, nor for anyone outside its audience; nothing
in the answer says that such a case exists.
"""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from typing import Any
from uuid import UUID

from api import visibility
from api.case_models import RepeatWarning
from domain.actor import Actor
from domain.case import Case
from domain.case_base import ACTIVE_STATES
from ducha.bootstrap import Node
from projections.case_board_queries import repeat_candidates

BOARD_WAIT_SECONDS = 1.0
LIMIT = 20  # warnings at most: the latest cases repeated
ACTIVE_VALUES = frozenset(state.value for state in ACTIVE_STATES)


async def repeated_supervision(node: Node, reader: Actor, case: Case, position: int) -> list[RepeatWarning]:
    """The active cases that `case` would repeat as of `position` and that `reader` may see: the board's, and
    those saved since."""
    seen_by = visibility.case_audience(reader, node.registry)
    if seen_by is None:
        return []
    board = node.projectors.get("case_board")
    applied = board.position if board is not None else position
    recent = node.recent_cases.since(applied, position) if node.recent_cases is not None else None
    if board is not None and recent is None:  # the board lags past what is remembered: it catches up first
        await board.wait_for(position, BOARD_WAIT_SECONDS)
        recent = {}
    rows = await node.views.call(
        repeat_candidates, node.views, targets=list(case.targets), topic=case.topic.value,
        window_start=case.window[0].isoformat(), window_end=case.window[1].isoformat(),
        states=sorted(ACTIVE_VALUES), limit=LIMIT, audience=seen_by,
    )
    by_id = {row["id"]: row for row in rows}
    for case_id, summary in (recent or {}).items():  # what the board does not show yet, as it now stands
        by_id.pop(case_id, None)
        if summary.state in ACTIVE_VALUES and seen_by.admits(summary.sight):
            by_id[case_id] = summary.row()
    candidates = sorted(by_id.values(), key=lambda row: (row["proposed_on"], row["id"]), reverse=True)
    warnings = []
    for row in candidates:
        other = _as_case(row)  # each row read once, for the rule and for its warning
        if case.duplicates(other):
            warnings.append(_warning(case, other, row["title"]))
            if len(warnings) == LIMIT:
                break
    return warnings


def _as_case(row: dict[str, Any]) -> SimpleNamespace:
    """A board row in the shape `Case.duplicates` reads: id, targets, topic and window."""
    window = (date.fromisoformat(row["window_start"]), date.fromisoformat(row["window_end"]))
    return SimpleNamespace(id=UUID(row["id"]), targets=row["targets"], topic=row["topic"], window=window)


def _warning(case: Case, other: SimpleNamespace, title: str) -> RepeatWarning:
    shared = ", ".join(sorted(set(case.targets) & set(other.targets)))
    reasons = []
    if other.topic == case.topic:
        reasons.append(f"on the same topic ({other.topic})")
    if case.window[0] <= other.window[1] and other.window[0] <= case.window[1]:
        reasons.append(f"in an overlapping window ({other.window[0]} to {other.window[1]})")
    return RepeatWarning(id=other.id, title=title, why=f"visits {shared} {' and '.join(reasons)}")
