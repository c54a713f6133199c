"""`verify` of the store names the first bad position and its kind for each tampering, on SQLite and PostgreSQL."""

from __future__ import annotations

from ducha.audit.checkpoints import Checkpoint
from ducha.audit.report import FaultKind
from tests.audit.tamper import PostgresTamper, SQLiteTamper


def sealed(history, cases: int = 6) -> None:
    """12 events (propose, approve per case), checkpointed at 6 and at 12."""
    history.cases(cases // 2)
    history.auditor.checkpoint()
    history.cases(cases - cases // 2)
    history.auditor.checkpoint()


def test_an_untouched_history_verifies(history):
    sealed(history)
    report = history.auditor.verify_store()
    assert report.ok, report.text()
    assert report.events == 12


def test_events_after_the_last_checkpoint_are_counted_unsealed(history):
    sealed(history)
    history.cases(1)
    report = history.auditor.verify_store()
    assert report.ok and report.unsealed == 2


def test_altered_event_in_sqlite_is_named_at_its_position(history):
    sealed(history)
    SQLiteTamper(history.data_dir).alter(4)
    fault = history.auditor.verify_store().first_fault
    assert (fault.position, fault.kind) == (4, FaultKind.ALTERED)


def test_altered_event_fails_the_checkpoints_that_cover_it(history):
    sealed(history)
    SQLiteTamper(history.data_dir).alter(8)
    assert history.auditor.verify_store().bad_checkpoints == [12]


def test_removed_event_in_sqlite_is_named_at_its_position(history):
    sealed(history)
    SQLiteTamper(history.data_dir).remove(5)
    report = history.auditor.verify_store()
    assert (report.first_fault.position, report.first_fault.kind) == (5, FaultKind.REMOVED)
    assert report.bad_checkpoints == [6, 12]


def test_inserted_event_in_sqlite_is_named_at_its_position(history):
    sealed(history)
    SQLiteTamper(history.data_dir).insert(3)
    fault = history.auditor.verify_store().first_fault
    assert (fault.position, fault.kind) == (3, FaultKind.INSERTED)


def test_reordered_events_in_sqlite_are_named_at_the_first(history):
    sealed(history)
    SQLiteTamper(history.data_dir).swap_states(7, 9)
    fault = history.auditor.verify_store().first_fault
    assert (fault.position, fault.kind) == (7, FaultKind.REORDERED)


def test_forged_checkpoint_signature_is_caught(history):
    sealed(history)
    real = history.audit_store.latest_checkpoint(history.auditor.node)
    forged = Checkpoint(real.node, real.position, real.size, real.chain_head, real.merkle_root, real.time,
                        bytes(64))
    with history.audit_store.transaction() as cursor:
        cursor.execute("UPDATE audit_checkpoints SET signature = ? WHERE position = ?", (forged.signature, real.position))
    assert history.auditor.verify_store().bad_checkpoints == [12]


def test_altered_event_in_postgres_is_named_at_its_position(pg_history):
    sealed(pg_history)
    PostgresTamper(pg_history.store_url).alter(4)
    fault = pg_history.auditor.verify_store().first_fault
    assert (fault.position, fault.kind) == (4, FaultKind.ALTERED)


def test_removed_event_in_postgres_is_named_at_its_position(pg_history):
    sealed(pg_history)
    PostgresTamper(pg_history.store_url).remove(5)
    fault = pg_history.auditor.verify_store().first_fault
    assert (fault.position, fault.kind) == (5, FaultKind.REMOVED)


def test_inserted_event_in_postgres_is_named_at_its_position(pg_history):
    sealed(pg_history)
    PostgresTamper(pg_history.store_url).insert(3)
    fault = pg_history.auditor.verify_store().first_fault
    assert (fault.position, fault.kind) == (3, FaultKind.INSERTED)


def test_reordered_events_in_postgres_are_named_at_the_first(pg_history):
    sealed(pg_history)
    PostgresTamper(pg_history.store_url).swap_states(7, 9)
    fault = pg_history.auditor.verify_store().first_fault
    assert (fault.position, fault.kind) == (7, FaultKind.REORDERED)


def test_an_altered_audit_index_is_reported(history):
    sealed(history)
    with history.audit_store.transaction() as cursor:
        cursor.execute("UPDATE audit_leaves SET leaf = ? WHERE position = 3", (bytes(32),))
    report = history.auditor.verify_store()
    assert not report.ok
    assert any("audit index disagrees with checkpoint 6" in note for note in report.notes)
