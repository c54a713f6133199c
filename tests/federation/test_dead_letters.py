"""Federation dead letters (死信) listed: GET /v1/federation/dead-letters for the node's own office, and
`ducha federation dead-letters`, each giving the message id, sender, contract, reason and time."""

from __future__ import annotations

import json
from datetime import datetime

from typer.testing import CliRunner

from domain.actor import Role
from ducha.cli import app as cli
from ducha.federation import state
from ducha.federation.apply import Applier
from ducha.federation.inbox import Inbox
from ducha.federation.trust import TrustStore
from tests.api.builders import AGENCY, DEPARTMENT
from tests.api.conftest import app, auth, client, key  # noqa: F401 (the HTTP fixtures)
from tests.federation.builders import CITY, PROVINCE, assignment, message, progress

CITY_AGENCY = ("220100-DCS", Role.AGENCY)
FIELDS = ("message_id", "sender", "contract", "reason")


async def refuse_unsigned(node) -> None:
    """A progress report from Changchun, unsigned, reaches the province's inbox and is dead-lettered."""
    state.install(node.views)
    inbox = Inbox(node.settings.node, node.registry, TrustStore({}), node.views, Applier(node.tasks))
    unsigned = message(progress(assignment().task_id, 10), sender=CITY, receiver=PROVINCE, key=None)
    await inbox.handle(unsigned.model_dump_json().encode(), unsigned.subject)


async def test_a_refused_message_is_recorded_with_its_sender_contract_reason_and_time(city, keys):
    forged = message(assignment(), sender=PROVINCE, receiver=CITY, key=keys[CITY])

    await city.inbox.handle(forged.model_dump_json().encode(), forged.subject)

    (letter,) = state.dead_letters(city.node.views)
    assert tuple(letter[k] for k in FIELDS) == (f"{PROVINCE}>{CITY}:1", PROVINCE, "TaskAssigned", "bad signature")
    assert datetime.fromisoformat(letter["at"]).tzinfo is not None


async def test_a_malformed_message_is_listed_by_its_subjects_contract_without_sender(city):
    await city.inbox.handle(b"not json", f"ducha.{PROVINCE}.msg.{CITY}.TaskAssigned")

    (letter,) = state.dead_letters(city.node.views)
    assert (letter["message_id"], letter["sender"], letter["contract"]) == (None, None, "TaskAssigned")


async def test_the_nodes_agency_lists_the_dead_letters(node, client, auth):  # noqa: F811
    await refuse_unsigned(node)

    answer = await client.get("/v1/federation/dead-letters", headers=auth(AGENCY))

    assert answer.status_code == 200, answer.text
    (letter,) = answer.json()["dead_letters"]
    assert tuple(letter[k] for k in FIELDS) == (f"{CITY}>{PROVINCE}:1", CITY, "TaskProgressReported", "unsigned")
    assert datetime.fromisoformat(letter["at"]).tzinfo is not None


async def test_another_levels_agency_gets_not_found(node, client, auth):  # noqa: F811
    await refuse_unsigned(node)

    answer = await client.get("/v1/federation/dead-letters", headers=auth(CITY_AGENCY))

    assert answer.status_code == 404 and "dead_letters" not in answer.json()


async def test_a_department_of_the_node_is_refused_by_the_policy(node, client, auth):  # noqa: F811
    answer = await client.get("/v1/federation/dead-letters", headers=auth(DEPARTMENT))

    assert answer.status_code == 403 and answer.json()["detail"].startswith("the policy does not let")


async def test_a_node_that_never_federated_lists_none(node, client, auth):  # noqa: F811
    answer = await client.get("/v1/federation/dead-letters", headers=auth(AGENCY))

    assert answer.json() == {"dead_letters": [], "total": 0}


async def test_the_cli_prints_each_dead_letters_time_id_sender_contract_and_reason(city, keys):
    forged = message(assignment(), sender=PROVINCE, receiver=CITY, key=keys[CITY])
    await city.inbox.handle(forged.model_dump_json().encode(), forged.subject)

    result = CliRunner().invoke(cli, ["federation", "dead-letters", "--data-dir", str(city.node.settings.data_dir)])

    assert result.exit_code == 0, result.output
    at, *rest = result.stdout.strip().split("\t")
    assert (rest, datetime.fromisoformat(at).tzinfo is not None) == (
        [f"{PROVINCE}>{CITY}:1", PROVINCE, "TaskAssigned", "bad signature"], True
    )


async def test_the_cli_prints_json_lines_on_request(city, keys):
    forged = message(assignment(), sender=PROVINCE, receiver=CITY, key=keys[CITY])
    await city.inbox.handle(forged.model_dump_json().encode(), forged.subject)

    result = CliRunner().invoke(
        cli, ["federation", "dead-letters", "--json", "--data-dir", str(city.node.settings.data_dir)]
    )

    (row,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert tuple(row[k] for k in FIELDS) == (f"{PROVINCE}>{CITY}:1", PROVINCE, "TaskAssigned", "bad signature")
