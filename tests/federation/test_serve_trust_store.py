"""`ducha serve --trust-store PATH` (DUCHA_TRUST_STORE): the node is started federated with that trust store; and
`--nats-nkey-seed PATH` (DUCHA_NATS_NKEY_SEED): the seed its NATS connections authenticate with."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

import api.app
import ducha.bootstrap
from ducha.cli import app
from ducha.settings import Settings


@pytest.fixture
def started(monkeypatch) -> list[Settings]:
    """The settings `serve` bootstraps the node with; nothing is started."""
    seen: list[Settings] = []
    monkeypatch.setattr(ducha.bootstrap, "bootstrap", lambda settings: seen.append(settings) or settings)
    monkeypatch.setattr(api.app, "create_app", lambda node: node)
    monkeypatch.setattr("uvicorn.run", lambda *args, **kwargs: None)
    monkeypatch.setattr("ducha.logging.configure_logging", lambda **kwargs: None)
    monkeypatch.delenv("DUCHA_TRUST_STORE", raising=False)
    monkeypatch.delenv("DUCHA_NATS_NKEY_SEED", raising=False)
    return seen


def trust(path: Path) -> Path:
    path.write_text("{}")
    return path


def serve(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(app, ["serve", "--data-dir", "unused", *args], env=env)


def test_the_flag_names_the_trust_store_the_node_federates_with(started, tmp_path):
    path = trust(tmp_path / "trust.json")

    result = serve("--trust-store", str(path))

    assert result.exit_code == 0, result.output
    assert started[0].trust_store == path


def test_the_environment_variable_names_it_when_the_flag_is_absent(started, tmp_path):
    path = trust(tmp_path / "trust.json")

    result = serve(env={"DUCHA_TRUST_STORE": str(path)})

    assert result.exit_code == 0, result.output
    assert started[0].trust_store == path


def test_the_flag_wins_over_the_environment_variable(started, tmp_path):
    flag, env = trust(tmp_path / "flag.json"), trust(tmp_path / "env.json")

    serve("--trust-store", str(flag), env={"DUCHA_TRUST_STORE": str(env)})

    assert started[0].trust_store == flag


def test_without_either_the_node_is_not_federated(started):
    serve()

    assert started[0].trust_store is None


def test_a_trust_store_that_does_not_exist_is_refused_before_the_node_starts(started, tmp_path):
    result = serve("--trust-store", str(tmp_path / "missing.json"))

    assert (result.exit_code, started) == (2, [])


def test_the_nkey_seed_flag_names_the_seed_every_nats_connection_uses(started, tmp_path):
    seed = tmp_path / "220000.nk"
    seed.write_text("SU...\n")

    result = serve("--nats-nkey-seed", str(seed))

    assert result.exit_code == 0, result.output
    assert started[0].nats_nkey_seed == seed


def test_the_nkey_seed_comes_from_its_environment_variable_when_the_flag_is_absent(started, tmp_path):
    seed = tmp_path / "220000.nk"
    seed.write_text("SU...\n")

    serve(env={"DUCHA_NATS_NKEY_SEED": str(seed)})

    assert started[0].nats_nkey_seed == seed
