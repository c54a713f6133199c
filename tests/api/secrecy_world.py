"""The world the secrecy sweep runs in (tests/api/test_secrecy_of_every_operation.py): a province node (220000) holding the secrets
the regulation keeps, who may see each of them, and the callers the sweep sends every operation as.

* four covert cases (暗访): one on 南关区 (220102), approved and planned, in the province's filed annual plan;
  one on the development and reform commission (220000-FGW) itself and on Changchun, visited (and a point
  deducted) at Changchun only; one opened as a covert check (暗访核查) of 南关区's answer to a leader's instruction;
  one the commission proposed on the province's supervision office itself;
* a lead (线索) given by a citizen who named themself (Art. 26: the office of the lead's level alone knows who);
* an internal note (内部备注), a conclusion draft (督查结论草稿) and an evaluation draft (评估意见草稿);
* proposals on results not yet approved (表扬、批评、问责建议): the proposing office, its approvers and auditors;

and beside them what the callers may see and act on: the story's case (tests/projections/story.py), Changchun's
own cases on 南关区 in a window overlapping the covert one (one approved, one proposed), a ledger task and the
instruction, so that commands are accepted and their answers (warnings included) carry what they carry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from domain.actor import Role
from tests.projections.story import run_story_on

COVERT_TITLE = "南关区农贷资金挪用问题暗访（密）"
DEPARTMENT_COVERT_TITLE = "省发改委项目审批作风暗访（密）"
CHECK_TITLE = "南关区批示落实情况暗访核查（密）"
OFFICE_COVERT_TITLE = "省督查室作风建设暗访（密）"
# the covert cases' windows: dates no other act of the world or of the sweep names
COVERT_WINDOW = ("2027-04-13", "2027-04-22")
DEPARTMENT_WINDOW = ("2027-05-11", "2027-05-20")
CHECK_WINDOW = ("2027-06-08", "2027-06-17")
OFFICE_WINDOW = ("2027-06-22", "2027-06-25")
INFORMANT = {"name": "举报人周秘", "contact": "13987650001"}
NOTE, DRAFT, EVALUATION_DRAFT = "内部备注：疑似台账补录（密）", "结论草稿：拟通报（密）", "评估初稿：数据存疑（密）"
PENDING = {  # proposals on results not yet approved: id -> (command, unit, grounds)
    "p-pending-criticism": ("propose-criticism", "220100", "拟通报批评：补贴台账造假嫌疑（未批）"),
    "p-pending-accountability": ("propose-accountability", "220100", "拟问责：监管失职（未批）"),
    "p-pending-commendation": ("propose-commendation", "220200", "拟表扬：超额完成（未批）"),
}
PENDING_PERSON = "长春市张"

# Who calls, in the order they are swept: who may see least first, so that no act of a later caller (an
# approval, a visit) makes a secret visible to an earlier one; the anonymous public is `None`.
CALLERS: dict[str, tuple[str, Role] | None] = {
    "public": None,
    "district": ("220102", Role.TARGET), "district-government": ("220102", Role.GOVERNMENT),
    "district-office": ("220102-DCS", Role.AGENCY),
    "city": ("220100", Role.TARGET), "city-office": ("220100-DCS", Role.AGENCY),
    "city-government": ("220100", Role.GOVERNMENT), "city-leader": ("220100", Role.LEADER),
    "city-department": ("220100-JYJ", Role.DEPARTMENT), "city-auditor": ("220100", Role.AUDITOR),
    "other-city": ("220200", Role.TARGET), "evaluator": ("220000-CBS", Role.EVALUATOR),
    "department": ("220000-FGW", Role.DEPARTMENT), "auditor": ("220000", Role.AUDITOR),
    "government": ("220000", Role.GOVERNMENT), "leader": ("220000", Role.LEADER), "office": ("220000-DCS", Role.AGENCY),
}


@dataclass(frozen=True)
class Secret:
    """Something only `audience` (callers by name) may learn: no answer to anyone else holds any of `needles`.
    `hidden_ids` are needles whose mere confirmation is the secret: an answer to a request naming one must be
    the answer to the same request naming nothing that exists."""

    name: str
    needles: tuple[str, ...]
    audience: frozenset[str]
    hidden_ids: tuple[str, ...] = ()


@dataclass
class World:
    """The seeded story: the secrets, the objects the callers act on, and the last position written."""

    secrets: list[Secret]
    cases: dict[str, str]  # by name: covert, department-covert, check, story, notes, city, city-proposed
    lead: str
    receipt: str
    task: str
    instruction: str
    position: int

    def hidden_from(self, caller: str) -> list[Secret]:
        return [s for s in self.secrets if caller not in s.audience]

    def hidden_ids(self, caller: str) -> list[str]:
        return [i for s in self.hidden_from(caller) for i in s.hidden_ids]

    def hidden_everywhere(self) -> list[str]:
        return [i for s in self.secrets for i in s.hidden_ids]

    def hidden_cases(self, caller: str) -> list[str]:
        covert = {self.cases[n] for n in ("covert", "department-covert", "check", "office-covert")}
        return [i for s in self.hidden_from(caller) for i in s.hidden_ids if i in covert]


PROVINCE = frozenset({"auditor", "government", "leader", "office"})
CHANGCHUN = frozenset({"city", "city-office", "city-government", "city-leader", "city-department", "city-auditor"})


class Seeder:
    """Writes the world through the API as the offices would (each act must be accepted), minding the last
    position written; the story's cases through the node (tests/projections/story.py)."""

    def __init__(self, node: Any, client: httpx.AsyncClient, headers: Any) -> None:
        self.node, self.client, self.headers = node, client, headers
        self.position = 0

    async def post(self, path: str, body: dict[str, Any], who: str, status: int = 200) -> dict[str, Any]:
        response = await self.client.post(path, json=body, headers=self.headers(CALLERS[who]))
        assert response.status_code == status, f"{path}: {response.status_code} {response.text}"
        answer = response.json()
        self.position = max(self.position, answer.get("position") or 0)
        return answer

    async def act(self, case_id: str, command: str, body: dict[str, Any], who: str = "office") -> dict[str, Any]:
        return await self.post(f"/v1/cases/{case_id}/{command}", body, who)

    async def case(self, title: str, targets: list[str], window: tuple[str, str], method: str, who: str) -> str:
        body = {
            "case_type": "comprehensive", "topic": "livelihood", "title": title, "targets": targets, "methods": [method],
            "window_start": window[0], "window_end": window[1], "rationale": "群众反映", "on": "2026-11-20",
        }
        return (await self.post("/v1/cases", body, who, 201))["id"]

    async def story(self, stage: str) -> str:
        case_id, position = await run_story_on(self.node, stage)
        self.position = max(self.position, position)
        return str(case_id)

    async def settled(self) -> None:
        for name, projector in self.node.projectors.items():
            assert await projector.wait_for(self.position, 20), f"{name} did not reach {self.position}"


