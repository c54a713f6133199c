"""Signed messages and ledger acts for the federation's tests."""

from __future__ import annotations

from datetime import date
from uuid import UUID, uuid4

from domain.actor import Actor, Role
from ducha.federation.contracts import ActorRef, Contract, SignedMessage, TaskAssigned, TaskProgressReported, message_id
from ducha.federation.trust import sign
from ducha.keys import NodeKey

PROVINCE, CITY, COUNTY = "220000", "220100", "220102"
PROVINCE_OFFICE = Actor("220000-DCS", Role.AGENCY, "省督查员")
CITY_OFFICE = Actor("220100-DCS", Role.AGENCY, "长春督查员")
CITY = CITY
CITY_UNIT = Actor(CITY, Role.AGENCY, "长春市承办人")
COUNTY_UNIT = Actor(COUNTY, Role.TARGET, "南关区承办人")
DAY = date(2026, 11, 25)
DEADLINE = date(2026, 12, 31)


def assignment(task_id: UUID | None = None, *, to: str = CITY, by: Actor = PROVINCE_OFFICE) -> TaskAssigned:
    return TaskAssigned(
        task_id=task_id or uuid4(), actor=ActorRef(**by.as_dict()), on=DAY, title="新增城镇就业", source="assignment",
        responsible_unit=to, responsible_person=f"{to}经办", responsible_leader=f"{to}领导", standard="新增就业2万人",
        deadline=DEADLINE,
    )


def progress(task_id: UUID, percent: float, *, by: Actor = COUNTY_UNIT) -> TaskProgressReported:
    return TaskProgressReported(task_id=task_id, actor=ActorRef(**by.as_dict()), on=DAY, percent=percent, narrative="进展")


def message(contract: Contract, *, sender: str, receiver: str, seq: int = 1, key: NodeKey | None) -> SignedMessage:
    """The message as the sender's outbox makes it: seq and previous, signed with `key` (None: unsigned)."""
    unsigned = SignedMessage(
        message_id=message_id(sender, receiver, seq), sender=sender, receiver=receiver, seq=seq,
        previous=message_id(sender, receiver, seq - 1) if seq > 1 else None, body=contract.model_dump(mode="json"),
    )
    return unsigned if key is None else sign(unsigned, key)


def child_spec(unit: str) -> dict:
    return {"unit": unit, "person": f"{unit}经办", "leader": f"{unit}领导", "title": "分解任务", "standard": "新增就业5千人",
            "deadline": DEADLINE}


def new_id() -> UUID:
    return uuid4()
