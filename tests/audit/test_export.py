"""`audit export` writes what an auditor can verify offline; tampering with it is caught and located."""

from __future__ import annotations

import json
from pathlib import Path

from ducha.audit import prove_consistency, verify_export
from ducha.audit.report import FaultKind
from tests.audit.conftest import History
from tests.audit.tamper import SQLiteTamper


def rewrite_line(path: Path, number: int, change) -> None:
    lines = path.read_text().splitlines()
    lines[number] = json.dumps(change(json.loads(lines[number])), ensure_ascii=False)
    path.write_text("\n".join(lines) + "\n")


def made(history, tmp_path: Path, name: str = "export", **selection) -> Path:
    history.cases(3)
    history.auditor.checkpoint()
    history.cases(2, targets=("220200",))
    directory = tmp_path / name
    history.auditor.export(directory, **selection)
    return directory


def test_a_complete_export_verifies_offline(history, tmp_path):
    directory = made(history, tmp_path)
    history.close()
    report = verify_export(directory)
    assert report.ok, report.text()
    assert report.events == 10


def test_an_export_of_a_unit_holds_only_its_cases_and_verifies(history, tmp_path):
    directory = made(history, tmp_path, unit="220200")
    report = verify_export(directory)
    assert report.ok, report.text()
    assert report.events == 4


def test_an_export_of_a_period_outside_the_history_is_empty_and_verifies(history, tmp_path):
    from datetime import date

    directory = made(history, tmp_path, since=date(2027, 1, 1))
    report = verify_export(directory)
    assert report.ok and report.events == 0


def test_a_tampered_exported_event_is_named(history, tmp_path):
    directory = made(history, tmp_path)
    rewrite_line(directory / "events.jsonl", 3, lambda e: e | {"state": e["state"].replace("同意", "不同意")})
    fault = verify_export(directory).first_fault
    assert (fault.position, fault.kind) == (4, FaultKind.ALTERED)


def test_a_removed_exported_event_is_named(history, tmp_path):
    directory = made(history, tmp_path)
    path = directory / "events.jsonl"
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[:4] + lines[5:]) + "\n")
    fault = verify_export(directory).first_fault
    assert (fault.position, fault.kind) == (6, FaultKind.REMOVED)


def test_a_tampered_event_in_a_unit_export_is_named(history, tmp_path):
    directory = made(history, tmp_path, unit="220200")
    rewrite_line(directory / "events.jsonl", 1, lambda e: e | {"state": e["state"].replace("同意", "不同意")})
    fault = verify_export(directory).first_fault
    assert (fault.position, fault.kind) == (8, FaultKind.BAD_PROOF)


def test_a_forged_inclusion_proof_is_caught(history, tmp_path):
    directory = made(history, tmp_path, unit="220200")
    rewrite_line(directory / "proofs.jsonl", 2, lambda p: p | {"proof": ["00" * 32, *p["proof"][1:]]})
    fault = verify_export(directory).first_fault
    assert (fault.position, fault.kind) == (9, FaultKind.BAD_PROOF)


def test_a_forged_checkpoint_signature_in_an_export_is_caught(history, tmp_path):
    directory = made(history, tmp_path)
    rewrite_line(directory / "checkpoints.jsonl", 0, lambda c: c | {"signature": "A" * 86 + "=="})
    assert verify_export(directory).bad_checkpoints == [6]


def test_an_export_of_a_tampered_store_names_the_position(history, tmp_path):
    history.cases(3)
    history.auditor.checkpoint()
    SQLiteTamper(history.data_dir).alter(2)
    history.auditor.export(tmp_path / "export")
    fault = verify_export(tmp_path / "export").first_fault
    assert (fault.position, fault.kind) == (2, FaultKind.ALTERED)


def test_a_later_export_proves_it_extends_an_earlier_one(history, tmp_path):
    earlier = made(history, tmp_path, "earlier")
    history.cases(3)
    later = tmp_path / "later"
    history.auditor.export(later, unit="220100")
    report = prove_consistency(earlier, later)
    assert report.ok, report.text()


def test_an_export_of_a_rewritten_history_does_not_prove_consistent(history, tmp_path, registry):
    earlier = made(history, tmp_path, "earlier")
    rewritten = History(tmp_path / "rewritten", registry, None, key=history.key)
    try:
        rewritten.cases(3)
        rewritten.auditor.checkpoint()
        rewritten.cases(2, targets=("220300",))
        rewritten.auditor.export(tmp_path / "later-1")
        rewritten.cases(2)
        rewritten.auditor.export(tmp_path / "later")
    finally:
        rewritten.close()
    report = prove_consistency(earlier, tmp_path / "later")
    assert verify_export(tmp_path / "later").ok
    assert (report.first_fault.position, report.first_fault.kind) == (10, FaultKind.INCONSISTENT)
