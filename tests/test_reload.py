"""SIGHUP to the real daemon (a subprocess) on simulated modems: each reloadable setting changed in the file shows
in what the gateway then does, modems that did not change are not reopened, and a change that needs a restart is
refused by name (issue 14).

Whether a modem was reopened is read on the simulator's side: every AT line a simulated modem receives is logged
(``simulator.modem`` at DEBUG), and the driver's start-up sequence begins with ``ATE0``.
"""

from __future__ import annotations

import logging
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from gateway import wake
from gateway.auth.roles import Role
from gateway.auth.tokens import create_token
from gateway.outbox.models import Priority
from gateway.outbox.store import Outbox
from gateway.outbox.types import NewMessage
from gateway.storage.db import make_engine, session_factory
from gateway.storage.migrate import upgrade
from simulator.app import Simulator
from simulator.testing import running_simulator

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]
MARIGOT = ZoneInfo("America/Marigot")
FOLDABLE = "Vigilance : l’alerte est levée"  # ’ is no GSM 7-bit character; folded to ' it is


class AtLines(logging.Handler):
    """Every AT line each simulated modem received, in order."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[tuple[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.msg == "%s: AT%s":
            name, body = record.args  # type: ignore[misc]
            self.lines.append((str(name), str(body)))

    def starts(self) -> Counter[str]:
        """How many times each modem was initialised (the driver opens with ATE0)."""
        return Counter(name for name, body in list(self.lines) if body.upper() == "E0")


@contextmanager
def at_lines() -> Iterator[AtLines]:
    logger = logging.getLogger("simulator.modem")
    handler, level = AtLines(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def window(including_now: bool) -> tuple[str, str]:
    """A daytime window around the station's present time, or one that starts two hours from now (either may
    cross midnight: the window supports it)."""
    now = datetime.now(MARIGOT)
    start, end = (
        (now - timedelta(hours=1), now + timedelta(hours=1))
        if including_now
        else (
            now + timedelta(hours=2),
            now + timedelta(hours=3),
        )
    )
    return start.strftime("%H:%M:%S"), end.strftime("%H:%M:%S")


class Station:
    """The configuration file of one test, rewritten by each step, and the database beside it."""

    def __init__(self, tmp_path: Path, devices: list[str]) -> None:
        self.path, self.db = tmp_path / "gateway.toml", tmp_path / "gateway.db"
        self.url = f"sqlite:///{self.db}"
        self.devices = devices
        self.port = free_port()
        self.values: dict[str, Any] = {
            "modems": {"m0": {}, "m1": {}},
            "policy": "exact",
            "window": window(including_now=False),
            "level": "INFO",
            "overall": None,
            "warn": 0.8,
        }

    def write(self, **changes: Any) -> None:
        self.values.update(changes)
        v = self.values
        modems = ""
        for modem_id, extra in v["modems"].items():
            keys = {"command_timeout": 3.0, "submit_timeout": 10.0, "per_minute": 100000, **extra}
            keys.setdefault("per_hour", keys["per_minute"] * 60)
            keys.setdefault("per_day", keys["per_minute"] * 1440)
            modems += f'[[modems]]\nid = "{modem_id}"\ndevice = "{self.devices[int(modem_id[1:])]}"\n'
            modems += "".join(f"{k} = {val}\n" for k, val in keys.items())
        overall = f"overall_per_minute = {v['overall']}\n" if v["overall"] else ""
        self.path.write_text(
            f'[database]\nurl = "{self.url}"\n[logging]\nlevel = "{v["level"]}"\n[http]\nport = {self.port}\n'
            f"[dispatch]\nreopen_initial_seconds = 0.1\nstop_timeout_seconds = 15.0\n"
            f"budget_warn_fraction = {v['warn']}\n"
            f'{overall}[text]\npolicy = "{v["policy"]}"\n'
            f"[hours]\ndaytime_start = {v['window'][0]}\ndaytime_end = {v['window'][1]}\n{modems}",
            encoding="utf-8",
        )

    def enqueue(self, *messages: NewMessage) -> None:
        """Commit in one transaction (the workers see them together) and wake the daemon, as the CLI does."""
        engine = make_engine(self.url)
        with session_factory(engine).begin() as session:
            Outbox(engine).enqueue(session, list(messages), datetime.now(UTC))
        engine.dispose()
        wake.send(wake.socket_path(self.url), None)

    def state(self, recipient: str) -> str:
        with sqlite3.connect(self.db) as conn:
            rows = conn.execute("SELECT state FROM outbox_message WHERE recipient = ?", (recipient,)).fetchall()
        assert len(rows) == 1, rows
        return str(rows[0][0])

    def sent(self, recipient: str) -> bool:
        return self.state(recipient) in {"sent", "delivered"}

    def count_sent(self, prefix: str) -> int:
        with sqlite3.connect(self.db) as conn:
            return int(
                conn.execute(
                    "SELECT count(*) FROM outbox_message WHERE state IN ('sent', 'delivered') AND text LIKE ?",
                    (f"{prefix}%",),
                ).fetchone()[0]
            )


def wait_for(predicate: Callable[[], object], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


@contextmanager
def daemon(station: Station, log: Path) -> Iterator[Callable[[], None]]:
    """The daemon running on ``station``; yields ``reload()``: SIGHUP, then wait until it is applied."""
    with log.open("ab") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "gateway.cli", "run", "--config", str(station.path)],
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )

    def reload() -> None:
        done = log.read_text(encoding="utf-8").count("configuration reloaded")
        process.send_signal(signal.SIGHUP)
        wait_for(lambda: log.read_text(encoding="utf-8").count("configuration reloaded") > done, "the reload")

    try:
        wait_for(lambda: "gateway started" in log.read_text(encoding="utf-8"), "the start", timeout=60)
        yield reload
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0, log.read_text(encoding="utf-8")[-3000:]
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def number(i: int) -> str:
    return f"+336399801{i:02d}"


def submits_to(sim: Simulator, recipient: str) -> list[dict[str, Any]]:
    return [s for s in sim.client.submits() if s.get("destination") == recipient]


def ready(log: Path, *modems: str) -> bool:
    text = log.read_text(encoding="utf-8")
    return all(f'event="modem ready" modem={m} ' in text for m in modems)


def budgets(station: Station, token: str) -> dict[str, dict[str, Any]]:
    """Each modem's daily message budget as ``GET /modems`` shows it (the running daemon's view)."""
    answer = httpx.get(
        f"http://127.0.0.1:{station.port}/modems", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    answer.raise_for_status()
    return {m["id"]: next((b for b in m["budget"] if b["kind"] == "messages/jour"), {}) for m in answer.json()["items"]}


def test_each_reloadable_setting_applies_without_reopening_the_modems(tmp_path: Path) -> None:
    log = tmp_path / "daemon.log"
    with (
        at_lines() as lines,
        running_simulator(tmp_path, modems=2, fast=False, submit_delay=0.05, submit_jitter=0.0, cmms_delay=0.05) as sim,
    ):
        station = Station(tmp_path, [m.device_path for m in sim.modems])
        upgrade(station.url)
        engine = make_engine(station.url)
        with session_factory(engine).begin() as session:
            token = create_token(session, "test", Role.READ, now=datetime.now(UTC), actor="test").token
        engine.dispose()
        station.write()
        with daemon(station, log) as reload:
            wait_for(lambda: ready(log, "m0", "m1"), "both modems")
            opened = lines.starts()
            assert opened == Counter({sim.modems[0].name: 1, sim.modems[1].name: 1})

            # The daytime window: a reminder queued outside it waits, the operational message beside it goes;
            # a window that includes now releases it (the row has no not_before of its own).
            station.enqueue(
                NewMessage(recipient=number(1), text="rappel", priority=Priority.REMINDER),
                NewMessage(recipient=number(2), text="operationnel"),
            )
            wait_for(lambda: station.sent(number(2)), "the operational message")
            assert station.state(number(1)) == "queued"
            station.write(window=window(including_now=True))
            reload()
            wait_for(lambda: station.sent(number(1)), "the reminder, released by the new window")

            # The text policy: the same text leaves in UCS-2, then folded into GSM 7-bit.
            station.enqueue(NewMessage(recipient=number(3), text=FOLDABLE))
            wait_for(lambda: station.sent(number(3)), "the exact text")
            station.write(policy="gsm-folded")
            reload()
            station.enqueue(NewMessage(recipient=number(4), text=FOLDABLE))
            wait_for(lambda: station.sent(number(4)), "the folded text")
            assert {s["encoding"] for s in submits_to(sim, number(3))} == {"ucs2"}
            assert {s["encoding"] for s in submits_to(sim, number(4))} == {"gsm7"}
            assert [h["text"] for h in sim.client.handsets(number(4))] == ["Vigilance : l'alerte est levée"]

            # The log level: INFO masks numbers, DEBUG shows them.
            station.write(level="DEBUG")
            reload()
            station.enqueue(NewMessage(recipient=number(5), text="niveau"))
            wait_for(lambda: station.sent(number(5)), "a message logged at DEBUG")
            text = log.read_text(encoding="utf-8")
            assert f"to={number(5)}" in text and f"to={number(3)}" not in text and 'to="+33 6 39 98 ** 03"' in text

            # Budgets: the warning threshold, then a daily budget both SIMs are past (alerts only, the rest waits).
            station.enqueue(*(NewMessage(recipient=number(10 + i), text=f"lot {i}") for i in range(10)))
            wait_for(lambda: station.count_sent("lot") == 10, "a batch over both modems")
            wait_for(lambda: all(b.get("used", 0) >= 1 for b in budgets(station, token).values()), "the SIMs' use")
            assert all(not b["warning"] and b["limit"] is None for b in budgets(station, token).values())
            station.write(modems={"m0": {"budget_messages_per_day": 1000}, "m1": {"budget_messages_per_day": 1000}})
            station.write(warn=0.001)
            reload()
            wait_for(
                lambda: all(b["limit"] == 1000 and b["warning"] for b in budgets(station, token).values()),
                "the new budgets and warning threshold",
            )
            station.write(modems={"m0": {"budget_messages_per_day": 1}, "m1": {"budget_messages_per_day": 1}})
            reload()
            station.enqueue(
                NewMessage(recipient=number(30), text="attend le budget"),
                NewMessage(recipient=number(31), text="alerte", priority=Priority.ALERT),
            )
            wait_for(lambda: station.sent(number(31)), "the alert, never held by a budget")
            assert station.state(number(30)) == "queued"
            station.write(modems={"m0": {}, "m1": {}})
            reload()
            wait_for(lambda: station.sent(number(30)), "the message released by the budget's removal")

            # Limits: 3 a minute per SIM; then an overall cap of 2 a minute; then none.
            station.write(modems={"m0": {"per_minute": 3}, "m1": {"per_minute": 3}})
            reload()
            station.enqueue(*(NewMessage(recipient=number(40 + i), text=f"limite {i}") for i in range(20)))
            wait_for(lambda: station.count_sent("limite") >= 1, "the first messages")
            time.sleep(5)  # the observation itself: how many leave in five seconds
            per_modem = station.count_sent("limite")
            assert per_modem <= 2 * 3 + 2, per_modem  # each SIM's 3 (+ the one in flight), not 20 in a second
            station.write(modems={"m0": {}, "m1": {}}, overall=2)
            reload()
            time.sleep(5)
            overall = station.count_sent("limite") - per_modem
            assert overall <= 2 + 1, overall
            station.write(overall=None)
            reload()
            wait_for(lambda: station.count_sent("limite") == 20, "the rest, once the cap is gone")

            assert lines.starts() == opened  # no modem was reopened by any of these reloads
    text = log.read_text(encoding="utf-8")
    assert "needs a restart" not in text
    for key in ("hours.daytime_start", "text.policy", "logging.level", "dispatch.budget_warn_fraction"):
        assert key in text


def test_only_changed_modems_reopen_and_a_restart_only_change_is_refused(tmp_path: Path) -> None:
    log = tmp_path / "daemon.log"
    with (
        at_lines() as lines,
        running_simulator(tmp_path, modems=3, fast=False, submit_delay=0.05, submit_jitter=0.0, cmms_delay=0.05) as sim,
    ):
        station = Station(tmp_path, [m.device_path for m in sim.modems])
        upgrade(station.url)
        station.write()
        names = [m.name for m in sim.modems]
        with daemon(station, log) as reload:
            wait_for(lambda: ready(log, "m0", "m1"), "both modems")
            assert lines.starts() == Counter({names[0]: 1, names[1]: 1})
            old_port = station.port
            station.port = free_port()
            station.write(modems={"m0": {}, "m1": {"command_timeout": 4.0}, "m2": {}})
            reload()
            wait_for(lambda: ready(log, "m2") and lines.starts()[names[1]] == 2, "m1 reopened and m2 opened")
            assert lines.starts() == Counter({names[0]: 1, names[1]: 2, names[2]: 1})
            text = log.read_text(encoding="utf-8")
            assert re.search(r"needs a restart.*key=http\.port running=" + str(old_port), text), text[-2000:]
            assert "m1 reopened (command_timeout)" in text and "m2 opened" in text
            assert httpx.get(f"http://127.0.0.1:{old_port}/healthz", timeout=10).status_code in (200, 503)

            station.enqueue(*(NewMessage(recipient=number(i), text=f"trois {i}") for i in range(30)))
            wait_for(lambda: station.count_sent("trois") == 30, "the drain over three modems")
            assert {s["modem"] for s in sim.client.submits()} == set(names)

            station.write(modems={"m0": {}, "m1": {"command_timeout": 4.0}})  # m2 unplugged for good
            reload()
            station.enqueue(*(NewMessage(recipient=number(40 + i), text=f"deux {i}") for i in range(10)))
            wait_for(lambda: station.count_sent("deux") == 10, "the drain without m2")
            assert "m2 closed" in log.read_text(encoding="utf-8")
            assert lines.starts() == Counter({names[0]: 1, names[1]: 2, names[2]: 1})
    with sqlite3.connect(station.db) as conn:
        assert conn.execute("SELECT count(*) FROM outbox_message WHERE state = 'sending'").fetchone() == (0,)
