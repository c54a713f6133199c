"""`ViewStore.call`: short view work runs on the event loop's thread for a SQLite file, in a worker
thread for PostgreSQL (whose statements are network round trips the loop must not wait on)."""

from __future__ import annotations

import threading

import pytest

from projections.base import apply_batch
from projections.case_board import get_case
from projections.store import ViewStore


async def test_call_runs_on_the_loop_thread_for_sqlite(tmp_path):
    views = ViewStore.open(None, tmp_path / "views")
    try:
        assert await views.call(threading.get_ident) == threading.get_ident()
    finally:
        views.close()


@pytest.mark.postgres
async def test_call_runs_in_a_worker_thread_for_postgres(tmp_path, postgres_url):
    views = ViewStore.open(postgres_url, tmp_path / "views")
    try:
        assert await views.call(threading.get_ident) != threading.get_ident()
    finally:
        views.close()


async def test_call_passes_arguments_and_answers_the_result(history, views, board):
    case_id = history.propose()
    apply_batch(views, board, history.envelopes())

    row = await views.call(get_case, views, case_id)

    assert row["id"] == str(case_id)
