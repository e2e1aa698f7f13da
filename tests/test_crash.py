"""Crash safety: the real daemon, killed with SIGKILL again and again while it drains 1,000 messages.

Checks on the handsets (not on what the gateway believes): every message arrived, duplicates are at most
one per modem per kill (the message in flight when the process died), and SQLite's integrity check passes.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from gateway.outbox.store import Outbox
from gateway.outbox.types import NewMessage
from gateway.storage.db import make_engine, session_factory
from gateway.storage.migrate import upgrade
from simulator.testing import running_simulator

MESSAGES = 1000
MODEMS = 2
KILLS = 6

pytestmark = [pytest.mark.slow, pytest.mark.timeout(400)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_config(path: Path, db: Path, devices: list[str]) -> None:
    modems = "".join(
        f'[[modems]]\nid = "m{i}"\ndevice = "{dev}"\ncommand_timeout = 3.0\nsubmit_timeout = 5.0\n'
        f"per_minute = 100000\nper_hour = 1000000\nper_day = 10000000\n"
        for i, dev in enumerate(devices)
    )
    path.write_text(
        f'[database]\nurl = "sqlite:///{db}"\n[logging]\nlevel = "INFO"\n[http]\nport = {free_port()}\n'
        f"[dispatch]\nbatch_size = 10\nreopen_initial_seconds = 0.1\nlate_result_window_seconds = 1.0\n"
        f"[hours]\ndaytime_start = 00:00:00\ndaytime_end = 23:59:59\n{modems}",
        encoding="utf-8",
    )


def start_daemon(config: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as stderr:
        return subprocess.Popen(
            [sys.executable, "-m", "gateway.cli", "run", "--config", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )


def wait_started(log: Path, starts: int, deadline: float) -> None:
    while log.read_text(encoding="utf-8").count("gateway started") < starts:
        assert time.monotonic() < deadline, log.read_text(encoding="utf-8")
        time.sleep(0.05)


def test_sigkill_during_drain_loses_nothing(tmp_path: Path) -> None:
    db = tmp_path / "gateway.db"
    url = f"sqlite:///{db}"
    upgrade(url)
    engine = make_engine(url)
    texts = {f"+336399{80000 + i:05d}": f"crash-test message {i}" for i in range(MESSAGES)}
    with session_factory(engine).begin() as session:
        Outbox(engine).enqueue(session, [NewMessage(recipient=n, text=t) for n, t in texts.items()], datetime.now(UTC))
    engine.dispose()
    rng = random.Random(20261128)
    # Slow enough that every kill lands in the middle of the drain (about 130 messages a second).
    with running_simulator(
        tmp_path, modems=MODEMS, fast=False, submit_delay=0.015, submit_jitter=0.0, cmms_delay=0.015, report_delay=0.5
    ) as sim:
        config = tmp_path / "gateway.toml"
        write_config(config, db, [m.device_path for m in sim.modems])
        log = tmp_path / "daemon.log"
        log.touch()
        kills = 0
        deadline = time.monotonic() + 240
        while True:
            starts = log.read_text(encoding="utf-8").count("gateway started")
            daemon = start_daemon(config, log)
            try:
                if kills < KILLS:
                    # Kill somewhere in the drain: once this run has delivered a message (start-up takes longer on
                    # a loaded machine, and a kill before the first claim would test nothing; "gateway started" is
                    # not enough: the modems still open after it), then up to two batches in.
                    delivered = len(sim.handsets.received())
                    while len(sim.handsets.received()) == delivered:
                        assert daemon.poll() is None and time.monotonic() < deadline, log.read_text(encoding="utf-8")
                        time.sleep(0.01)
                    time.sleep(rng.uniform(0.0, 0.3))
                    daemon.send_signal(signal.SIGKILL)
                    daemon.wait(timeout=10)
                    kills += 1
                    continue
                wait_started(log, starts + 1, deadline)
                while time.monotonic() < deadline:
                    if len({m["recipient"] for m in sim.client.handsets()}) >= MESSAGES:
                        break
                    time.sleep(0.2)
                break
            finally:
                if daemon.poll() is None:
                    daemon.send_signal(signal.SIGTERM)
                    assert daemon.wait(timeout=30) == 0, log.read_text()
        got = Counter((m["recipient"], m["text"]) for m in sim.client.handsets())
    text = log.read_text(encoding="utf-8")
    assert text.count("claims recovered at start-up") >= KILLS // 2, "the kills did not interrupt the drain"
    missing = [n for n, t in texts.items() if got[(n, t)] == 0]
    assert not missing, f"{len(missing)} messages never arrived, e.g. {missing[:3]}; log: {log.read_text()[-2000:]}"
    duplicates = sum(c - 1 for c in got.values() if c > 1)
    assert duplicates <= kills * MODEMS, duplicates
    assert set(got) <= set(texts.items())
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        dead = conn.execute("SELECT count(*) FROM outbox_message WHERE state IN ('dead', 'failed')").fetchone()
        assert dead == (0,)
