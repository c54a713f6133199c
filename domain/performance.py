"""Performance scores (绩效考核) per unit and period: the plan's base less the deductions (减分项)
that supervision cases recorded (`Case.PerformanceDeducted`), with the cases behind the points.

A score does not fall below zero: deductions past the base still show in `deducted` and
in `cases`, so nothing behind a score is hidden.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Deduction:
    """Points deducted from a unit for a period by one case."""

    unit: str
    points: float
    period: str
    case_id: str


@dataclass(frozen=True)
class Score:
    """A unit's score for a period, and the points each case deducted (in the order first deducted)."""

    unit: str
    period: str
    base: float
    deducted: float
    score: float
    cases: tuple[tuple[str, float], ...]


def performance_scores(base: float, deductions: Iterable[Deduction]) -> dict[tuple[str, str], Score]:
    """Every (unit, period) that has deductions, scored from `base` (the annual plan's performance base)."""
    by_case: dict[tuple[str, str], dict[str, float]] = defaultdict(dict)
    for d in deductions:
        cases = by_case[(d.unit, d.period)]
        cases[d.case_id] = cases.get(d.case_id, 0.0) + d.points
    return {key: _score(base, key, cases) for key, cases in by_case.items()}


def performance_score(base: float, deductions: Iterable[Deduction], unit: str, period: str) -> Score:
    """One unit's score for one period; the base itself when nothing was deducted."""
    return performance_scores(base, deductions).get((unit, period)) or Score(unit, period, base, 0.0, base, ())


def _score(base: float, key: tuple[str, str], cases: dict[str, float]) -> Score:
    deducted = sum(cases.values())
    return Score(key[0], key[1], base, deducted, max(0.0, base - deducted), tuple(cases.items()))
