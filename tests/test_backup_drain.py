"""A backup taken while the real daemon drains a whole-territory alert (2,250 SMS over 4 simulated modems) restores
into a fresh directory: integrity_check ok, every member and every alert committed before the backup present,
every message of the alert present in a state it really had. A restore is refused while the daemon runs."""

from __future__ import annotations

import contextlib
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gateway.cli import app
from simulator.testing import running_simulator
from tests.test_daemon import daemon, states, wait_for, write_config

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "members-sample.csv"
# Each state a message can be found in, and the states it may have reached later (the backup is older).
LATER = {
    "queued": {"queued", "sending", "sent", "delivered", "failed", "dead"},
    "sending": {"queued", "sending", "sent", "delivered", "failed", "dead"},
    "sent": {"sent", "delivered", "failed"},
    "delivered": {"delivered"},
}


def vigicommerce(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gateway.cli", *args], capture_output=True, text=True, timeout=120, check=False
    )


def rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        return list(conn.execute(sql))


def test_backup_during_a_drain_restores_everything_committed(tmp_path: Path) -> None:
    db, config, log = tmp_path / "state" / "gateway.db", tmp_path / "gateway.toml", tmp_path / "daemon.log"
    db.parent.mkdir()
    backups = tmp_path / "backups"
    backups.mkdir()
    runner = CliRunner()
    with running_simulator(
        tmp_path, modems=4, fast=False, submit_delay=0.02, submit_jitter=0.0, cmms_delay=0.02, report_delay=0.5
    ) as sim:
        write_config(config, db, [m.device_path for m in sim.modems])
        for args in (["db", "upgrade"], ["members", "import", str(SAMPLE), "--operator", "ccism"]):
            result = runner.invoke(app, [*args, "--config", str(config)])
            assert result.exit_code == 0, result.output
        with daemon(config, log) as process:
            sent = vigicommerce("alert", "send", "--all", "--fr", "Vol à l'arraché signalé", "--yes", "-c", str(config))
            assert sent.returncode == 0, sent.stderr
            # The alert's 2,250 SMS (the daily job, run at start-up, may queue reminders beside them).
            committed = {i for (i,) in rows(db, "SELECT id FROM outbox_message")}
            assert len(committed) >= 2250
            wait_for(lambda: states(db).get("sent", 0) + states(db).get("delivered", 0) >= 300, 60, "sends")

            made = vigicommerce("db", "backup", str(backups), "-c", str(config))
            assert made.returncode == 0, made.stderr
            assert "Sauvegarde vérifiée" in made.stdout and "2000 membres" in made.stdout, made.stdout
            (copy,) = list(backups.iterdir())
            at_backup = dict(rows(copy, "SELECT id, state FROM outbox_message"))
            # Taken mid-drain: every message committed before it is there, some sent, others still waiting.
            assert committed <= set(at_backup)
            done = sum(state in ("sent", "delivered") for state in at_backup.values())
            assert 300 <= done < len(at_backup), done

            refused = vigicommerce("db", "restore", str(copy), "--yes", "-c", str(config))
            assert refused.returncode == 1
            assert "la passerelle tourne" in refused.stderr + refused.stdout
            assert process.poll() is None  # the daemon went on
            wait_for(lambda: sum(states(db).get(s, 0) for s in ("sent", "delivered")) > done, 60, "more sends")

    fresh = tmp_path / "fresh" / "state" / "gateway.db"
    fresh_config = tmp_path / "fresh.toml"
    fresh_config.write_text(f'[database]\nurl = "sqlite:///{fresh}"\n', encoding="utf-8")
    restored = vigicommerce("db", "restore", str(copy), "--yes", "-c", str(fresh_config))
    assert restored.returncode == 0, restored.stderr
    assert "Base restaurée" in restored.stdout

    assert rows(fresh, "PRAGMA integrity_check") == [("ok",)]
    for table in ("registry_member", "registry_member_phone", "alert", "alert_recipient", "api_token"):
        assert rows(fresh, f"SELECT * FROM {table} ORDER BY 1") == rows(db, f"SELECT * FROM {table} ORDER BY 1"), table
    after = dict(rows(db, "SELECT id, state FROM outbox_message"))
    restored_states = dict(rows(fresh, "SELECT id, state FROM outbox_message"))
    assert restored_states == at_backup
    assert all(after[i] in LATER[state] for i, state in restored_states.items())
