"""A full disk, for real: the database on a small tmpfs filled to the last byte.

An alert dropped then is refused whole (nothing half-written, nothing acknowledged) and accepted once space
is back; messages the modems accepted while the disk was full are recorded late, never sent twice, and the
rest of the queue leaves once space is back.
"""

from __future__ import annotations

import errno
import sqlite3
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.outbox.models import Priority
from gateway.outbox.states import MessageState
from tests.gateway.api.harness import build, serving
from tests.gateway.dispatch_harness import rig

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=32m", "tmpfs", str(disk)], capture_output=True, text=True, check=False
    )
    if mounted.returncode != 0:
        pytest.skip(f"mounting a small tmpfs needs root: {mounted.stderr.strip()}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def fill(disk: Path) -> Path:
    """Write a file until the filesystem has not one byte left; returns it (delete it to free the space)."""
    filler = disk / "filler"
    with filler.open("wb", buffering=0) as out:
        for chunk in (1 << 16, 1 << 12, 1 << 9, 1):
            try:
                while True:
                    out.write(b"\xff" * chunk)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
    return filler


def shrink_wal(db: Path) -> None:
    # SQLite reuses its WAL file in place: an empty one makes the next commit need new space on the disk.
    conn = sqlite3.connect(db, timeout=15)
    try:
        busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        assert busy == 0, "the WAL could not be truncated"
    finally:
        conn.close()


def test_an_alert_dropped_on_a_full_disk_is_refused_whole_then_accepted(small_disk: Path) -> None:
    context, engine, tokens, *_ = build(small_disk)
    headers = {"Authorization": f"Bearer {next(iter(tokens.values()))}", "Idempotency-Key": "co-2026-11-28-01"}
    body = {"text_fr": "Vol à main armée rue Kennedy, individu en fuite.", "target": {"zones": ["marigot"]}}

    def count(table: str) -> int:
        with engine.connect() as conn:
            return int(conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one())

    def health_reasons() -> list[str]:
        return list(client.get("/healthz").json()["reasons"])

    with serving(context) as client:
        assert health_reasons() == []
        shrink_wal(small_disk / "api.db")
        filler = fill(small_disk)
        assert any("disque de la base presque plein" in r for r in health_reasons())  # monitoring hears of it
        refused = client.post("/alerts", json=body, headers=headers)
        assert refused.status_code == 503, refused.text
        assert refused.json()["error"]["code"] == "storage_unavailable"
        assert "libérez de la place" in refused.json()["error"]["message"]
        assert (count("alert"), count("outbox_message")) == (0, 0)  # nothing half-written
        filler.unlink()
        assert health_reasons() == []
        accepted = client.post("/alerts", json=body, headers=headers)  # the operator's retry, same key
        assert accepted.status_code == 202, accepted.text
        assert count("outbox_message") == accepted.json()["numbers"] == 3
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA integrity_check").scalar_one() == "ok"
    engine.dispose()


def test_sends_accepted_while_the_disk_is_full_are_recorded_late_and_never_repeated(
    tmp_path: Path, small_disk: Path, caplog: pytest.LogCaptureFixture
) -> None:
    numbers = [f"+336399801{i:02d}" for i in range(40)]
    with rig(
        tmp_path, modems=2, db_dir=small_disk, fast=False, submit_delay=0.05, submit_jitter=0.0, cmms_delay=0.05
    ) as r:
        for number in numbers:
            r.enqueue(number, f"Alerte d'exercice pour {number}", Priority.ALERT)
        r.wait(lambda: r.count(MessageState.SENT) + r.count(MessageState.DELIVERED) >= 6)
        shrink_wal(small_disk / "gateway.db")
        filler = fill(small_disk)
        time.sleep(1.0)  # the workers hit the full disk, keep what they could not write, and stop sending
        before = len(r.sim.client.submits())
        time.sleep(1.0)
        assert len(r.sim.client.submits()) == before  # nothing sent while outcomes cannot be recorded
        filler.unlink()
        r.wait(lambda: r.count(MessageState.SENT) + r.count(MessageState.DELIVERED) == len(numbers))
        received = Counter(m["recipient"] for m in r.sim.client.handsets())
        assert received == Counter(numbers)  # every message once: none lost, none sent twice
        assert all(s.last_error is None for s in r.dispatcher.statuses())
    kept = [
        getattr(rec, "fields", {}).get("outcomes", 0)
        for rec in caplog.records
        if rec.getMessage() == "database writable again"
    ]
    assert sum(kept) >= 1  # at least one submit the modem accepted was recorded late, not resent
