"""The lifecycle's commands over HTTP: one table row per command, one factory that registers each.

Every command of `ducha.commands.CASE_COMMANDS` but propose and approve (which answer
warnings, see `api/case_commands.py`) is `POST /v1/cases/{id}/<command>`, with its own
request model (its own OpenAPI schema), its step and Chinese term in the summary, the
problems it can answer, and If-Match → the expected version. All answer alike:
{id, state, version, position}, `Ducha-Position` and `ETag`.

The answer of a proposal and of every command declares OpenAPI links (`case_links`) to the routes on
the same case: its reads (by id, history, comparison), an internal note, and the commands that may
follow that act in the lifecycle (`NEXT`), the case's id taken from the answer's `id`. Clients follow
them; schemathesis' state machine walks the lifecycle through them.
"""

# No `from __future__ import annotations` here: the factory's endpoint annotations must be
# the real request models when FastAPI reads them, not strings naming a closure's variable.

import re
from dataclasses import dataclass
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Body, Depends, Response

from api import case_command_models as m
from api.auth import ActorDep
from api.case_models import Command, CommandAnswer, RejectCase
from api.deps import NodeDep
from api.preconditions import etag, expected_version
from api.problems import problems
from ducha.commands import CASE_COMMANDS
from ducha.writer import Outcome

ExpectedVersion = Annotated[int | None, Depends(expected_version)]

# What a command on an existing case can answer: malformed If-Match, no token, a role or unit
# that may not act, no such case, wrong state or stale version, invalid body or broken rule.
ON_CASE = (400, 401, 403, 404, 409, 422)


def answer(response: Response, outcome: Outcome) -> CommandAnswer:
    """The common answer of a command, with its position and the case's new ETag."""
    response.headers["Ducha-Position"] = str(outcome.position)
    response.headers["ETag"] = etag(outcome.version)
    return CommandAnswer(
        id=outcome.aggregate.id, state=outcome.state, version=outcome.version, position=outcome.position
    )


@dataclass(frozen=True)
class Step:
    """One command route: the command's wire name, its body, its OpenAPI summary and problems."""

    command: str
    body: type[Command]
    summary: str
    problems: tuple[int, ...] = ON_CASE


STEPS = (
    Step("reject", RejectCase, "Step 2: reject a proposed case, with a reason (不予同意)"),
    Step("file", m.FileCase, "Step 3: file a department case with the supervision office (备案)"),
    Step("adopt-plan", m.AdoptPlan, "Step 4: adopt the supervision plan (督查方案)"),
    Step("amend-plan", m.AmendPlan, "Step 4: amend the plan with the approver's consent (方案变更)"),
    Step("recuse-supervisor", m.RecuseSupervisor, "Step 4: recuse a supervisor from a target (回避)"),
    Step("notify-targets", m.NotifyTargets, "Step 6: notify the targets in writing (督查通知)"),
    Step("conduct-site-visit", m.ConductSiteVisit, "Step 7: record a site visit (实地督查)"),
    Step("submit-self-inspection", m.SubmitSelfInspection, "Step 7: submit the target's self-inspection (自查、说明)"),
    Step("record-finding", m.RecordFinding, "Step 7: record a finding (督查发现)"),
    Step("attach-evidence", m.AttachEvidence, "Step 7: attach evidence by digest and title (证据材料)"),
    Step("submit-evaluation", m.SubmitEvaluation, "Step 7: submit a third-party evaluation (第三方评估)"),
    Step("record-survey-result", m.RecordSurveyResult, "Step 7: record a survey, forum or hearing (座谈、听证、统计)"),
    Step("hold-talk", m.HoldTalk, "Step 7: record a formal talk (约谈)"),
    Step("submit-report", m.SubmitReport, "Step 8: submit the supervision report (督查报告)"),
    Step("issue-conclusion", m.IssueConclusion, "Step 9: issue the conclusion on a target (督查结论)"),
    Step("deliver-conclusion", m.DeliverConclusion, "Step 9: record the conclusion's delivery (送达)"),
    Step("request-review", m.RequestReview, "Step 10: apply for review of a conclusion (申请复核)"),
    Step("decide-review", m.DecideReview, "Step 10: decide a review, upheld or amended (复核决定)"),
    Step("report-rectification", m.ReportRectification, "Step 11: report rectification progress (整改进展)"),
    Step("complete-rectification", m.CompleteRectification, "Step 11: claim a requirement rectified (整改完成)"),
    Step("verify-rectification", m.VerifyRectification, "Step 11: verify a rectification (核查通过)"),
    Step("return-rectification", m.ReturnRectification, "Step 11: return a rectification (核查退回)"),
    Step("urge-target", m.UrgeTarget, "Step 11: urge a target (催办)"),
    Step("propose-commendation", m.ProposeResult, "Step 12: propose a commendation (表扬、激励建议)"),
    Step("commend", m.DecideProposal, "Step 12: approve a commendation (表扬、激励)"),
    Step("propose-criticism", m.ProposeResult, "Step 12: propose a criticism (批评、通报建议)"),
    Step("criticize", m.DecideProposal, "Step 12: approve a criticism (批评、通报)"),
    Step("propose-accountability", m.ProposeResult, "Step 12: propose accountability (问责建议)"),
    Step("refer-accountability", m.ReferAccountability, "Step 12: hand accountability to the authority (移交问责)"),
    Step("tolerate-fault", m.TolerateFault, "Step 12: excuse a criticism or accountability (容错纠错)"),
    Step("deduct-performance", m.DeductPerformance, "Step 12: deduct performance points (绩效考核减分)"),
    Step("propose-document-revision", m.ProposeDocumentRevision, "Step 12: propose revising a document (文件修改、废止建议)"),
    Step("refer-lead", m.ReferLead, "Step 12: refer a lead to the competent organ (线索移送)"),
    Step("close", m.CloseCase, "Step 13: close the case (办结)"),
    Step("record-internal-note", m.RecordInternalNote, "Any step: the office's internal note (内部备注)"),
    Step("save-conclusion-draft", m.SaveConclusionDraft, "Step 9: save a conclusion draft (督查结论草稿)"),
    Step("save-evaluation-draft", m.SaveEvaluationDraft, "Step 7: save an evaluation draft (评估意见草稿)"),
)


