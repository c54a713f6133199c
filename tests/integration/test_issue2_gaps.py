"""Issue 2, item 3: every setting of `ducha serve` is a --flag and a DUCHA_ variable, and the flag wins.

`ducha serve` is run through its Typer app; only the calls that would start the process for good (building the node,
running uvicorn, configuring its logging) are replaced by recorders, so what is checked is the Settings the command hands on.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ducha.cli import app
from ducha.settings import JetStreamSync, Settings

# field, flag, variable, a value that is not the default (as typed), the value it must become
SETTINGS = [
    ("data_dir", "--data-dir", "DUCHA_DATA_DIR", "/srv/ducha", Path("/srv/ducha")),
    ("host", "--host", "DUCHA_HOST", "0.0.0.0", "0.0.0.0"),
    ("port", "--port", "DUCHA_PORT", "8123", 8123),
    ("node", "--node", "DUCHA_NODE", "220100", "220100"),
    ("nats_url", "--nats-url", "DUCHA_NATS_URL", "nats://10.0.0.5:4222", "nats://10.0.0.5:4222"),
    ("store_url", "--store-url", "DUCHA_STORE_URL", "postgresql://postgres@127.0.0.1:5432/ducha",
     "postgresql://postgres@127.0.0.1:5432/ducha"),
    ("jetstream_sync", "--jetstream-sync", "DUCHA_JETSTREAM_SYNC", "default", JetStreamSync.DEFAULT),
]
IDS = [field for field, *_ in SETTINGS]


@pytest.fixture
def served(monkeypatch) -> list[dict[str, Any]]:
    """Records the settings `serve` builds the node with and the address uvicorn is told to listen on."""
    import uvicorn

    import api.app
    import ducha.bootstrap
    import ducha.logging

    seen: list[dict[str, Any]] = []
    for name in ("DATA_DIR", "HOST", "PORT", "NODE", "NATS_URL", "STORE_URL", "JETSTREAM_SYNC"):
        monkeypatch.delenv(f"DUCHA_{name}", raising=False)
    monkeypatch.setattr(ducha.bootstrap, "bootstrap", lambda settings: seen.append({"settings": settings}) or settings)
    monkeypatch.setattr(api.app, "create_app", lambda built: built)
    monkeypatch.setattr(ducha.logging, "configure_logging", lambda **_: None)  # leave this process's logging alone
    monkeypatch.setattr(uvicorn, "run", lambda built, **kwargs: seen[-1].update(host=kwargs["host"], port=kwargs["port"]))
    return seen


def serve(*args: str, env: dict[str, str] | None = None) -> None:
    result = CliRunner().invoke(app, ["serve", *args], env=env)
    assert result.exit_code == 0, result.output


def settings_of(served: list[dict[str, Any]]) -> Settings:
    (run,) = served
    return run["settings"]


@pytest.mark.parametrize(("field", "flag", "variable", "given", "expected"), SETTINGS, ids=IDS)
def test_serve_takes_each_setting_from_its_flag(served, field, flag, variable, given, expected):
    serve(flag, given)

    assert getattr(settings_of(served), field) == expected


@pytest.mark.parametrize(("field", "flag", "variable", "given", "expected"), SETTINGS, ids=IDS)
def test_serve_takes_each_setting_from_its_ducha_variable(served, field, flag, variable, given, expected):
    serve(env={variable: given})

    assert getattr(settings_of(served), field) == expected


def test_serve_flag_wins_over_the_variable(served):
    serve("--port", "8124", env={"DUCHA_PORT": "8123"})

    assert settings_of(served).port == 8124


def test_serve_without_settings_is_the_embedded_default(served):
    serve()

    settings = settings_of(served)
    assert (settings.data_dir, settings.node, settings.nats_url, settings.store_url) == (Path("var"), "220000", None, None)
    assert settings.jetstream_sync is JetStreamSync.ALWAYS


def test_serve_listens_on_the_host_and_port_it_was_given(served):
    serve("--host", "127.0.0.2", "--port", "8125")

    assert (served[0]["host"], served[0]["port"]) == ("127.0.0.2", 8125)


def test_token_issue_prints_a_token_the_node_accepts_for_that_actor(tmp_path, monkeypatch, registry):
    """Issue 2, item 4: `ducha token issue --unit 220000-DCS --role agency --person 王敏` prints one bearer token."""
    from domain.actor import Actor, Role
    from ducha.keys import NodeKey
    from ducha.tokens import verify_token

    monkeypatch.delenv("DUCHA_NODE", raising=False)
    result = CliRunner().invoke(
        app, ["token", "issue", "--unit", "220000-DCS", "--role", "agency", "--person", "王敏", "--data-dir", str(tmp_path)]
    )

    assert result.exit_code == 0, result.output
    (token,) = result.output.split()
    actor = verify_token(NodeKey.load_or_create(tmp_path), "220000", token, set(), registry=registry)
    assert actor == Actor("220000-DCS", Role.AGENCY, "王敏")


def test_token_issue_refuses_a_unit_outside_the_registry(tmp_path):
    result = CliRunner().invoke(
        app, ["token", "issue", "--unit", "999999-XXX", "--role", "agency", "--person", "王敏", "--data-dir", str(tmp_path)]
    )

    assert result.exit_code != 0