async def _annual_plan(s: Seeder) -> None:
    """The province's plan for 2027, filed: the covert cases lie in it (一事一报 is not needed)."""
    await s.post("/v1/plans", {"year": 2027}, "office", 201)
    await s.post("/v1/plans/220000/2027/plan-activity", {
        "activity_id": "a1", "kind": "supervision", "title": "民生领域督查", "units": ["220102", "220000-FGW", "220100", "220000-DCS"],
        "window_start": "2027-04-01", "window_end": "2027-06-30"}, "office")
    await s.post("/v1/plans/220000/2027/file", {}, "office")


async def _covert_case(s: Seeder) -> str:
    """Approved and planned, not yet visited: 南关区 and its superiors must not learn of it."""
    covert = await s.case(COVERT_TITLE, ["220102"], COVERT_WINDOW, "covert-visit", "office")
    await s.act(covert, "approve", {"on": "2026-11-21"}, "leader")
    await s.act(covert, "adopt-plan", {"on": "2026-11-22", "content": "暗访农贷资金", "team": ["督查员李"]})
    return covert


async def _department_covert_case(s: Seeder) -> str:
    """Visited at Changchun (which now knows of it, and is deducted a point by it), not yet at the commission."""
    case_id = await s.case(DEPARTMENT_COVERT_TITLE, ["220000-FGW", "220100"], DEPARTMENT_WINDOW, "covert-visit", "office")
    await s.act(case_id, "approve", {"on": "2026-11-21"}, "leader")
    await s.act(case_id, "adopt-plan", {"on": "2026-11-22", "content": "暗访项目审批", "team": ["督查员李"]})
    await s.act(case_id, "conduct-site-visit", {"on": "2026-11-23", "target": "220100"})
    await s.act(case_id, "submit-report", {"on": "2026-11-23", "summary": "长春段已暗访", "report_up": False})
    await s.act(case_id, "deduct-performance", {"on": "2026-11-24", "unit": "220100", "points": 1, "period": "2026",
                                                "notice": "暗访扣分通报"}, "government")
    return case_id


async def _office_covert_case(s: Seeder) -> str:
    """A department's special covert supervision of the supervision office itself, approved by the government."""
    body = {
        "case_type": "special", "topic": "other", "title": OFFICE_COVERT_TITLE, "targets": ["220000-DCS"],
        "methods": ["covert-visit"], "window_start": OFFICE_WINDOW[0], "window_end": OFFICE_WINDOW[1],
        "rationale": "作风建设", "on": "2026-11-20",
    }
    case_id = (await s.post("/v1/cases", body, "department", 201))["id"]
    await s.act(case_id, "approve", {"on": "2026-11-21"}, "government")
    return case_id


async def _instruction_checked_covertly(s: Seeder) -> tuple[str, str]:
    """A leader's instruction answered by 南关区, and the covert check (暗访核查) of that answer: (instruction, case)."""
    instruction = (await s.post("/v1/instructions", {
        "text": "抓紧解决农贷资金问题", "lead_unit": "220102", "urgency": "difficult", "on": "2026-11-20"}, "leader", 201))["id"]
    await s.post(f"/v1/instructions/{instruction}/assign", {"on": "2026-11-20"}, "office")
    await s.post(f"/v1/instructions/{instruction}/answer", {"text": "已整改", "on": "2026-11-21"}, "district")
    check = await s.post(f"/v1/instructions/{instruction}/covert-check", {
        "grounds": "核实反馈", "title": CHECK_TITLE, "targets": ["220102"], "window_start": CHECK_WINDOW[0],
        "window_end": CHECK_WINDOW[1], "on": "2026-11-22"}, "office")
    return instruction, check["case_id"]