def _operation_id(name: str, path: str, method: str) -> str:
    """The operationId FastAPI gives a route by default (`fastapi.utils.generate_unique_id`)."""
    return re.sub(r"\W", "_", name + path) + f"_{method}"


WORK = (
    "conduct-site-visit", "submit-self-inspection", "record-finding", "attach-evidence", "submit-evaluation",
    "save-evaluation-draft", "record-survey-result", "hold-talk", "submit-report",
)
PLANNED = ("amend-plan", "recuse-supervisor", "notify-targets", *WORK)
RECTIFYING = ("report-rectification", "complete-rectification", "urge-target")
RESULTS = (
    "propose-commendation", "propose-criticism", "propose-accountability", "propose-document-revision", "refer-lead",
    "deduct-performance", "close",
)
# What may follow each act on a case: its answer links to these commands (and to `ALWAYS`).
NEXT: dict[str, tuple[str, ...]] = {
    "propose": ("approve", "reject"), "approve": ("file", "adopt-plan", "merge"), "reject": (),
    "file": ("adopt-plan",), "merge": ("adopt-plan",),
    **dict.fromkeys(("adopt-plan", "amend-plan", "recuse-supervisor"), PLANNED),
    **dict.fromkeys(("notify-targets", *WORK[:-1]), WORK),
    "submit-report": ("save-conclusion-draft", "issue-conclusion"),
    "save-conclusion-draft": ("save-conclusion-draft", "issue-conclusion"),
    "issue-conclusion": ("deliver-conclusion", "issue-conclusion"),
    "deliver-conclusion": ("request-review", *RECTIFYING, *RESULTS),
    "request-review": ("decide-review",), "decide-review": RECTIFYING,
    "report-rectification": ("complete-rectification",),
    "complete-rectification": ("verify-rectification", "return-rectification"),
    "verify-rectification": RESULTS, "return-rectification": RECTIFYING, "urge-target": RECTIFYING,
    "propose-commendation": ("commend",), "propose-criticism": ("criticize",),
    "propose-accountability": ("refer-accountability",),
    **dict.fromkeys(("criticize", "refer-accountability"), ("tolerate-fault", *RESULTS)),
    **dict.fromkeys(
        ("commend", "tolerate-fault", "propose-document-revision", "refer-lead", "deduct-performance"), RESULTS
    ),
    "close": (), "record-internal-note": (),
}
READS = {"get-one-case": ("get_one_case", "", "get"), "history": ("case_history", "/history", "get"),
         "comparison": ("case_comparison", "/comparison", "get")}
ALWAYS = ("record-internal-note",)  # the office may note something at any step


def _route(command: str) -> tuple[str, str, str]:
    """The route of a command on a case: its name, its path below the case, its method."""
    name = "merge_cases" if command == "merge" else f"{CASE_COMMANDS[command]}_case"
    return name, f"/{command}", "post"


def case_links(after: str) -> dict[str, dict[str, Any]]:
    """OpenAPI links from the answer to `after` (a command's wire name, or "propose") to the case's reads and
    to the commands that may follow it (`NEXT`), the case's id taken from the answer's `id`."""
    routes = READS | {c: _route(c) for c in (*NEXT[after], *ALWAYS)}
    return {
        link: {"operationId": _operation_id(name, f"/v1/cases/{{case_id}}{tail}", method),
               "parameters": {"case_id": "$response.body#/id"}}
        for link, (name, tail, method) in routes.items()
    }


def linked(status: int, description: str, after: str) -> dict[int | str, dict[str, Any]]:
    """The `responses` entry of the answer to `after`: its description and its links."""
    return {status: {"description": description, "links": case_links(after)}}


def _endpoint(step: Step):
    """The route function of one step; its `body` parameter is typed with the step's own model."""
    model = step.body
    optional = not any(field.is_required() for field in model.model_fields.values())
    body_type = model | None if optional else model

    async def endpoint(
        case_id: UUID,
        actor: ActorDep,
        node: NodeDep,
        expected: ExpectedVersion,
        response: Response,
        body: body_type = Body(None if optional else ...),  # type: ignore[valid-type]
    ) -> CommandAnswer:
        command = body or model()
        outcome = await node.cases.run(
            step.command, actor, case_id, on=command.on, expected_version=expected, **command.fields()
        )
        return answer(response, outcome)

    endpoint.__name__ = f"{CASE_COMMANDS[step.command]}_case"
    return endpoint


def register_steps(router: APIRouter, steps: tuple[Step, ...] = STEPS) -> None:
    """Registers `POST /{case_id}/<command>` on `router` for each step."""
    for step in steps:
        endpoint = _endpoint(step)
        router.add_api_route(
            f"/{{case_id}}/{step.command}",
            endpoint,
            methods=["POST"],
            response_model=CommandAnswer,
            responses=problems(*step.problems) | linked(200, "The case's new state and version.", step.command),
            summary=step.summary,
            description=step.body.__doc__,
            name=endpoint.__name__,
        )
