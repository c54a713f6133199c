"""Performance scores (绩效考核) per unit and period: the plan's base less the deductions, with the cases behind."""

from __future__ import annotations

from domain.performance import Deduction, performance_score, performance_scores

DEDUCTIONS = [
    Deduction("220100", 2.0, "2025", "case-1"),
    Deduction("220100", 1.5, "2025", "case-2"),
    Deduction("220100", 0.5, "2025", "case-1"),
    Deduction("220200", 3.0, "2025", "case-1"),
    Deduction("220100", 5.0, "2024", "case-9"),
]


def test_score_is_the_base_less_the_units_deductions_for_the_period():
    assert performance_score(100.0, DEDUCTIONS, "220100", "2025").score == 96.0


def test_score_lists_the_points_each_case_deducted():
    assert performance_score(100.0, DEDUCTIONS, "220100", "2025").cases == (("case-1", 2.5), ("case-2", 1.5))


def test_unit_without_deductions_scores_the_base():
    assert performance_score(100.0, DEDUCTIONS, "220300", "2025").score == 100.0


def test_scores_are_kept_apart_by_period():
    assert performance_scores(100.0, DEDUCTIONS)[("220100", "2024")].score == 95.0


def test_score_does_not_fall_below_zero_but_keeps_every_deduction():
    score = performance_score(3.0, DEDUCTIONS, "220100", "2025")
    assert (score.score, score.deducted) == (0.0, 4.0)
