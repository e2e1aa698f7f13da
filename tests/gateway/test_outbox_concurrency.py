"""Claims are atomic across threads and processes sharing one SQLite file."""

from __future__ import annotations

import multiprocessing
import os
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from gateway.outbox.models import Priority
from gateway.outbox.store import Outbox
from gateway.outbox.types import NewMessage
from gateway.storage.db import make_engine, session_factory
from gateway.storage.migrate import upgrade_engine

T0 = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
MESSAGES = 300
POSTGRES_URL = os.environ.get("VIGI_TEST_POSTGRES_URL")


def _drain(url: str, worker_id: str, start: Any) -> list[int]:
    engine = make_engine(url)
    outbox = Outbox(engine)
    outbox.counts()  # connect before the start line so every worker is ready
    start.wait(30)
    taken: list[int] = []
    try:
        while batch := outbox.claim(worker_id, "m-" + worker_id, now=T0, limit=2):
            for claimed in batch:
                outbox.mark_sent(claimed.id, worker_id, refs=[claimed.id % 256], segments=1, encoding="gsm7", now=T0)
            taken.extend(c.id for c in batch)
    finally:
        engine.dispose()
    return taken


def _process_main(url: str, worker_id: str, start: Any, results: Any) -> None:
    results.put((worker_id, _drain(url, worker_id, start)))


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_threads_and_processes_never_claim_the_same_row(kind: str, tmp_path: Path) -> None:
    if kind == "sqlite":
        url = f"sqlite:///{tmp_path}/shared.db"
    elif POSTGRES_URL:
        url = POSTGRES_URL
    else:
        pytest.skip("VIGI_TEST_POSTGRES_URL is not set")
    engine = make_engine(url)
    if kind == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    upgrade_engine(engine)
    outbox = Outbox(engine)
    with session_factory(engine).begin() as session:
        expected = set(
            outbox.enqueue(
                session,
                [NewMessage(f"+336399{i:05d}", f"text {i}", Priority(i % 3)) for i in range(MESSAGES)],
                T0,
            )
        )
    engine.dispose()

    # Processes first: forking is only safe before this test starts threads of its own.
    ctx = multiprocessing.get_context("fork")
    # Every worker, thread or process, and this test meet at one barrier so that they all compete.
    start = ctx.Barrier(7)
    results = ctx.Queue()
    processes = [ctx.Process(target=_process_main, args=(url, f"p{i}", start, results)) for i in range(2)]
    for process in processes:
        process.start()

    by_worker: dict[str, list[int]] = {}

    def thread_main(worker_id: str) -> None:
        by_worker[worker_id] = _drain(url, worker_id, start)

    threads = [threading.Thread(target=thread_main, args=(f"t{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    start.wait(30)
    for _ in processes:
        worker_id, ids = results.get(timeout=60)
        by_worker[worker_id] = ids
    for process in processes:
        process.join(10)
        assert process.exitcode == 0
    for thread in threads:
        thread.join(60)

    all_ids = [i for ids in by_worker.values() for i in ids]
    assert sorted(by_worker) == ["p0", "p1", "t0", "t1", "t2", "t3"]
    assert len(all_ids) == len(set(all_ids)), "a row was claimed twice"
    assert set(all_ids) == expected, "every row is claimed exactly once"
    # Sanity: the work was actually shared, so the test exercised contention. Not "every worker": on a loaded
    # machine a process may start after the others emptied the queue (seen with two suites side by side).
    assert sum(1 for ids in by_worker.values() if ids) >= 2
