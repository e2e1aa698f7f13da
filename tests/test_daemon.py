"""The daemon process: systemd notifications, SIGTERM mid-drain, SIGHUP reload, schema checks at start-up."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from drivers.base import IncomingSms, MessagePart
from gateway.alerts.settings import TextSettings
from gateway.outbox.store import Outbox
from gateway.outbox.types import NewMessage
from gateway.replies.receive import Receiver
from gateway.storage.db import make_engine, session_factory
from gateway.storage.migrate import upgrade
from simulator.testing import running_simulator

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_config(path: Path, db: Path, devices: list[str], *, extra: str = "") -> None:
    modems = "".join(
        f'[[modems]]\nid = "m{i}"\ndevice = "{dev}"\ncommand_timeout = 3.0\nsubmit_timeout = 10.0\n'
        f"per_minute = 100000\nper_hour = 1000000\nper_day = 10000000\n"
        for i, dev in enumerate(devices)
    )
    path.write_text(
        f'[database]\nurl = "sqlite:///{db}"\n{extra}\n[logging]\nlevel = "INFO"\n'
        f"[http]\nport = {free_port()}\n"
        f"[dispatch]\nreopen_initial_seconds = 0.1\nstop_timeout_seconds = 15.0\n"
        f"[hours]\ndaytime_start = 00:00:00\ndaytime_end = 23:59:59\n{modems}",
        encoding="utf-8",
    )


def enqueue(db: Path, count: int, prefix: str = "message") -> None:
    engine = make_engine(f"sqlite:///{db}")
    with session_factory(engine).begin() as session:
        Outbox(engine).enqueue(
            session,
            [NewMessage(recipient=f"+336399{80000 + i:05d}", text=f"{prefix} {i}") for i in range(count)],
            datetime.now(UTC),
        )
    engine.dispose()


def states(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        return dict(conn.execute("SELECT state, count(*) FROM outbox_message GROUP BY state").fetchall())


@contextmanager
def daemon(config: Path, log: Path, env: dict[str, str] | None = None) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("ab") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "gateway.cli", "run", "--config", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            env={**os.environ, **(env or {})},
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def wait_for(predicate: object, timeout: float = 30.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_sigterm_mid_drain_finishes_in_flight_releases_claims_exits_zero(tmp_path: Path) -> None:
    db, config, log = tmp_path / "g.db", tmp_path / "g.toml", tmp_path / "daemon.log"
    upgrade(f"sqlite:///{db}")
    enqueue(db, 200)
    with running_simulator(tmp_path, modems=2, fast=False, submit_delay=0.3, submit_jitter=0.0, cmms_delay=0.3) as sim:
        write_config(config, db, [m.device_path for m in sim.modems])
        with daemon(config, log) as process:
            wait_for(lambda: states(db).get("sent", 0) + states(db).get("delivered", 0) >= 6, what="sends")
            started = time.monotonic()
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=20) == 0, log.read_text()
            assert time.monotonic() - started < 15  # within the stop timeout
        after = states(db)
        assert after.get("sending", 0) == 0, after  # every claim released
        submitted = {s["destination"] for s in sim.client.submits() if s.get("destination")}
        with sqlite3.connect(db) as conn:
            recorded = {
                r for (r,) in conn.execute("SELECT recipient FROM outbox_message WHERE state IN ('sent', 'delivered')")
            }
        assert submitted == recorded  # the submits in flight at SIGTERM were finished and recorded
    assert "gateway stopped" in log.read_text()


def test_systemd_notifications_ready_status_watchdog(tmp_path: Path) -> None:
    db, config, log = tmp_path / "g.db", tmp_path / "g.toml", tmp_path / "daemon.log"
    notify_path = str(tmp_path / "notify.sock")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind(notify_path)
    server.settimeout(30)
    with running_simulator(tmp_path, modems=1) as sim, server:
        write_config(config, db, [m.device_path for m in sim.modems])
        with daemon(config, log, {"NOTIFY_SOCKET": notify_path, "WATCHDOG_USEC": "2000000"}) as process:
            env_pid = str(process.pid)
            assert env_pid
            seen: list[str] = []
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not (
                any("READY=1" in m for m in seen) and sum("WATCHDOG=1" in m for m in seen) >= 2
            ):
                seen.append(server.recv(4096).decode())
            assert any(m.startswith("READY=1") and "STATUS=modems" in m for m in seen), seen
            assert sum("WATCHDOG=1" in m for m in seen) >= 2, seen
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=20) == 0
            server.settimeout(0.5)  # the daemon has exited: whatever it sent is already queued
            rest = []
            try:
                while True:
                    rest.append(server.recv(4096).decode())
            except TimeoutError:
                pass
            except OSError:
                pass
    assert any("STOPPING=1" in m for m in seen + rest), seen + rest


def test_sighup_reloads_modems_without_losing_queued_work(tmp_path: Path) -> None:
    db, config, log = tmp_path / "g.db", tmp_path / "g.toml", tmp_path / "daemon.log"
    upgrade(f"sqlite:///{db}")
    with running_simulator(
        tmp_path, modems=2, fast=False, submit_delay=0.05, submit_jitter=0.0, cmms_delay=0.05
    ) as sim:
        devices = [m.device_path for m in sim.modems]
        write_config(config, db, devices[:1])
        enqueue(db, 60)
        with daemon(config, log) as process:
            wait_for(lambda: states(db).get("sent", 0) + states(db).get("delivered", 0) >= 5, what="sends")
            write_config(config, db, devices)  # a second modem is plugged in
            process.send_signal(signal.SIGHUP)
            wait_for(lambda: "modems reloaded" in log.read_text(), what="reload")
            wait_for(lambda: states(db).get("sent", 0) + states(db).get("delivered", 0) == 60, timeout=60, what="drain")
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=20) == 0
        used = {s["modem"] for s in sim.client.submits()}
        assert used == {sim.modems[0].name, sim.modems[1].name}  # the new modem took work after the reload
        texts = [m["text"] for m in sim.client.handsets()]
        assert sorted(texts) == sorted(f"message {i}" for i in range(60))  # each exactly once


def test_sighup_with_a_broken_file_keeps_running(tmp_path: Path) -> None:
    db, config, log = tmp_path / "g.db", tmp_path / "g.toml", tmp_path / "daemon.log"
    with running_simulator(tmp_path, modems=1) as sim:
        write_config(config, db, [m.device_path for m in sim.modems])
        with daemon(config, log) as process:
            wait_for(lambda: "gateway started" in log.read_text(), what="start")
            config.write_text("[http\nbroken", encoding="utf-8")
            process.send_signal(signal.SIGHUP)
            wait_for(lambda: "reload refused" in log.read_text(), what="refusal")
            assert process.poll() is None
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=20) == 0


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gateway.cli", *args], capture_output=True, text=True, timeout=60, check=False
    )


def test_older_schema_is_migrated_at_start(tmp_path: Path) -> None:
    db, config, log = tmp_path / "g.db", tmp_path / "g.toml", tmp_path / "daemon.log"
    upgrade(f"sqlite:///{db}", "0002_registry")
    with running_simulator(tmp_path, modems=1) as sim:
        write_config(config, db, [m.device_path for m in sim.modems])
        with daemon(config, log) as process:
            wait_for(lambda: "gateway started" in log.read_text(), what="start")
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=20) == 0
    assert "database migrated" in log.read_text()


def test_older_schema_refused_when_auto_migrate_is_off(tmp_path: Path) -> None:
    db, config = tmp_path / "g.db", tmp_path / "g.toml"
    upgrade(f"sqlite:///{db}", "0002_registry")
    write_config(config, db, ["/dev/null"], extra="auto_migrate = false")
    result = run_cli("run", "--config", str(config))
    assert result.returncode == 1
    assert "vigicommerce db upgrade" in result.stderr
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == ("0002_registry",)


def test_bad_configuration_exits_2_naming_the_key(tmp_path: Path) -> None:
    config = tmp_path / "g.toml"
    config.write_text("[dispatch]\nbatch_size = 0\n", encoding="utf-8")
    result = run_cli("run", "--config", str(config))
    assert result.returncode == 2
    assert "dispatch.batch_size" in result.stderr


def test_port_in_use_is_a_clear_error_not_a_traceback(tmp_path: Path) -> None:
    db, config = tmp_path / "g.db", tmp_path / "g.toml"
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        write_config(config, db, ["/dev/null"])
        config.write_text(
            config.read_text(encoding="utf-8").replace("[http]\nport = ", f"[http]\nport = {port}\n# "),
            encoding="utf-8",
        )
        result = run_cli("run", "--config", str(config))
    assert result.returncode == 2, result.stderr
    assert "Serveur HTTP" in result.stderr and "Traceback" not in result.stderr


def test_listening_beyond_loopback_without_tokens_is_refused(tmp_path: Path) -> None:
    db, config = tmp_path / "g.db", tmp_path / "g.toml"
    write_config(config, db, ["/dev/null"])
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("[http]\n", '[http]\nhost = "0.0.0.0"\nrequire_tokens = false\n'), encoding="utf-8")
    result = run_cli("run", "--config", str(config))
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr


def test_a_burst_of_signals_still_stops_cleanly(tmp_path: Path) -> None:
    db, config, log = tmp_path / "g.db", tmp_path / "g.toml", tmp_path / "daemon.log"
    with running_simulator(tmp_path, modems=1) as sim:
        write_config(config, db, [m.device_path for m in sim.modems])
        with daemon(config, log) as process:
            wait_for(lambda: "gateway started" in log.read_text(), what="start")
            # Thousands of reloads requested while the main loop waits on its queue: the handlers run in
            # the middle of that wait and must never block on it (a Queue's lock did; SimpleQueue's put is
            # reentrant).
            deadline = time.monotonic() + 2
            while time.monotonic() < deadline:
                process.send_signal(signal.SIGHUP)
                time.sleep(0.002)
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=60) == 0, log.read_text()[-3000:]


def test_stop_signals_repeated_until_exit_still_exit_zero(tmp_path: Path) -> None:
    db, config, log = tmp_path / "g.db", tmp_path / "g.toml", tmp_path / "daemon.log"
    with running_simulator(tmp_path, modems=1) as sim:
        write_config(config, db, [m.device_path for m in sim.modems])
        with daemon(config, log) as process:
            wait_for(lambda: "gateway started" in log.read_text(), what="start")
            # Ctrl-C, then SIGTERM again and again while it stops and while the interpreter exits.
            process.send_signal(signal.SIGINT)
            while process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    process.send_signal(signal.SIGTERM)
                time.sleep(0.01)
            assert process.returncode == 0, log.read_text()[-3000:]


def inbox(db: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT sender, text FROM inbox_message ORDER BY id").fetchall()


def test_long_replies_reach_the_inbox_whole_even_across_a_kill(tmp_path: Path) -> None:
    db, config, log = tmp_path / "g.db", tmp_path / "g.toml", tmp_path / "daemon.log"
    upgrade(f"sqlite:///{db}")
    sighting = (
        "Bonjour, deux individus en scooter rôdent devant la bijouterie de la rue de Hollande, casque "
        "noir, ils sont partis vers Marigot à 14 h 10. Le commerçant d'à côté les a vus aussi hier."
    )
    second = "Ils sont revenus, même scooter, garé derrière l'église de Grand-Case. Plaque non visible. " * 2
    with running_simulator(tmp_path, modems=1) as sim:
        write_config(config, db, [m.device_path for m in sim.modems])
        with daemon(config, log) as process:
            wait_for(lambda: "gateway started" in log.read_text(), what="start")
            sim.client.incoming(0, "+33639980007", sighting, reverse=True)  # 3 UCS-2 parts, last first
            wait_for(lambda: inbox(db), what="the reply in the inbox")
            process.kill()  # SIGKILL: the next reply arrives while the gateway is down
            process.wait()
        sim.client.incoming(0, "+33639980008", second)
        with daemon(config, log) as process:
            wait_for(lambda: len(inbox(db)) == 2, what="the reply left on the SIM")
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=20) == 0
    assert inbox(db) == [("+33639980007", sighting), ("+33639980008", second)]
    assert "reply part stored" in log.read_text()
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM inbox_fragment WHERE NOT consumed").fetchone() == (0,)


def test_a_reply_left_incomplete_reaches_the_inbox_with_the_gap_marked(tmp_path: Path) -> None:
    db, config, log = tmp_path / "g.db", tmp_path / "g.toml", tmp_path / "daemon.log"
    url = f"sqlite:///{db}"
    upgrade(url)
    engine = make_engine(url)
    receiver = Receiver(session_factory(engine), Outbox(engine), TextSettings(), timedelta(minutes=30))
    first = IncomingSms("m0", "+33639980009", "Deux hommes cagoulés devant ", datetime.now(UTC), MessagePart(4, 2, 1))
    assert receiver.receive(first, datetime.now(UTC)) is None  # part 2 never comes (lost by the network)
    engine.dispose()
    with running_simulator(tmp_path, modems=1) as sim:
        write_config(
            config, db, [m.device_path for m in sim.modems], extra="[inbox]\nincomplete_after_minutes = 0.005\n"
        )  # 0.3 s
        with daemon(config, log) as process:
            wait_for(lambda: inbox(db), what="the incomplete reply in the inbox")
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=20) == 0
    assert inbox(db) == [("+33639980009", "Deux hommes cagoulés devant [… partie 2/2 manquante …]")]
    assert "incomplete reply handled" in log.read_text()


@pytest.mark.parametrize(
    ("section", "extra", "expected"),
    [
        ("[hours]\n", 'timezone = "Europe/Marigot"\n', "vouliez-vous dire « America/Marigot » ?"),
        ("[http]\n", 'host = "0.0.0.0"\nrequire_tokens = false\n', "require_tokens = true"),
    ],
)
def test_start_refuses_what_config_check_refuses(tmp_path: Path, section: str, extra: str, expected: str) -> None:
    db, config = tmp_path / "g.db", tmp_path / "g.toml"
    write_config(config, db, [])
    config.write_text(config.read_text(encoding="utf-8").replace(section, section + extra, 1))
    result = run_cli("run", "--config", str(config))
    assert result.returncode == 2, result.stderr
    assert "Configuration invalide" in result.stderr and expected in result.stderr
    assert "Traceback" not in result.stderr and not db.exists()


def test_start_refuses_an_operator_number_that_is_not_e164(tmp_path: Path) -> None:
    db, config = tmp_path / "g.db", tmp_path / "g.toml"
    write_config(config, db, [])
    config.write_text('operator_numbers = ["0690 12 34 56"]\n' + config.read_text(encoding="utf-8"))
    result = run_cli("run", "--config", str(config))
    assert result.returncode == 2 and "« +590690123456 »" in result.stderr, result.stderr


def file_mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def test_the_daemon_creates_its_database_private_to_its_user(tmp_path: Path) -> None:
    db, config, log = tmp_path / "state" / "sub" / "g.db", tmp_path / "g.toml", tmp_path / "daemon.log"
    write_config(config, db, [])
    previous = os.umask(0o022)
    try:
        with daemon(config, log) as process:
            wait_for(lambda: "gateway started" in log.read_text(), what="start")
            files = [db, db.with_name("g.db-wal"), db.with_name("g.db-shm")]
            assert all(f.exists() for f in files)  # WAL mode: the side files exist while the daemon runs
            assert {f.name: file_mode(f) for f in files} == {f.name: 0o600 for f in files}
            assert file_mode(db.parent) == 0o700
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=20) == 0
    finally:
        os.umask(previous)


def test_an_unreachable_database_is_explained_without_its_password(tmp_path: Path) -> None:
    config = tmp_path / "g.toml"
    write_config(config, tmp_path / "g.db", [])
    password = "Tr0ub4dor&3"
    text = config.read_text(encoding="utf-8").replace(
        f'url = "sqlite:///{tmp_path / "g.db"}"', f'url = "postgresql+psycopg://vigi:{password}@127.0.0.1:1/vigi"'
    )
    config.write_text(text, encoding="utf-8")
    result = run_cli("run", "--config", str(config))
    assert result.returncode == 1, result.stderr
    assert "PostgreSQL" in result.stderr and "Traceback" not in result.stderr
    assert password not in result.stderr + result.stdout


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_the_started_line_shows_the_database_without_its_password(tmp_path: Path, database_url: str) -> None:
    password = make_url(database_url).password
    assert password, "the test database's URL carries a password"
    config, log = tmp_path / "g.toml", tmp_path / "daemon.log"
    write_config(config, tmp_path / "g.db", [])
    config.write_text(
        config.read_text(encoding="utf-8").replace(f"sqlite:///{tmp_path / 'g.db'}", database_url), encoding="utf-8"
    )
    with daemon(config, log) as process:
        wait_for(lambda: "gateway started" in log.read_text(), what="start")
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    started = next(line for line in log.read_text().splitlines() if "gateway started" in line)
    assert "database=" in started and ":***@" in started
    assert f":{password}@" not in log.read_text()
