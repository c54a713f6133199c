"""Who sees what (可见范围): the secrecy rules of every read path, in one place.

Every query route asks this module, and nothing else, what its caller may see:

* **Jurisdiction** (管辖): the node's offices and auditors (leader, government, agency,
  department, auditor) read every case whose level lies within their government's
  jurisdiction (`UnitRegistry.is_within`): they are *full readers* of those cases.
* **Parties** (当事方): a case of another level is seen only by a unit that has access to it:
  a target (督查对象) once it knows of the case — after its written notice, or, for a covert
  case (暗访, 四不两直), after the site visit — and an evaluator (第三方评估) entrusted in the plan.
  Offices see such cases through the units of their jurisdiction; the `target` and
  `evaluator` roles through their own unit. Before that the case does not exist for them: not
  in lists, not in counts, and by id the same 404 as a case that never existed.
* A party sees the case as it concerns it: the other targets are left out, and of the history
  only the events addressed to it, about it, or its own acts (`PARTY_EVENTS`); a conclusion
  only once delivered, and then the findings it cites (as the written conclusion states them; the
  target's own node receives the same texts in `CaseConcluded` v2); proposals on results only once approved. The comparison (对表分析) is
  the office's working tool: parties are refused it.
* **Protected fields** (`SECRET_FIELDS`): who gave a lead (informant, Art. 26) and its receipt
  code are seen by the supervision office of the lead's level alone.
* **Events never published** (`RESTRICTED`): an internal note (内部备注) is read by the supervision
  office of the case's level; a conclusion draft (督查结论草稿) by that office and the government of
  the level that issues the conclusion (Art. 16); an evaluation draft (评估意见草稿) by the evaluator
  that wrote it. Auditors read them all within their jurisdiction (DOMAIN.md: the auditor reads
  everything in it). Anyone else — a higher level's office, a department, the leader, a party — never
  sees these events, nor anything of them: a draft reaches the target only as the conclusion issued.
* **Proposals on results** (表扬、批评、问责建议, Art. 21): until the government or its head approves one, it is
  read by the office of the case's level that proposed it, that government and its head, and auditors within
  their jurisdiction — not by the level's departments nor any other level; in the history (`RESTRICTED`, until
  the decision is recorded) as in the accountability records (`record_visible`).
* **Sight** (`sight`): a full reader sees a case as the office, anyone else who may see it as a
  party; the answer's model follows from it (`api/case_views.py`), in one place.
* A body of the level (a department, an office) that is itself a target of a covert case
  of its level does not see that case before the visit to it either, whatever its role.
* The `public` role reads no case at all (it follows its lead by receipt code elsewhere).

A later issue turns this into the full roles × jurisdiction policy; its shape (data and small
functions) is meant for that.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from domain.actor import Actor, Role
from domain.errors import ActNotAllowed, NotFound
from domain.units import UnitRegistry
from projections.case_board import Audience
from projections.case_board_queries import CaseSight, visible_case_ids

OFFICE_ROLES = frozenset({Role.LEADER, Role.GOVERNMENT, Role.AGENCY, Role.DEPARTMENT, Role.AUDITOR})
PARTY_ROLES = frozenset({Role.TARGET, Role.EVALUATOR})
CASE_WIDE_EVENTS = frozenset({"CaseProposed", "CaseApproved", "CaseClosed"})
PARTY_EVENTS = CASE_WIDE_EVENTS | frozenset({
    "TargetsNotified", "SiteVisitConducted", "SelfInspectionSubmitted", "EvaluationSubmitted", "TalkHeld",
    "ConclusionIssued", "ConclusionDelivered", "ReviewRequested", "ReviewDecided", "ReviewDecisionOverdue",
    "RectificationReported", "RectificationCompleted", "RectificationVerified", "RectificationReturned",
    "RectificationOverdue", "TargetUrged", "Commended", "Criticized", "AccountabilityReferred", "FaultTolerated",
    "PerformanceDeducted",
})
TRIMMED_LISTS = ("targets",)  # lists of units in a payload a party sees only its own part of
SECRET_FIELDS = {"LeadSubmitted": frozenset({"informant", "receipt_code"})}  # the office of the lead's level only
NOT_FOUND = "no such case"  # one text for a case that does not exist and one the caller may not see


def not_found() -> NotFound:
    """The one answer for a case that does not exist or is not visible: nothing in it tells them apart."""
    return NotFound(NOT_FOUND)


def visible_cases(views: Any, actor: Actor, registry: UnitRegistry, case_ids: list[str]) -> set[str]:
    """Of the cases another view names (an instruction's covert checks, a plan's actual cases), those the
    actor may see: the same rules as the case board's, so a covert case stays hidden on every path."""
    seen_by = case_audience(actor, registry)
    return set() if seen_by is None else visible_case_ids(views, case_ids, seen_by)


