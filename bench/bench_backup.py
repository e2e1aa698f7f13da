"""Benchmark of backups: how long ``db backup`` and ``db restore`` take on a large register and outbox, and how
much a backup slows the daemon's commits while it runs (WAL: the writer should go on).

Run: ``python -m bench backup [members] [outbox_rows]`` (default 100,000 members, 1,000,000 outbox rows, as
``bench scale``). A writer thread commits one outbox message at a time (as a worker marking sends), first alone
then during a backup; the table compares its commit times. Fiction-block numbers only. Asserts nothing.
"""

from __future__ import annotations

import random
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from bench.bench_scale import DATA, populate_members, populate_outbox
from bench.common import percentile, table
from gateway.outbox.store import Outbox
from gateway.outbox.types import NewMessage
from gateway.registry.reference import load_reference
from gateway.storage import backup, migrate
from gateway.storage.db import make_engine, session_factory

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def commit_times(url: str, stop: threading.Event, out: list[float]) -> None:
    """Commit one message at a time until ``stop``; each commit's duration in ``out`` (seconds)."""
    engine = make_engine(url)
    outbox, sessions = Outbox(engine), session_factory(engine)
    try:
        i = 0
        while not stop.is_set():
            started = time.perf_counter()
            with sessions.begin() as session:
                outbox.enqueue(session, [NewMessage(recipient=f"+336399{80000 + i % 10000:05d}", text="b")], NOW)
            out.append(time.perf_counter() - started)
            i += 1
    finally:
        engine.dispose()


def writer_during(
    url: str, seconds: float | None, action: Callable[[], object] | None = None
) -> tuple[list[float], float]:
    """Commit times while ``action()`` runs (or for ``seconds``), and the action's own duration."""
    stop, times = threading.Event(), list[float]()
    thread = threading.Thread(target=commit_times, args=(url, stop, times))
    thread.start()
    time.sleep(0.5)  # the writer is going before the measured part starts
    times.clear()
    started = time.perf_counter()
    if action is not None:
        action()
    else:
        time.sleep(seconds or 0.0)
    took = time.perf_counter() - started
    stop.set()
    thread.join()
    return times, took


def main(members: int = 100_000, outbox_rows: int = 1_000_000) -> None:
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        url = f"sqlite:///{folder / 'gateway.db'}"
        migrate.upgrade(url)
        engine = make_engine(url)
        with session_factory(engine)() as session:
            load_reference(session, DATA)
            populate_members(session, members, rng)
            populate_outbox(session, outbox_rows, rng)
            session.commit()
        engine.dispose()
        size_mb = (folder / "gateway.db").stat().st_size / 1e6

        alone, quiet_s = writer_during(url, 5.0)
        made: list[backup.BackupFile] = []
        during, backup_s = writer_during(url, None, lambda: made.append(backup.backup(url, folder / "copy.db")))
        started = time.perf_counter()
        backup.inspect(made[0].path)
        inspect_s = time.perf_counter() - started
        fresh = f"sqlite:///{folder / 'fresh' / 'gateway.db'}"
        started = time.perf_counter()
        backup.restore(fresh, made[0].path, NOW)
        restore_s = time.perf_counter() - started

    print(f"database: {members:,} members, {outbox_rows:,} outbox rows, {size_mb:.0f} MB")
    print(
        table(
            ["step", "seconds"],
            [
                ["backup while a writer commits (copy, integrity_check, fsync, rename)", f"{backup_s:.2f}"],
                ["inspect the backup (integrity_check, counts)", f"{inspect_s:.2f}"],
                ["restore into a fresh directory (check, copy, fsync)", f"{restore_s:.2f}"],
            ],
        )
    )
    rows = []
    for label, times, span in (("writer alone", alone, quiet_s), ("writer during the backup", during, backup_s)):
        ms = [t * 1000 for t in times]
        rows.append(
            [
                label,
                len(ms),
                f"{len(ms) / span:.0f}",
                f"{percentile(ms, 50):.2f}",
                f"{percentile(ms, 99):.2f}",
                f"{max(ms):.1f}",
            ]
        )
    print(table(["commits", "n", "commits/s", "p50 ms", "p99 ms", "max ms"], rows))


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
