"""Repeated supervision (重复督查, Art. 15; DOMAIN.md step 5): the warnings a proposal or an approval answers with.

A case that would visit a target another active (approved, not merged or closed) case
visits, on the same topic or in an overlapping window, is still accepted, but the answer
names those cases, so the office can merge them (能合尽合、能并尽并) before the visit.
Candidates come from the case board in one indexed query; the decision is the domain's own
rule, `Case.duplicates`. The board is first given a moment (bounded) to apply the command's
own position, so a case approved just before is seen (read-your-writes); a board that lags
longer answers with what it has: the warning is advice, not a rule.
"""

from __future__ import annotations

import asyncio
from datetime import date
from types import SimpleNamespace
from typing import Any
from uuid import UUID

from api.case_models import RepeatWarning
from domain.case import Case
from domain.case_base import ACTIVE_STATES
from ducha.bootstrap import Node
from projections.case_board_queries import repeat_candidates



BOARD_WAIT_SECONDS = 1.0


async def repeated_supervision(node: Node, case: Case, position: int) -> list[RepeatWarning]:
    """The active cases that `case` would repeat, as the case board shows them once it has applied `position`."""
    if (board := node.projectors.get("case_board")) is not None:
        await board.wait_for(position, BOARD_WAIT_SECONDS)
    rows = await asyncio.to_thread(
        repeat_candidates, node.views, targets=list(case.targets), topic=case.topic.value,
        window_start=case.window[0].isoformat(), window_end=case.window[1].isoformat(),
        states=sorted(state.value for state in ACTIVE_STATES),
    )
    return [_warning(case, row) for row in rows if case.duplicates(_as_case(row))]


def _as_case(row: dict[str, Any]) -> SimpleNamespace:
    """A board row in the shape `Case.duplicates` reads: id, targets, topic and window."""
    window = (date.fromisoformat(row["window_start"]), date.fromisoformat(row["window_end"]))
    return SimpleNamespace(id=UUID(row["id"]), targets=row["targets"], topic=row["topic"], window=window)


def _warning(case: Case, row: dict[str, Any]) -> RepeatWarning:
    other = _as_case(row)
    shared = ", ".join(sorted(set(case.targets) & set(other.targets)))
    reasons = []
    if other.topic == case.topic:
        reasons.append(f"on the same topic ({other.topic})")
    if case.window[0] <= other.window[1] and other.window[0] <= case.window[1]:
        reasons.append(f"in an overlapping window ({other.window[0]} to {other.window[1]})")
    return RepeatWarning(id=other.id, title=row["title"], why=f"visits {shared} {' and '.join(reasons)}")