def hidden_cases(views: Any, actor: Actor, registry: UnitRegistry, ids: list[str]) -> set[str]:
    """Of the ids another view names (a case, a task, a register...), the cases the actor may not see: what that
    view must not name to it."""
    return visible_case_ids(views, ids, None) - visible_cases(views, actor, registry, ids)


def case_audience(actor: Actor, registry: UnitRegistry) -> Audience | None:
    """The cases the actor may see, or None when its role reads no case at all (the public)."""
    return audience(actor, registry) if actor.role in OFFICE_ROLES | PARTY_ROLES else None


def sees_case(actor: Actor, registry: UnitRegistry, case: CaseSight) -> bool:
    """The board's rule on one case's facts (`Audience.admits`): for a case read from the store, or one the
    board does not show yet."""
    seen_by = case_audience(actor, registry)
    return seen_by is not None and seen_by.admits(case)


def check_may_read(actor: Actor) -> Actor:
    """Raised for roles that read no case at all; the refusal is the same for every case."""
    if actor.role not in OFFICE_ROLES | PARTY_ROLES:
        raise ActNotAllowed(f"the role {actor.role.value!r} may not read supervision cases")
    return actor


def audience(actor: Actor, registry: UnitRegistry) -> Audience:
    """The cases the actor may see, as data the board's queries apply."""
    return _audience(actor.role, actor.unit, registry)


@functools.lru_cache(maxsize=4096)
def _audience(role: Role, unit: str, registry: UnitRegistry) -> Audience:
    """Remembered per role, unit and registry (which never changes while a node runs): finding a
    jurisdiction walks every unit of the registry, and every query of the board asks for it."""
    if role in PARTY_ROLES:
        return Audience(units=frozenset({unit}))
    root = registry.government_of(unit)
    within = [u for u in registry if registry.is_within(u.code, root)]
    own = frozenset() if registry.get(unit).is_division else _below(registry, unit)
    return Audience(
        levels=frozenset(u.code for u in within if u.is_division), units=frozenset(u.code for u in within),
        covert_targets=own,
    )


def _below(registry: UnitRegistry, unit: str) -> frozenset[str]:
    """A body (a department, an office) and the units under it: it may itself be a target (督查对象) of a case
    of its own level, and a covert one stays hidden from it until the visit, whatever its role."""
    return frozenset(u.code for u in registry if registry.is_within(u.code, unit))


def is_full_reader(seen_by: Audience, row: dict[str, Any]) -> bool:
    """True when the case's level lies within the reader's jurisdiction (it sees the whole case)."""
    return row["level"] in seen_by.levels


def parties(seen_by: Audience, row: dict[str, Any]) -> set[str]:
    """The reader's units that are a known target of the case."""
    return {unit for unit, reason in row["access"] if reason == "target" and unit in seen_by.units}


def is_evaluator(seen_by: Audience, row: dict[str, Any]) -> bool:
    return any(reason == "evaluator" and unit in seen_by.units for unit, reason in row["access"])


def shape_case(seen_by: Audience, row: dict[str, Any]) -> dict[str, Any]:
    """The board row as this reader may see it: a party sees only its own targets."""
    shaped = {k: v for k, v in row.items() if k != "access"}
    if not is_full_reader(seen_by, row) and not is_evaluator(seen_by, row):
        shaped["targets"] = [t for t in row["targets"] if t in parties(seen_by, row)]
    return shaped


