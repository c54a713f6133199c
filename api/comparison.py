"""The comparison (对表分析): a case's self-inspection (自查), findings and evaluation (第三方评估),
side by side, per target and item, from the `comparison` projection.

The office's working tool: a reader who cannot see the case gets the one 404 of
`api/visibility.py`; a party to it (a target, an evaluator) is refused (403).
"""

from __future__ import annotations

import asyncio
from uuid import UUID

from fastapi import APIRouter, Response
from pydantic import BaseModel

from api import visibility
from api.case_queries import MAX_WAIT_SECONDS, After, Reader, Wait, catch_up, visible_case
from api.deps import NodeDep
from api.problems import problems
from projections.comparison import comparison_of

router = APIRouter(tags=["comparison"])
PROJECTIONS = ("case_board", "comparison")


class Entry(BaseModel):
    """One text and the day of its act."""

    text: str
    on: str | None


class Finding(Entry):
    """One of the office's findings on an item."""

    finding_id: str


class Item(BaseModel):
    """One item, side by side: the target's self-inspection, the findings, each evaluator's view."""

    item: str
    self_inspection: Entry | None
    findings: list[Finding]
    evaluations: dict[str, Entry]


class TargetComparison(BaseModel):
    """One target's comparison: its self-report, the evaluators' summaries, and its items."""

    target: str
    self_report: Entry | None
    evaluation_summaries: dict[str, Entry]
    items: list[Item]


class ComparisonView(BaseModel):
    """A case's comparison, per target."""

    case_id: UUID
    targets: list[TargetComparison]


@router.get(
    "/v1/cases/{case_id}/comparison", response_model=ComparisonView, responses=problems(401, 403, 404, 422),
    summary="Self-inspection, findings and evaluation side by side, item by item (对表分析)",
)
async def case_comparison(
    case_id: UUID, reader: Reader, node: NodeDep, response: Response, after: After = None, wait: Wait = MAX_WAIT_SECONDS,
) -> ComparisonView:
    await catch_up(node, response, after, wait, *PROJECTIONS)
    seen_by, row = await visible_case(node, reader, case_id)
    visibility.check_may_compare(seen_by, row)
    targets = await asyncio.to_thread(comparison_of, node.views, str(case_id))
    return ComparisonView(case_id=case_id, targets=targets)
