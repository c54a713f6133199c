"""The node's policy (本地规定) over HTTP: the numbers local practice sets, as this node applies them.

Numbers a national text fixes (the 30 days of Art. 17) are rules, not policy, and are not here.
"""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.auth import ActorDep
from api.deps import NodeDep
from api.problems import problems

router = APIRouter(prefix="/v1/policy", tags=["policy"])


class PolicyView(BaseModel):
    """domain.policy.Policy as JSON."""

    notice_working_days: int = Field(description="Written notice at least this many working days before on-site work.")
    yellow_within_working_days: int = Field(description="A deadline this near turns a light yellow.")
    shift_period_end_off_holidays: bool = Field(description="A period ending on a holiday ends on the next working day.")
    urging_interval_days: int = Field(description="Urging (催办) the same target no more often than this.")
    instruction_days_urgent: int = Field(description="Deadline of an urgent leader's instruction (批示).")
    instruction_days_normal: int = Field(description="Deadline of a normal instruction.")
    instruction_days_difficult: int = Field(description="Deadline of a difficult instruction.")
    progress_report_cycle_days: int = Field(description="How often a ledger task (工作台账) reports progress.")


@router.get("", response_model=PolicyView, responses=problems(401), summary="The node's policy (本地规定)")
async def get_policy(_actor: ActorDep, node: NodeDep) -> PolicyView:
    return PolicyView(**asdict(node.policy))