def shape_snapshot(seen_by: Audience, row: dict[str, Any], snapshot: dict[str, Any]) -> dict[str, Any]:
    """A case replayed to a moment, as this reader may see it: a party sees its own targets' part,
    and a conclusion and its requirements only once delivered."""
    if is_full_reader(seen_by, row):
        return snapshot
    own = set(snapshot["targets"]) if is_evaluator(seen_by, row) else parties(seen_by, row)
    delivered = {c["target"] for c in snapshot["conclusions"] if c["delivered_on"] is not None and c["target"] in own}
    return snapshot | {
        "targets": [t for t in snapshot["targets"] if t in own],
        "notified": {t: d for t, d in snapshot["notified"].items() if t in own},
        "visited": {t: d for t, d in snapshot["visited"].items() if t in own},
        "conclusions": [c for c in snapshot["conclusions"] if c["target"] in delivered],
        "requirements": [r for r in snapshot["requirements"] if r["target"] in delivered],
    }


class Sight(StrEnum):
    """How a reader sees a case: its answers' models follow from it (`api/case_views.py`)."""

    OFFICE = "office"  # a full reader: the case's level lies within its jurisdiction
    PARTY = "party"  # a target that knows of the case, an entrusted evaluator, or an office through such a unit


def sight(seen_by: Audience, row: dict[str, Any]) -> Sight:
    """The one answer to "as whom does this reader see this case"."""
    return Sight.OFFICE if is_full_reader(seen_by, row) else Sight.PARTY


def check_may_compare(seen_by: Audience, row: dict[str, Any]) -> None:
    """Raised when a party (who knows of the case) asks for the office's comparison (对表分析)."""
    if not is_full_reader(seen_by, row):
        raise ActNotAllowed("the comparison (对表分析) is read by the office running the case")


# ---- history ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Restricted:
    """Who reads an event that is never published: `roles` of the case's own level, and its `author`
    (the unit and role that recorded it); auditors within their jurisdiction always. `until_decided`: a
    proposal (建议) is restricted only until the decision on it (its `proposal_id`) is recorded."""

    roles: frozenset[Role] = frozenset()
    author: bool = False
    until_decided: bool = False


# Art. 21: a proposal on results (表扬、批评、问责建议) takes effect only once the government or its head approves
# it; until then it stays with the office that proposed it and its approvers, not the level's other departments.
PROPOSAL = Restricted(frozenset({Role.AGENCY, Role.GOVERNMENT, Role.LEADER}), until_decided=True)
PROPOSALS = ("CommendationProposed", "CriticismProposed", "AccountabilityProposed")
DECISIONS = frozenset({"Commended", "Criticized", "AccountabilityReferred"})  # the approvals that publish a proposal
RESTRICTED = {
    "InternalNoteRecorded": Restricted(frozenset({Role.AGENCY})),  # 内部备注: the supervision office of the level
    "ConclusionDrafted": Restricted(frozenset({Role.AGENCY, Role.GOVERNMENT})),  # 督查结论草稿: its drafter, its issuer
    "EvaluationDrafted": Restricted(author=True),  # 评估意见草稿: the evaluator that wrote it
    **dict.fromkeys(PROPOSALS, PROPOSAL),
}


def names_reader(
    rule: Restricted, reader: Actor, registry: UnitRegistry, seen_by: Audience, level: str,
    author: dict[str, Any] | None = None,
) -> bool:
    """True when `rule` lets `reader` read what it restricts on a case of `level`."""
    if reader.role is Role.AUDITOR and level in seen_by.levels:
        return True
    if rule.author and author and (author.get("unit"), author.get("role")) == (reader.unit, reader.role.value):
        return True
    return reader.role in rule.roles and registry.government_of(reader.unit) == level


