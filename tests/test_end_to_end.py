"""End to end (issue 5): the real daemon on two simulated modems, the sample members imported from the CSV by
the command line, a token made by ``vigicommerce tokens create``, an alert dropped over HTTP.

The expected recipients are computed from ``data/members-sample.csv`` alone (zone column, registered less than
three years ago in America/Marigot), not from the gateway's own targeting, and checked on the handsets.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from simulator.testing import running_simulator

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "members-sample.csv"
OWNER = "Adjudant Testeur"
TEXT = "Vigicommerce: 2 individus casques, scooter noir, vol a l'arrache signale. Restez vigilants."
SMS = f"Gendarmerie - Vigicommerce : {TEXT}"  # what a member receives: the default signature first

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def expected_by_zone(today: date) -> dict[str, set[str]]:
    """Numbers of members still registered today (registration + 3 years >= today), per zone."""
    zones: dict[str, set[str]] = {}
    with SAMPLE.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            registered = date.fromisoformat(row["registered_on"])
            try:
                last_day = registered.replace(year=registered.year + 3)
            except ValueError:  # 29 February
                last_day = registered.replace(year=registered.year + 3, day=28)
            if last_day >= today:
                zones.setdefault(row["zone"], set()).update(p.strip() for p in row["phones"].split(";") if p.strip())
    return zones


def cli(config: Path, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "gateway.cli", *args, "--config", str(config)],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert result.returncode == 0, (args, result.stdout, result.stderr)
    return result.stdout


@contextlib.contextmanager
def daemon(config: Path, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("ab") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "gateway.cli", "run", "--config", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    try:
        yield process
    finally:
        process.terminate()
        assert process.wait(timeout=30) == 0, log.read_text(encoding="utf-8")[-3000:]


def wait_for(condition: object, what: str, log: Path, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"{what}; daemon log: {log.read_text(encoding='utf-8')[-3000:]}"
        time.sleep(0.1)


def test_alert_dropped_over_http_reaches_exactly_the_zone(tmp_path: Path) -> None:
    today = datetime.now(UTC).astimezone(ZoneInfo("America/Marigot")).date()
    zones = {z: n for z, n in expected_by_zone(today).items() if n}
    zone = min(zones, key=lambda z: len(zones[z]))  # the smallest zone keeps the test quick
    expected = zones[zone]
    port = free_port()
    db = tmp_path / "gateway.db"
    log = tmp_path / "daemon.log"
    with running_simulator(tmp_path, modems=2, fast=True) as sim:
        config = tmp_path / "gateway.toml"
        modems = "".join(
            f'[[modems]]\nid = "m{i}"\ndevice = "{m.device_path}"\nper_minute = 100000\n'
            f"per_hour = 1000000\nper_day = 1000000\n"
            for i, m in enumerate(sim.modems)
        )
        config.write_text(
            f'[database]\nurl = "sqlite:///{db}"\n[http]\nhost = "127.0.0.1"\nport = {port}\n'
            f"[dispatch]\nreopen_initial_seconds = 0.1\n{modems}",
            encoding="utf-8",
        )
        cli(config, "db", "upgrade")
        cli(config, "members", "import", str(SAMPLE))
        token = json.loads(cli(config, "tokens", "create", OWNER, "--role", "alerts", "--json"))["token"]
        headers = {"Authorization": f"Bearer {token}"}
        with daemon(config, log), httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:

            def healthy() -> bool:
                with contextlib.suppress(httpx.TransportError):
                    return http.get("/healthz").status_code == 200
                return False

            wait_for(healthy, "the daemon never became healthy", log)
            assert http.post("/alerts", json={"text_fr": TEXT, "target": {"zones": [zone]}}).status_code == 401
            response = http.post("/alerts", json={"text_fr": TEXT, "target": {"zones": [zone]}}, headers=headers)
            assert response.status_code == 202, response.text
            alert = response.json()
            assert alert["text"] == SMS and alert["numbers"] == len(expected)

            def delivered() -> bool:
                got = {m["recipient"] for m in sim.client.handsets() if m["text"] == SMS}
                return got >= expected

            wait_for(delivered, "not every member of the zone received the alert", log)

            def complete() -> bool:
                return http.get(alert["location"], headers=headers).json()["progress"]["percent_done"] == 100.0

            wait_for(complete, "progress never reached 100 %", log)
            # The operators' view of the same daemon: `vigicommerce modems` reads its API with the token.
            shown = cli(config, "modems", "--token", token, "--json")
            states = [m["state"] for m in json.loads(shown)["items"]]
            assert states == ["open"] * len(sim.modems)
        received = Counter(m["recipient"] for m in sim.client.handsets() if m["text"] == SMS)
    assert set(received) == expected, f"extra: {set(received) - expected}, missing: {expected - set(received)}"
    assert all(count == 1 for count in received.values()), received
    with sqlite3.connect(db) as conn:
        actors = conn.execute(
            "SELECT actor FROM audit_log WHERE action = 'alert.alert' AND subject = ?", (f"alert:{alert['id']}",)
        ).fetchall()
    assert actors == [(OWNER,)]
