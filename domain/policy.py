"""A node's policy (本地规定): the numbers that local practice sets, with DOMAIN.md's defaults.

A number fixed by a national text (the 30 days of Art. 17) is a rule in the module that
enforces it, not a policy; everything here a node may set differently.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

NOTICE_WORKING_DAYS = 3  # TargetsNotified at least this many working days before on-site work
YELLOW_WITHIN_WORKING_DAYS = 5  # a deadline this near turns a light yellow
URGING_INTERVAL_DAYS = 7  # 催办 no more often than this for the same target
INSTRUCTION_DAYS_URGENT = 5  # 领导批示 deadlines by urgency
INSTRUCTION_DAYS_NORMAL = 15
INSTRUCTION_DAYS_DIFFICULT = 30
PROGRESS_REPORT_CYCLE_DAYS = 30  # 工作台账: a task reports progress at least this often (每月报送)


class Urgency(StrEnum):
    """How urgent a leader's instruction (批示) is; it sets the instruction's deadline."""

    URGENT = "urgent"
    NORMAL = "normal"
    DIFFICULT = "difficult"


@dataclass(frozen=True)
class Policy:
    """The settings a node applies to its rules; passed into the commands that need them."""

    notice_working_days: int = NOTICE_WORKING_DAYS
    yellow_within_working_days: int = YELLOW_WITHIN_WORKING_DAYS
    shift_period_end_off_holidays: bool = True
    urging_interval_days: int = URGING_INTERVAL_DAYS
    instruction_days_urgent: int = INSTRUCTION_DAYS_URGENT
    instruction_days_normal: int = INSTRUCTION_DAYS_NORMAL
    instruction_days_difficult: int = INSTRUCTION_DAYS_DIFFICULT
    progress_report_cycle_days: int = PROGRESS_REPORT_CYCLE_DAYS

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if isinstance(value, int) and not isinstance(value, bool) and value < 0:
                raise ValueError(f"policy {name} cannot be negative ({value})")

    def instruction_days(self, urgency: Urgency | str) -> int:
        """The days an instruction of this urgency allows (DOMAIN.md: 5, 15, 30 by default)."""
        return {
            Urgency.URGENT: self.instruction_days_urgent,
            Urgency.NORMAL: self.instruction_days_normal,
            Urgency.DIFFICULT: self.instruction_days_difficult,
        }[Urgency(urgency)]


DEFAULT_POLICY = Policy()
