"""`ducha audit` through its Typer app: export, then verify offline; a failure exits with status 1."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from ducha.audit.cli import audit_app


def test_export_then_offline_verify_succeeds(history, tmp_path):
    history.cases(2)
    history.close()
    runner = CliRunner()
    data = ["--data-dir", str(history.data_dir)]
    assert runner.invoke(audit_app, ["export", str(tmp_path / "x"), *data]).exit_code == 0
    result = runner.invoke(audit_app, ["verify", "--export", str(tmp_path / "x")])
    assert result.exit_code == 0, result.output


def test_verify_of_a_tampered_export_exits_1_and_names_the_position(history, tmp_path):
    history.cases(2)
    history.close()
    runner = CliRunner()
    runner.invoke(audit_app, ["export", str(tmp_path / "x"), "--data-dir", str(history.data_dir)])
    path = tmp_path / "x" / "events.jsonl"
    lines = path.read_text().splitlines()
    lines[1] = json.dumps(json.loads(lines[1]) | {"topic": "domain.case:Case.CaseRejected"})
    path.write_text("\n".join(lines) + "\n")
    result = runner.invoke(audit_app, ["verify", "--export", str(tmp_path / "x")])
    assert result.exit_code == 1
    assert "first bad position: 2" in result.output


def test_verify_of_the_store_succeeds_after_a_checkpoint(history):
    history.cases(2)
    history.auditor.checkpoint()
    history.close()
    result = CliRunner().invoke(audit_app, ["verify", "--data-dir", str(history.data_dir)])
    assert result.exit_code == 0, result.output
