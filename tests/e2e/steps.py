"""Small steps of a supervision case (督查事项), each one HTTP command, for the end-to-end tests.

The node's clock stands at 2026-11-25 (tests/conftest.py); every act is dated before it, in
autumn 2026, so that the notice meets National Day week (2026-10-01..07) and its adjusted
working Saturday (2026-10-10) on the official calendar.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from domain.actor import Role

OFFICE = ("220000-DCS", Role.AGENCY)  # 吉林省人民政府督查室
LEADER = ("220000", Role.LEADER)
GOVERNMENT = ("220000", Role.GOVERNMENT)
DEPARTMENT = ("220000-FGW", Role.DEPARTMENT)  # 吉林省发展和改革委员会
TARGET = ("220100", Role.TARGET)  # 长春市
OFFICER, ISSUER, REVIEWER = "督查员李", "办公厅王", "办公厅赵"

REQUIREMENTS = [
    {"id": "r1", "text": "年底前补发就业补贴", "deadline": "2026-11-20"},
    {"id": "r2", "text": "建立补贴发放台账", "deadline": "2026-11-30"},
]


def proposal(**changes: Any) -> dict[str, Any]:
    """A government case on Changchun, proposed by the supervision office."""
    return {
        "case_type": "comprehensive", "topic": "work-report", "title": "稳就业任务落实情况督查",
        "targets": ["220100"], "methods": ["inspection", "interview"], "window_start": "2026-09-01",
        "window_end": "2026-12-31", "rationale": "省政府工作报告重点任务", "on": "2026-09-01",
    } | changes


@dataclass
class Api:
    """The node's HTTP API as one person in one role sees it."""

    client: httpx.AsyncClient
    auth: Callable[..., dict[str, str]]

    async def post(self, path: str, body: dict[str, Any] | None, who: tuple[str, Role], person: str = OFFICER,
                   **headers: str) -> httpx.Response:
        return await self.client.post(path, json=body, headers=self.auth(who, person=person) | headers)

    async def act(self, case_id: str, command: str, body: dict[str, Any] | None, who: tuple[str, Role] = OFFICE,
                  person: str = OFFICER) -> dict[str, Any]:
        """Runs a command that must be accepted; answers its body."""
        response = await self.post(f"/v1/cases/{case_id}/{command}", body, who, person)
        assert response.status_code == 200, f"{command}: {response.text}"
        return response.json()


async def propose(api: Api, body: dict[str, Any] | None = None, who: tuple[str, Role] = OFFICE) -> str:
    response = await api.post("/v1/cases", body or proposal(), who)
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def approve(api: Api, case_id: str, who: tuple[str, Role] = LEADER) -> dict[str, Any]:
    return await api.act(case_id, "approve", {"on": "2026-09-02", "remarks": "同意"}, who, person="省长")


async def adopt_plan(api: Api, case_id: str, who: tuple[str, Role] = OFFICE) -> dict[str, Any]:
    body = {"on": "2026-09-03", "content": "检查就业补贴发放", "team": [OFFICER], "team_leader": OFFICER}
    return await api.act(case_id, "adopt-plan", body, who)


async def notify(api: Api, case_id: str, on: str = "2026-09-30", starts: str = "2026-10-10") -> httpx.Response:
    """The written notice; answers the response (a test may expect it refused)."""
    body = {"on": on, "site_work_starts": starts, "content": "实地督查就业补贴发放", "supervisors": [OFFICER]}
    return await api.post(f"/v1/cases/{case_id}/notify-targets", body, OFFICE)


async def work(api: Api, case_id: str, visit_on: str = "2026-10-10") -> None:
    """The site visit on the adjusted working Saturday, a finding, and the report."""
    await api.act(case_id, "conduct-site-visit", {"on": visit_on, "target": "220100", "summary": "走访三个街道"})
    body = {"on": visit_on, "finding_id": "f1", "target": "220100", "item": "补贴发放", "text": "发放滞后两个月"}
    await api.act(case_id, "record-finding", body)
    await api.act(case_id, "submit-report", {"on": "2026-10-12", "summary": "总体推进有力，个别环节滞后"})


async def conclude_and_deliver(api: Api, case_id: str) -> None:
    body = {
        "on": "2026-10-13", "target": "220100", "summary": "补贴发放滞后", "findings": ["f1"],
        "requirements": REQUIREMENTS,
    }
    await api.act(case_id, "issue-conclusion", body, GOVERNMENT, person=ISSUER)
    await api.act(case_id, "deliver-conclusion", {"on": "2026-10-14", "target": "220100"})


async def review_amended(api: Api, case_id: str) -> dict[str, Any]:
    """The target applies for review; another official amends the conclusion: r2 is dropped (waived)."""
    await api.act(case_id, "request-review", {"on": "2026-10-20", "grounds": "台账已建立"}, TARGET, person="长春市刘")
    body = {
        "on": "2026-10-23", "target": "220100", "outcome": "amended", "grounds": "台账已于送达前建立",
        "requirements": [REQUIREMENTS[0]],
    }
    return await api.act(case_id, "decide-review", body, GOVERNMENT, person=REVIEWER)


async def rectify(api: Api, case_id: str, requirement_id: str = "r1") -> dict[str, Any]:
    """The target reports and completes the rectification; the office verifies it (核查)."""
    progress = {"on": "2026-10-26", "requirement_id": requirement_id, "progress": "已补发一半", "percent": 50}
    await api.act(case_id, "report-rectification", progress, TARGET, person="长春市刘")
    done = {"on": "2026-11-02", "requirement_id": requirement_id, "summary": "已全部补发"}
    await api.act(case_id, "complete-rectification", done, TARGET, person="长春市刘")
    return await api.act(case_id, "verify-rectification", {"on": "2026-11-05", "requirement_id": requirement_id})


async def commend(api: Api, case_id: str) -> dict[str, Any]:
    """The office proposes commending the target; the leader approves it (Art. 21)."""
    body = {"on": "2026-11-06", "proposal_id": "p1", "unit": "220100", "grounds": "整改迅速"}
    await api.act(case_id, "propose-commendation", body)
    return await api.act(case_id, "commend", {"on": "2026-11-09", "proposal_id": "p1"}, LEADER, person="省长")


async def close(api: Api, case_id: str) -> httpx.Response:
    return await api.post(f"/v1/cases/{case_id}/close", {"on": "2026-11-10", "summary": "办结"}, OFFICE)


async def planned(api: Api, **changes: Any) -> str:
    case_id = await propose(api, proposal(**changes))
    await approve(api, case_id)
    await adopt_plan(api, case_id)
    return case_id


async def delivered(api: Api) -> str:
    """A government case whose conclusion reached its target."""
    case_id = await planned(api)
    assert (await notify(api, case_id)).status_code == 200
    await work(api, case_id)
    await conclude_and_deliver(api, case_id)
    return case_id
