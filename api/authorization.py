"""The authorization policy (授权策略): who may call which route on which object, as data in one place.

Every route of the app is one row of `POLICY`, keyed by the route's name: the kind of object it
acts on (`Kind`, with its resolver) and, per role, the relations (`Relation`) of that object to
the caller's unit under which the role may call it. `authorize`, installed once on the app,
enforces the row before any handler runs:

1. a route whose row says `PUBLIC` needs no token; any other needs a valid one (401);
2. the object (a case 督查事项, a ledger task 工作台账, an instruction 批示, a lead 线索, a unit 单位,
   a government's annual plan) is resolved from the path; one the caller may not see answers
   exactly as one that does not exist (404, the same body);
3. a role that the row does not allow at that relation is refused (403, `act-not-allowed`).

The relation is judged level by level: an office (leader, government, agency, department,
auditor) stands for its government (`UnitRegistry.government_of`), a party (target, evaluator,
public) for its own unit. `own`: the object's unit is the caller's; `below`: within its
jurisdiction; `above`: the caller lies within the object's; `elsewhere`: neither.

The domain's `check_*` guards stay: they decide the finer rules (the sponsor department, the
same-level agency, the entrusted evaluator). The policy decides who may even call a route on
an object they can see; the sight of a case is `api/visibility.py`'s rules, applied here to the
event-sourced case itself so that a command right after its proposal is judged without waiting
for the board.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials

from api import visibility
from api.auth import _bearer, current_actor
from api.problems import URN, ProblemError
from domain.actor import Actor, Role
from domain.errors import ActNotAllowed, DomainError, NotFound
from domain.units import UnitRegistry
from ducha.metrics import REFUSED
from projections.case_board_queries import CaseSight

OFFICES = frozenset({Role.LEADER, Role.GOVERNMENT, Role.AGENCY, Role.DEPARTMENT})
READERS = OFFICES | {Role.AUDITOR}
PROVINCE_READERS = frozenset({Role.LEADER, Role.GOVERNMENT, Role.AGENCY, Role.AUDITOR})  # the province-wide views


class Relation(StrEnum):
    """How an object's unit relates to the caller's unit (or its government, for an office)."""

    OWN = "own"
    BELOW = "below"
    ABOVE = "above"
    ELSEWHERE = "elsewhere"


ALL = frozenset(Relation)
MINE = frozenset({Relation.OWN})
JURISDICTION = frozenset({Relation.OWN, Relation.BELOW})  # 管辖: itself and everything below it
PARTY = frozenset({Relation.OWN, Relation.ABOVE})  # a unit acting on a case of its own or a higher level


@dataclass(frozen=True)
class Found:
    """A resolved object: the unit that places it, and whether the caller may see it at all."""

    unit: str
    visible: bool


Resolver = Callable[[Any, Actor, str], Found | None]  # (node, actor, path value) -> Found, None: no such object


@dataclass(frozen=True)
class Kind:
    """A kind of object a route acts on: the path parameter naming it and how to find its unit and sight."""

    name: str
    param: str | None = None
    resolve: Resolver | None = None


@dataclass(frozen=True)
class Rule:
    """One route's row: the object kind, and per role the relations under which the role may call it.

    `allow` for a collection (no object) maps a role to `ALL`; a role absent from `allow` may not call it.
    """

    kind: Kind
    allow: Mapping[Role, frozenset[Relation]] = field(default_factory=dict)

    def permits(self, role: Role, relation: Relation | None) -> bool:
        relations = self.allow.get(role, frozenset())
        return bool(relations) if relation is None else relation in relations


# ---- relations and resolvers ----------------------------------------------------------------------


def home(registry: UnitRegistry, actor: Actor) -> str:
    """The unit the caller answers for: its government for an office and an auditor, else its own unit."""
    return registry.government_of(actor.unit) if actor.role in READERS else actor.unit


def relation(registry: UnitRegistry, actor: Actor, unit: str) -> Relation:
    """How `unit` relates to the caller (see the module docstring)."""
    mine = home(registry, actor)
    theirs = registry.government_of(unit) if actor.role in READERS else unit
    if theirs == mine:
        return Relation.OWN
    if registry.is_within(theirs, mine):
        return Relation.BELOW
    if registry.is_within(mine, theirs):
        return Relation.ABOVE
    return Relation.ELSEWHERE


def _aggregate(node: Any, value: str, cls_name: str) -> Any | None:
    try:
        # Read only: without fast-forward (SQLite) a cached aggregate is never changed in place, so the
        # cached object itself does; with it (PostgreSQL) a load may move it on meanwhile: a copy.
        repository = node.app.repository
        found = repository.get(UUID(value), deepcopy_from_cache=repository.fastforward)
    except (ValueError, AggregateNotFoundError):
        return None
    return found if type(found).__name__ == cls_name else None


def sees_case(registry: UnitRegistry, actor: Actor, case: Any) -> bool:
    """`api/visibility.py`'s sight of a case, judged on the case itself (the board's rule, `Audience.admits`):
    its jurisdiction's offices (unless they are an unvisited covert target), a target once aware of it, an
    evaluator entrusted in its plan, an office through such a unit of its jurisdiction."""
    return visibility.sees_case(actor, registry, CaseSight.of(case))


def _case(node: Any, actor: Actor, value: str) -> Found | None:
    case = _aggregate(node, value, "Case")
    return None if case is None else Found(case.level, sees_case(node.registry, actor, case))


def _in_sight(unit_of: Callable[[Any], str], cls_name: str) -> Resolver:
    """An aggregate seen by whoever holds its unit in its jurisdiction (`api/ledger_common.py`)."""

    def resolve(node: Any, actor: Actor, value: str) -> Found | None:
        found = _aggregate(node, value, cls_name)
        if found is None:
            return None
        unit = unit_of(found)
        return Found(unit, actor.role is not Role.PUBLIC and relation(node.registry, actor, unit) in JURISDICTION)

    return resolve


def sees_received(registry: UnitRegistry, actor: Actor, unit: str) -> bool:
    """A case or an instruction received from above (上级交办) is seen by its unit (the case's target, the
    instruction's lead unit 主办) and by this level's offices over it."""
    if actor.role is Role.TARGET:
        return actor.unit == unit
    return actor.role in READERS and relation(registry, actor, unit) in JURISDICTION


def _received(node: Any, actor: Actor, value: str) -> Found | None:
    record = _aggregate(node, value, "ReceivedCase") or _aggregate(node, value, "ReceivedInstruction")
    if record is None:
        return None
    unit = getattr(record, "target", None) or record.lead_unit
    return Found(unit, sees_received(node.registry, actor, unit))


def _unit(node: Any, actor: Actor, value: str) -> Found | None:
    if value not in node.registry:
        return None
    return Found(value, actor.role is not Role.PUBLIC and relation(node.registry, actor, value) in JURISDICTION)


PUBLIC = Kind("public")  # no token, no object
NONE = Kind("none")  # a collection or a creation: no object in the path; the domain checks the body
CASE = Kind("case", "case_id", _case)
TASK = Kind("task", "task_id", _in_sight(lambda t: t.responsible_unit, "Task"))
INSTRUCTION = Kind("instruction", "instruction_id", _in_sight(lambda i: i.lead_unit, "Instruction"))
LEAD = Kind("lead", "lead_id", _in_sight(lambda lead: lead.level, "Lead"))
UNIT = Kind("unit", "code", _unit)
PLAN = Kind("plan", "government", _unit)
RECEIVED = Kind("received", "received_id", _received)
NOT_FOUND = {"case": visibility.NOT_FOUND, "received": "nothing received from above by that id"}  # the text the routes of a kind give for no such object


# ---- the policy -----------------------------------------------------------------------------------

EVERYONE = frozenset(Role)
PARTIES = visibility.PARTY_ROLES  # target 督查对象, evaluator 第三方评估
DECIDERS = frozenset({Role.LEADER, Role.GOVERNMENT})  # 本级政府 and its head (Art. 11, 21)
RUNNERS = frozenset({Role.AGENCY, Role.DEPARTMENT})  # the office running a case, or its sponsor department


def rule(kind: Kind, roles: frozenset[Role] = frozenset(), relations: frozenset[Relation] = ALL, **more: frozenset[Relation]) -> Rule:
    """A row: `roles` at `relations`, plus single roles by name (`target=PARTY`)."""
    allow = {role: relations for role in roles} | {Role(name): rels for name, rels in more.items()}
    return Rule(kind, allow)


def _case_command(roles: frozenset[Role], relations: frozenset[Relation] = MINE) -> Rule:
    return rule(CASE, roles, relations)


CASE_COMMAND_ROLES: dict[str, Rule] = {
    "approve": _case_command(DECIDERS), "reject": _case_command(DECIDERS),
    "file": _case_command(frozenset({Role.AGENCY})), "merge": _case_command(frozenset({Role.AGENCY})),
    **{c: _case_command(RUNNERS) for c in (
        "adopt-plan", "amend-plan", "recuse-supervisor", "notify-targets", "conduct-site-visit", "record-finding",
        "attach-evidence", "record-survey-result", "hold-talk", "submit-report", "deliver-conclusion", "close",
    )},
    **{c: _case_command(frozenset({Role.TARGET}), PARTY) for c in (
        "submit-self-inspection", "request-review", "report-rectification", "complete-rectification",
    )},
    "submit-evaluation": _case_command(frozenset({Role.EVALUATOR}), ALL),
    "save-evaluation-draft": _case_command(frozenset({Role.EVALUATOR}), ALL),
    "record-internal-note": _case_command(frozenset({Role.AGENCY})),
    "save-conclusion-draft": _case_command(frozenset({Role.AGENCY})),
    **{c: _case_command(frozenset({Role.AGENCY})) for c in (
        "verify-rectification", "return-rectification", "urge-target", "propose-commendation", "propose-criticism",
        "propose-accountability", "propose-document-revision", "refer-lead",
    )},
    **{c: _case_command(DECIDERS) for c in (
        "issue-conclusion", "decide-review", "commend", "criticize", "tolerate-fault", "deduct-performance",
    )},
    "refer-accountability": _case_command(DECIDERS | {Role.AGENCY}),
}

TASK_RESPONSIBLE = ("decompose", "accept", "report_progress", "reach_milestone", "claim_completion")
TASK_ASSIGNER = ("verify", "return", "urge", "close")

POLICY: dict[str, Rule] = {
    # operations and the public's own door (线索 by receipt code)
    "healthz": rule(PUBLIC), "readyz": rule(PUBLIC), "metrics": rule(PUBLIC),
    "submit_lead": rule(PUBLIC), "follow_lead": rule(PUBLIC),
    "asyncapi": rule(PUBLIC),  # the AsyncAPI document, public like /openapi.json
    "federation_dead_letters": rule(NONE, frozenset({Role.AGENCY})),  # the node's own office (the handler: its level)
    # the province-wide board and burden (the node's offices; the handler keeps the board to its own level)
    "province_cases": rule(NONE, PROVINCE_READERS), "province_burden": rule(UNIT, PROVINCE_READERS, JURISDICTION),
    "get_policy": rule(NONE, EVERYONE),
    # cases: commands (the domain's guards decide the finer rules)
    "propose_case": rule(NONE, OFFICES),
    **{f"{c.replace('-', '_')}_case": r for c, r in CASE_COMMAND_ROLES.items()},
    "merge_cases": CASE_COMMAND_ROLES["merge"],
    # cases: reads (sight is visibility's; a party reads the case as it concerns it)
    "list_case_board": rule(NONE, READERS | PARTIES), "count_case_board": rule(NONE, READERS | PARTIES),
    "get_one_case": rule(CASE, READERS | PARTIES), "case_history": rule(CASE, READERS | PARTIES),
    "case_comparison": rule(CASE, READERS, JURISDICTION),  # 对表分析: the office's own working tool
    "unit_accountability": rule(UNIT, READERS | PARTIES),
    "person_accountability": rule(NONE, READERS | PARTIES),
    "board_as_of": rule(NONE, frozenset({Role.AUDITOR, Role.AGENCY})),
    "one_case_as_of": rule(CASE, frozenset({Role.AUDITOR, Role.AGENCY}), JURISDICTION),
    # leads (线索): who gave one is the office's secret (visibility.SECRET_FIELDS)
    "lead_history": rule(LEAD, READERS, JURISDICTION),
    "sort_lead": rule(LEAD, OFFICES, MINE), "hand_over_lead": rule(LEAD, OFFICES, MINE),
    "open_verification": rule(LEAD, OFFICES, MINE),
    # the task ledger (工作台账): the responsible unit acts on its task, the assigning level checks it
    "register_task": rule(NONE, OFFICES),
    **{f"{c}_task": rule(TASK, OFFICES | {Role.TARGET}, MINE) for c in TASK_RESPONSIBLE},
    **{f"{c}_task": rule(TASK, OFFICES, JURISDICTION) for c in TASK_ASSIGNER},
    "list_overdue": rule(NONE, READERS | {Role.TARGET}),
    "task_tree": rule(TASK, READERS | {Role.TARGET}, JURISDICTION),
    # leaders' instructions (批示)
    "issue_instruction": rule(NONE, OFFICES), "instruction_board": rule(NONE, READERS | {Role.TARGET}),
    "order_covert_check": rule(INSTRUCTION, OFFICES, JURISDICTION),
    "assign_instruction": rule(INSTRUCTION, OFFICES, JURISDICTION),
    "return_instruction": rule(INSTRUCTION, OFFICES, JURISDICTION),
    "close_instruction": rule(INSTRUCTION, OFFICES, JURISDICTION),
    "answer_instruction": rule(INSTRUCTION, OFFICES | {Role.TARGET}, MINE),
    # annual plans (年度计划) and the burden ledger (最多报一次)
    "draft_plan": rule(NONE, OFFICES), "approve_out_of_plan": rule(NONE, OFFICES),
    "plan_actual": rule(PLAN, READERS | {Role.TARGET}, JURISDICTION),
    **{f"{c}_plan": rule(PLAN, OFFICES, JURISDICTION) for c in ("plan_activity", "set_cap", "file")},
    "burden": rule(UNIT, READERS | PARTIES, JURISDICTION), "scores": rule(UNIT, READERS | PARTIES, JURISDICTION),
    "demand_material": rule(UNIT, OFFICES, JURISDICTION),
    "report_form": rule(UNIT, OFFICES | {Role.TARGET}, JURISDICTION),
    # cases and instructions received from above (上级交办): the unit reads and answers its own, the offices read
    "list_received_cases": rule(NONE, READERS | {Role.TARGET}),
    "get_received_case": rule(RECEIVED, READERS, JURISDICTION, target=MINE),
    "submit_received_self_inspection": rule(RECEIVED, target=MINE),
    "report_received_rectification": rule(RECEIVED, target=MINE),
    "request_received_review": rule(RECEIVED, target=MINE),
    "list_received_instructions": rule(NONE, READERS | {Role.TARGET}),
    "get_received_instruction": rule(RECEIVED, READERS, JURISDICTION, target=MINE),
    "answer_received_instruction": rule(RECEIVED, OFFICES | {Role.TARGET}, MINE),
}


# ---- the bus: messages between levels ---------------------------------------------------------------


@dataclass(frozen=True)
class BusRule:
    """One integration message's row: how its sender node must relate to its receiver node (`BELOW`: the sender
    lies below, a report up; `ABOVE`: a superior's message down), and the roles that may have acted in it."""

    sender: Relation
    roles: frozenset[Role]


def carries(sender: Relation, *routes: str, roles: frozenset[Role] = frozenset()) -> BusRule:
    """A row for a message carrying the act of `routes` (the roles their rows allow), plus `roles`."""
    return BusRule(sender, frozenset(roles.union(*(POLICY[route].allow for route in routes))))


UP, DOWN = Relation.BELOW, Relation.ABOVE
CASE_REPORTING = ("submit_report_case", "issue_conclusion_case", "deliver_conclusion_case", "close_case")

# Every contract of ducha/federation/contracts.py by name; the inbox dead-letters a message whose contract has no row.
BUS_POLICY: dict[str, BusRule] = {
    # the ledger (工作台账): a superior's decomposition assigns down (交办), the responsible unit reports up
    "TaskAssigned": carries(DOWN, "decompose_task"),
    "TaskAccepted": carries(UP, "accept_task"),
    "TaskProgressReported": carries(UP, "report_progress_task"),  # or the responsible unit's office rolling up
    "TaskCompletionClaimed": carries(UP, "claim_completion_task"),
    # cases: reports up (督查事项报告, 基层负担), a case's acts down to its targets, the targets' acts back up
    "CaseReported": carries(UP, *CASE_REPORTING),
    "BurdenReported": carries(UP, roles=frozenset({Role.AGENCY})),  # the office's counts (负担汇总)
    "CaseNotified": carries(DOWN, "notify_targets_case"),
    "CaseVisited": carries(DOWN, "conduct_site_visit_case"),
    "CaseConcluded": carries(DOWN, "issue_conclusion_case", "deliver_conclusion_case"),
    "CaseReviewDecided": carries(DOWN, "decide_review_case"),
    "CaseRectificationReported": carries(UP, "report_rectification_case"),
    "CaseRectificationCompleted": carries(UP, "complete_rectification_case"),
    "CaseReviewRequested": carries(UP, "request_review_case"),
    "CaseSelfInspectionSubmitted": carries(UP, "submit_self_inspection_case"),
    "CaseRectificationVerified": carries(DOWN, "verify_rectification_case"),
    "CaseRectificationReturned": carries(DOWN, "return_rectification_case"),
    "CaseRectificationOverdue": carries(DOWN, roles=frozenset({Role.AGENCY})),  # the clock, acting for the office
    "CaseTargetUrged": carries(DOWN, "urge_target_case"),  # the office, or its clock
    # leaders' instructions (批示): assigned, returned and closed down to the lead unit's node, answered up
    "InstructionAssigned": carries(DOWN, "assign_instruction"),
    "InstructionAnswerReturned": carries(DOWN, "return_instruction"),
    "InstructionClosed": carries(DOWN, "close_instruction"),
    "InstructionAnswered": carries(UP, "answer_instruction"),
    # a target's or lead unit's act refused by the node that judged it (退件): the node's inbox, for its office
    "ActRefused": carries(DOWN, roles=frozenset({Role.AGENCY})),
}


def node_relation(registry: UnitRegistry, sender: str, receiver: str) -> Relation:
    """How the sender node relates to the receiver node (raises UnknownUnit for a level the registry lacks)."""
    if sender == receiver:
        return Relation.OWN
    if receiver in registry.ancestors(sender):
        return Relation.BELOW
    if sender in registry.ancestors(receiver):
        return Relation.ABOVE
    registry.check_known([sender, receiver])
    return Relation.ELSEWHERE


# ---- enforcement ----------------------------------------------------------------------------------


async def check_case_in_sight(node: Any, actor: Actor, case_id: UUID) -> None:
    """Raised (404, the body of a case that does not exist) when a request's body names a case the caller may not
    see (a merger's absorbed case, a case approved outside the plan): the policy resolves the path's object,
    this the body's, by the same rule, before any rule of the domain could answer about it."""
    found = await node.read_store(_case, node, actor, str(case_id))
    if found is None or not found.visible:
        raise visibility.not_found()


def forbidden(actor: Actor, name: str, relation: Relation | None) -> ActNotAllowed:
    where = "" if relation is None else f" on an object {relation.value} to its unit"
    return ActNotAllowed(f"the policy does not let the role {actor.role.value!r} call {name!r}{where}")


def not_found(kind: Kind) -> NotFound:
    """The one answer for an object that does not exist or that the caller may not see."""
    return NotFound(NOT_FOUND.get(kind.name, f"no such {kind.name}"))


async def authorize(request: Request) -> None:
    """The policy's row for this route, enforced: 401 without a valid token, 404 for an object out of
    sight (as for one that does not exist), 403 for a role the row does not allow at that relation.
    Each refusal is counted (`ducha_requests_refused_total`), since no command or query runs to count it."""
    name = getattr(request.scope.get("route"), "name", "")
    rule_ = POLICY.get(name)
    if rule_ is not None and rule_.kind is PUBLIC:
        return
    try:
        await _enforce(request, name, rule_)
    except DomainError as refused:
        REFUSED.labels(name, refused.slug).inc()
        raise
    except ProblemError as refused:
        REFUSED.labels(name, refused.type.removeprefix(URN)).inc()
        raise


async def _enforce(request: Request, name: str, rule_: Rule | None) -> None:
    # The bearer is read here, not declared: the OpenAPI security of a route stays the route's own (ActorDep),
    # so a public route is not documented as needing a token.
    credentials: HTTPAuthorizationCredentials | None = await _bearer(request)
    actor = await current_actor(request, credentials)
    if rule_ is None:  # fails closed: a route without a row is refused
        raise forbidden(actor, name, None)
    if rule_.kind.resolve is None:
        if not rule_.permits(actor.role, None):
            raise forbidden(actor, name, None)
        return
    # Sight first: what the caller may not see answers as nothing at all, whatever its role.
    node = request.app.state.node
    value = str(request.path_params.get(rule_.kind.param, ""))
    found = await node.read_store(rule_.kind.resolve, node, actor, value)
    if found is None or not found.visible:
        raise not_found(rule_.kind)
    related = relation(node.registry, actor, found.unit)
    if not rule_.permits(actor.role, related):
        raise forbidden(actor, name, related)


Authorized = Depends(authorize)
