"""The writer and the aggregate cache: a stale cached version costs a retry, never a refused command."""

from __future__ import annotations

from domain.case import Case
from tests.projections.history import AGENCY, NOW, History


def note(history: History, text: str):
    def act(case: Case) -> Case:
        case.record_internal_note(actor=AGENCY, on=NOW.date(), now=NOW, registry=history.registry, text=text)
        return case

    return act


def test_command_on_an_aggregate_cached_at_an_older_version_is_committed(history):
    case_id = history.propose()
    stale = history.app.repository.get(case_id)  # version 1, as a reader replays it on a cache miss
    history.approve(case_id)  # version 2, committed and cached
    history.app.repository.cache.put(case_id, stale)  # that reader puts its version 1 back

    outcome = history.writer.execute_sync(case_id, note(history, "核实材料"))

    assert outcome.version == 3
    assert history.app.repository.get(case_id).version == 3