async def _pending_proposals(s: Seeder) -> str:
    """The story's case with its results, and proposals on them the government has not approved yet."""
    story = await s.story("results")
    for proposal_id, (command, unit, grounds) in PENDING.items():
        await s.act(story, command, {"on": "2026-11-24", "proposal_id": proposal_id, "unit": unit,
                                     "person": PENDING_PERSON, "grounds": grounds})
    return story


async def _unpublished(s: Seeder) -> str:
    """The story's case, reported, with an internal note, a conclusion draft and an evaluation draft on it."""
    notes = await s.story("reported")
    await s.act(notes, "record-internal-note", {"on": "2026-11-14", "text": NOTE, "target": "220100"})
    await s.act(notes, "save-conclusion-draft", {"on": "2026-11-14", "target": "220100", "summary": DRAFT})
    await s.act(notes, "save-evaluation-draft", {"on": "2026-11-14", "target": "220100", "summary": EVALUATION_DRAFT},
                "evaluator")
    return notes


async def _city_cases(s: Seeder) -> tuple[str, str]:
    """Changchun's own cases on 南关区, in windows overlapping the covert case's: one approved, one proposed."""
    city = await s.case("南关区供暖保障督查", ["220102"], ("2027-04-01", "2027-04-30"), "inspection", "city-office")
    await s.act(city, "approve", {"on": "2026-11-21"}, "city-leader")
    proposed = await s.case("南关区燃气安全督查", ["220102"], ("2027-04-05", "2027-04-25"), "inspection", "city-office")
    return city, proposed


async def _task(s: Seeder) -> str:
    return (await s.post("/v1/tasks", {
        "title": "农贷资金规范管理", "source": "work-report", "responsible_unit": "220102", "responsible_person": "南关区王",
        "responsible_leader": "副区长马", "standard": "年底前完成", "deadline": "2026-12-31", "on": "2026-11-20"},
        "office", 201))["id"]


async def _lead(s: Seeder) -> dict[str, Any]:
    """A lead given by a citizen who named themself, through the public's own door (no token)."""
    return await s.post("/v1/leads", {"content": "农贷资金被挪用", "about_unit": "220102", "informant": INFORMANT},
                        "public", 201)


def _secrets(cases: dict[str, str], lead: dict[str, Any]) -> list[Secret]:
    def covert(name: str, case: str, title: str, window: tuple[str, str], audience: frozenset[str]) -> Secret:
        return Secret(name, (cases[case], title, *window), audience, hidden_ids=(cases[case],))

    return [
        covert("covert case on 南关区", "covert", COVERT_TITLE, COVERT_WINDOW, PROVINCE | {"department"}),
        covert("covert case on the department", "department-covert", DEPARTMENT_COVERT_TITLE, DEPARTMENT_WINDOW,
               PROVINCE | CHANGCHUN),
        covert("covert check of an instruction", "check", CHECK_TITLE, CHECK_WINDOW, PROVINCE | {"department"}),
        covert("covert case on the office", "office-covert", OFFICE_COVERT_TITLE, OFFICE_WINDOW,
               PROVINCE - {"office"} | {"department"}),
        Secret("informant", (INFORMANT["name"], INFORMANT["contact"], lead["receipt_code"]), frozenset({"office"})),
        Secret("internal note", (NOTE,), frozenset({"office", "auditor"})),
        Secret("conclusion draft", (DRAFT,), frozenset({"office", "government", "auditor"})),
        Secret("evaluation draft", (EVALUATION_DRAFT,), frozenset({"evaluator", "auditor"})),
        Secret("proposals on results", (*PENDING, *(grounds for _, _, grounds in PENDING.values())), PROVINCE,
               hidden_ids=tuple(PENDING)),
    ]


async def seed(node: Any, client: httpx.AsyncClient, headers: Any) -> World:
    """The world, written; answers it once every projection has applied it. `headers(who)`: a caller's headers."""
    s = Seeder(node, client, headers)
    await _annual_plan(s)
    cases = {"covert": await _covert_case(s), "department-covert": await _department_covert_case(s)}
    instruction, cases["check"] = await _instruction_checked_covertly(s)
    cases["office-covert"] = await _office_covert_case(s)
    cases["story"], cases["notes"] = await _pending_proposals(s), await _unpublished(s)
    cases["city"], cases["city-proposed"] = await _city_cases(s)
    task, lead = await _task(s), await _lead(s)
    await s.settled()
    return World(
        secrets=_secrets(cases, lead), cases=cases, lead=lead["id"], receipt=lead["receipt_code"], task=task,
        instruction=instruction, position=s.position,
    )
