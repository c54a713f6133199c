"""The node's policy and its defaults (DOMAIN.md)."""

from __future__ import annotations

import dataclasses

import pytest

from domain.policy import Policy, Urgency


def test_policy_defaults_are_those_of_the_domain():
    policy = Policy()
    assert (policy.notice_working_days, policy.yellow_within_working_days, policy.shift_period_end_off_holidays) == (3, 5, True)


def test_instruction_deadlines_follow_urgency():
    assert [Policy().instruction_days(u) for u in Urgency] == [5, 15, 30]


def test_policy_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        Policy().notice_working_days = 1  # type: ignore[misc]


def test_policy_refuses_negative_numbers():
    with pytest.raises(ValueError):
        Policy(notice_working_days=-1)
