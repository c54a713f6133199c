"""`ViewStore.call`: short view work runs on the event loop's thread for a SQLite file, in a worker
thread for PostgreSQL (whose statements are network round trips the loop must not wait on)."""

from __future__ import annotations

import asyncio
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


def _autocheckpoint(views: ViewStore) -> int:
    with views.read() as tx:
        return tx.query_one("PRAGMA wal_autocheckpoint")["wal_autocheckpoint"]


async def test_loop_thread_connection_leaves_the_wal_checkpoint_to_a_worker_thread(tmp_path):
    views = ViewStore.open(None, tmp_path / "views")
    try:
        assert await views.call(_autocheckpoint, views) == 0
        assert await asyncio.to_thread(_autocheckpoint, views) == 1000  # SQLite's default elsewhere
    finally:
        views.close()


async def test_checkpoint_writes_the_loops_commits_back_to_the_views_file(tmp_path, history, board):
    views = ViewStore.open(None, tmp_path / "views")
    views.install(board)
    for _ in range(20):
        history.propose()
    await views.call_writing(apply_batch, views, board, history.envelopes())
    size = (tmp_path / "views" / "views.sqlite3").stat().st_size

    await asyncio.to_thread(views.checkpoint)

    assert (tmp_path / "views" / "views.sqlite3").stat().st_size > size
    views.close()
