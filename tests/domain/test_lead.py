"""Leads (线索): submitted with a receipt code, sorted, handed over or verified; the informant protected."""

from __future__ import annotations

from uuid import uuid4

import pytest

from domain.actor import Actor, Role
from domain.errors import ActNotAllowed, InvalidCommand, WrongState
from domain.lead import Lead
from tests.domain.given import CTX, NOW, OFFICE, D

PUBLIC = Actor("public", Role.PUBLIC, "anonymous")


def submitted(code="K7Q2-9XW4-PL3M") -> Lead:
    return Lead.submit(
        lead_id=uuid4(), actor=PUBLIC, on=D("2025-06-02"), now=NOW, level="220000", receipt_code=code,
        channel="online", content="补贴未发放", about_unit="220100", informant={"name": "张三", "phone": "138"},
    )


def test_lead_is_submitted_with_its_receipt_code():
    assert submitted().receipt_code == "K7Q2-9XW4-PL3M"


def test_short_receipt_code_is_refused():
    with pytest.raises(InvalidCommand):
        submitted(code="123")


def test_informant_is_kept_in_its_own_field_only():
    lead = submitted()
    payload = vars(lead.collect_events()[0])
    assert payload["informant"] == {"name": "张三", "phone": "138"}
    assert "张三" not in str({k: v for k, v in payload.items() if k != "informant"})


def test_only_the_office_reads_the_informant():
    with pytest.raises(ActNotAllowed):
        submitted().informant_for(Actor("220100", Role.TARGET, "x"), CTX["registry"])


def test_only_the_office_sorts_a_lead():
    with pytest.raises(ActNotAllowed):
        submitted().sort(actor=Actor("220000", Role.GOVERNMENT, "x"), on=D("2025-06-03"), category="民生", **CTX)


def test_lead_is_handed_to_a_unit_in_the_jurisdiction():
    lead = submitted()
    lead.hand_over(actor=OFFICE, on=D("2025-06-03"), unit="220100", **CTX)
    assert lead.state.value == "handed-over"


def test_handed_over_lead_cannot_open_a_verification_case():
    lead = submitted()
    lead.hand_over(actor=OFFICE, on=D("2025-06-03"), unit="220100", **CTX)
    with pytest.raises(WrongState):
        lead.open_verification(actor=OFFICE, on=D("2025-06-04"), case_id=uuid4(), grounds="需核查", **CTX)


def test_office_opens_a_lead_verification_case():
    lead = submitted()
    lead.open_verification(actor=OFFICE, on=D("2025-06-03"), case_id=uuid4(), grounds="需核查", **CTX)
    assert [type(e).__name__ for e in lead.collect_events()][-1] == "LeadVerificationOpened"
