"""The node's clock can be set by a setting (DUCHA_CLOCK) in development only; production refuses it at start."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from ducha.bootstrap import bootstrap
from ducha.settings import Environment, Settings

SET = "2026-12-01T09:00:00+08:00"


def test_a_production_node_refuses_a_set_clock(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("DUCHA_CLOCK", SET)
    with pytest.raises(ValueError, match="cannot be moved"):
        Settings()


def test_a_node_is_production_unless_it_says_otherwise():
    assert Settings().environment is Environment.PRODUCTION


def test_a_development_node_runs_on_its_set_clock(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, registry):
    monkeypatch.setenv("DUCHA_CLOCK", SET)
    monkeypatch.setenv("DUCHA_ENVIRONMENT", "development")
    node = bootstrap(Settings(data_dir=tmp_path, nats_url="nats://127.0.0.1:1"), registry=registry)
    try:
        assert node.clock.now() == datetime.fromisoformat(SET)
    finally:
        for part in (node.views, node.app, node.audit_store):
            part.close()


def test_a_set_clock_names_its_time_zone():
    with pytest.raises(ValueError):
        Settings(environment="development", clock="2026-12-01T09:00:00")
