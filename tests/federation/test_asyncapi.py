"""The AsyncAPI document FastStream generates, served by the node and valid against the official schema.

The schema is the official AsyncAPI 3.0.0 JSON schema, bundled without `$id`s, taken from the
`@asyncapi/specs` package (6.11.1, Apache-2.0): tests/federation/data/asyncapi-3.0.0.schema.json.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import jsonschema
import pytest

from api.app import create_app

SCHEMA = json.loads((Path(__file__).parent / "data" / "asyncapi-3.0.0.schema.json").read_text())


@pytest.fixture
async def document(node) -> dict:
    app = create_app(node)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://node") as client:
        response = await client.get("/asyncapi.json")
    assert response.status_code == 200
    return response.json()


async def test_the_served_asyncapi_document_is_valid_asyncapi_3(document):
    jsonschema.Draft7Validator(SCHEMA).validate(document)


async def test_the_document_names_every_contract_with_its_version(document):
    channels = set(document["channels"])

    assert {"TaskAssigned v1", "TaskAccepted v1", "TaskProgressReported v1", "TaskCompletionClaimed v1"} <= channels
    assert document["components"]["schemas"]["SignedTaskAssigned"]["properties"]["body"] == {"$ref": "#/components/schemas/TaskAssigned"}


async def test_the_document_names_every_case_and_instruction_contract_with_its_version(document):
    channels = set(document["channels"])

    assert {
        "CaseNotified v1", "CaseVisited v1", "CaseConcluded v2", "CaseReviewDecided v1", "CaseRectificationReported v1",
        "CaseRectificationCompleted v1", "CaseReviewRequested v1", "InstructionAssigned v1", "InstructionAnswerReturned v1",
        "InstructionClosed v1", "InstructionAnswered v1",
    } <= channels
    assert document["components"]["schemas"]["SignedCaseConcluded"]["properties"]["body"] == {"$ref": "#/components/schemas/CaseConcluded"}


async def test_the_document_names_the_case_checks_and_the_self_inspection_with_their_versions(document):
    channels = set(document["channels"])

    assert {
        "CaseRectificationVerified v1", "CaseRectificationReturned v1", "CaseRectificationOverdue v1",
        "CaseTargetUrged v1", "CaseSelfInspectionSubmitted v1",
    } <= channels


async def test_the_document_names_the_refusal_of_an_act_sent_up(document):
    schemas = document["components"]["schemas"]

    assert "ActRefused v1" in document["channels"]
    assert schemas["SignedActRefused"]["properties"]["body"] == {"$ref": "#/components/schemas/ActRefused"}


async def test_the_document_lists_the_conclusion_in_both_versions_it_reads(document):
    schemas = document["components"]["schemas"]

    assert {"CaseConcluded v1", "CaseConcluded v2"} <= set(document["channels"])
    assert schemas["CaseConcluded"]["properties"]["findings"]["items"] == {"$ref": "#/components/schemas/FindingSent"}


async def test_a_document_missing_its_info_is_refused_by_the_validator(document):
    broken = {k: v for k, v in document.items() if k != "info"}

    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft7Validator(SCHEMA).validate(broken)
