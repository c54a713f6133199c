"""The OpenAPI links of the case routes: from a proposal's answer and each command's to the routes on the case."""

from __future__ import annotations

from api.case_command_routes import NEXT
from ducha.commands import CASE_COMMANDS


def _operations(document):
    return {op["operationId"]: (path, method) for path, ops in document["paths"].items() for method, op in ops.items()}


def _links(document, path, status):
    return document["paths"][path]["post"]["responses"][status]["links"]


def test_every_link_of_a_case_answer_names_an_operation_of_the_document(app):
    document = app.openapi()
    operations = _operations(document)
    answers = [("/v1/cases", "201")] + [(f"/v1/cases/{{case_id}}/{c}", "200") for c in (*CASE_COMMANDS, "merge")]

    unknown = [(path, name) for path, status in answers for name, link in _links(document, path, status).items()
               if link["operationId"] not in operations]

    assert unknown == []


def test_a_proposal_links_to_its_case_by_id_and_to_its_decision(app):
    links = _links(app.openapi(), "/v1/cases", "201")

    assert {"get-one-case", "approve", "reject"} <= set(links)
    assert links["approve"]["parameters"] == {"case_id": "$response.body#/id"}


def test_every_command_says_what_may_follow_it():
    assert set(CASE_COMMANDS) - set(NEXT) == set()
