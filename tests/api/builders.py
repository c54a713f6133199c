"""Test data for the API tests: the acting units and valid command bodies."""

from __future__ import annotations

from typing import Any

from domain.actor import Role

AGENCY = ("220000-DCS", Role.AGENCY)  # 吉林省人民政府督查室
DEPARTMENT = ("220000-FGW", Role.DEPARTMENT)  # 吉林省发展和改革委员会
LEADER = ("220000", Role.LEADER)
GOVERNMENT = ("220000", Role.GOVERNMENT)


def proposal(**changes: Any) -> dict[str, Any]:
    """A valid government case proposal (comprehensive supervision of Changchun)."""
    body = {
        "case_type": "comprehensive",
        "topic": "work-report",
        "title": "《政府工作报告》重点任务落实情况督查",
        "targets": ["220100"],
        "methods": ["inspection", "interview"],
        "window_start": "2026-12-01",
        "window_end": "2026-12-10",
        "rationale": "省政府工作报告重点任务推进情况",
    }
    return body | changes


def department_proposal(**changes: Any) -> dict[str, Any]:
    """A department's special supervision (部门专项督查)."""
    return proposal(case_type="special", topic="livelihood", title="农村饮水安全专项督查", **changes)