def may_read_event(
    reader: Actor, registry: UnitRegistry, seen_by: Audience, row: dict[str, Any], event: dict[str, Any],
    decided: frozenset[str] = frozenset(),
) -> bool:
    """False for an event of `RESTRICTED` whose rule does not name the reader (a proposal: while it is not in
    `decided`, the proposals decided in the case's history); True for every other event."""
    rule = RESTRICTED.get(event["type"])
    if rule is None or (rule.until_decided and event["payload"].get("proposal_id") in decided):
        return True
    return names_reader(rule, reader, registry, seen_by, row["level"], event.get("actor"))


def decided_proposals(events: list[dict[str, Any]]) -> frozenset[str]:
    """The proposals on results whose approval the history records."""
    return frozenset(e["payload"].get("proposal_id") for e in events if e["type"] in DECISIONS)


def visible_history(
    seen_by: Audience, row: dict[str, Any], events: list[dict[str, Any]], reader: Actor, registry: UnitRegistry
) -> list[dict[str, Any]]:
    """The case's events this reader may see: never an unpublished one it is not named for (`RESTRICTED`);
    for a party, only those addressed to it, about it or its own, each cut to its own units."""
    decided = decided_proposals(events)
    events = [e for e in events if may_read_event(reader, registry, seen_by, row, e, decided)]
    if is_full_reader(seen_by, row):
        return events
    own = parties(seen_by, row) | ({u for u in seen_by.units} if is_evaluator(seen_by, row) else set())
    delivered = {e["payload"].get("target") for e in events if e["type"] == "ConclusionDelivered"}
    cited = {  # the findings a conclusion delivered to the party names: the written conclusion states them
        finding for e in events if e["type"] == "ConclusionIssued" and e["payload"].get("target") in delivered & own
        for finding in e["payload"].get("findings") or ()
    }
    kept = [e for e in events if _party_sees(e, own, delivered, cited)]
    return [e | {"payload": _trim(e["payload"], own), "concerns": [u for u in e["concerns"] if u in own]} for e in kept]


def _party_sees(event: dict[str, Any], own: set[str], delivered: set[str], cited: set[str]) -> bool:
    if (event.get("actor") or {}).get("unit") in own:
        return True  # its own acts
    if event["type"] == "FindingRecorded":
        return event["payload"].get("finding_id") in cited and event["payload"].get("target") in own
    if event["type"] not in PARTY_EVENTS:
        return False
    if event["type"] == "ConclusionIssued" and event["payload"].get("target") not in delivered:
        return False  # a conclusion reaches its target by delivery
    concerns = set(event["concerns"])
    return bool(concerns & own) if concerns else event["type"] in CASE_WIDE_EVENTS


def _trim(payload: dict[str, Any], own: set[str]) -> dict[str, Any]:
    trimmed = dict(payload)
    for key in TRIMMED_LISTS:
        if isinstance(trimmed.get(key), list):
            trimmed[key] = [u for u in trimmed[key] if u in own]
    return trimmed


def may_see_lead_secrets(actor: Actor, registry: UnitRegistry, level: str) -> bool:
    """Art. 26: only the supervision office (agency) of the lead's own level sees who gave it."""
    return actor.role is Role.AGENCY and registry.government_of(actor.unit) == level


def redact(event: dict[str, Any], secrets_allowed: bool) -> dict[str, Any]:
    """The event without its protected fields, unless the reader may see them."""
    hidden = SECRET_FIELDS.get(event["type"], frozenset())
    if secrets_allowed or not hidden:
        return event
    return event | {"payload": {k: v for k, v in event["payload"].items() if k not in hidden}}


# ---- accountability ----------------------------------------------------------------------------


def record_visible(
    reader: Actor, registry: UnitRegistry, seen_by: Audience, record: dict[str, Any], case_row: dict[str, Any] | None
) -> bool:
    """A use of results is seen only on a case the reader may see (`case_row`, None when it may not); while only
    proposed, by those `PROPOSAL` names (the office, its approvers, auditors); once approved, in full within the
    case's jurisdiction, and by its own unit when that unit knows of the case."""
    if case_row is None:
        return False
    if record["state"] == "proposed":
        return names_reader(PROPOSAL, reader, registry, seen_by, record["level"])
    if record["level"] in seen_by.levels:
        return True
    return record["unit"] in seen_by.units and record["unit"] in parties(seen_by, case_row)
