"""Who acts: a person acting for one unit (单位) in one role at a time."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """The roles of DOMAIN.md "Units and people"."""

    LEADER = "leader"  # 主要领导: approves government supervision
    GOVERNMENT = "government"  # 本级政府 (its general office): approves department supervision
    AGENCY = "agency"  # 督查机构: the supervision office
    DEPARTMENT = "department"  # a department of the same government
    TARGET = "target"  # 督查对象: the supervised unit
    EVALUATOR = "evaluator"  # 第三方评估: an entrusted third-party evaluator
    AUDITOR = "auditor"  # reads and verifies, changes nothing
    PUBLIC = "public"  # a citizen or business


@dataclass(frozen=True)
class Actor:
    """The authenticated person behind a command."""

    unit: str
    role: Role
    person: str

    def as_dict(self) -> dict[str, str]:
        return {"unit": self.unit, "role": self.role.value, "person": self.person}

    @classmethod
    def from_dict(cls, data: dict[str, str]) -> Actor:
        return cls(unit=data["unit"], role=Role(data["role"]), person=data["person"])
