"""The real gateway for browser tests: the simulator (fast), the daemon as a subprocess on a free port, the 2,000
sample members imported by the command line, one console user per role created by ``vigicommerce users create``,
and helpers to sign in with Playwright."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect

from simulator.app import Simulator
from simulator.testing import running_simulator

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "members-sample.csv"
PASSWORD = "garde de nuit 2026"
USERS = {"officier": "alerts", "ccism": "members", "lecteur": "read", "admin": "admin"}
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Stack:
    base: str
    config: Path
    sim: Simulator
    log: Path

    def cli(self, *args: str, stdin: str | None = None) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "gateway.cli", *args, "--config", str(self.config)],
            check=False,
            capture_output=True,
            text=True,
            input=stdin,
            timeout=120,
            env={**os.environ, "COLUMNS": "200"},
        )
        assert done.returncode == 0, (args, done.stdout, done.stderr)
        return done.stdout

    def daemon_log(self) -> str:
        return self.log.read_text(encoding="utf-8")[-4000:]

    def wait_for(self, condition: Callable[[], object], what: str, seconds: float = 60.0) -> None:
        deadline = time.monotonic() + seconds
        while not condition():
            assert time.monotonic() < deadline, f"{what}; daemon log:\n{self.daemon_log()}"
            time.sleep(0.1)


def _config(path: Path, db: Path, port: int, sim: Simulator) -> None:
    modems = "".join(
        f'[[modems]]\nid = "modem{i + 1}"\ndevice = "{m.device_path}"\nper_minute = 100000\n'
        f"per_hour = 1000000\nper_day = 1000000\n"
        for i, m in enumerate(sim.modems)
    )
    path.write_text(
        f'operator_numbers = ["+33639980001"]\n[database]\nurl = "sqlite:///{db}"\n'
        f'[http]\nhost = "127.0.0.1"\nport = {port}\n'
        # The tests play a TLS proxy on the loopback: X-Forwarded-For gives each test its own client address, so
        # that the sign-in lock of one test does not lock the others out.
        'trusted_proxies = ["127.0.0.1"]\n'
        f"[dispatch]\nreopen_initial_seconds = 0.1\n{modems}",
        encoding="utf-8",
    )


@contextlib.contextmanager
def running_stack(workdir: Path) -> Iterator[Stack]:
    port = free_port()
    log = workdir / "daemon.log"
    with running_simulator(workdir, modems=2, fast=True) as sim:
        config = workdir / "gateway.toml"
        _config(config, workdir / "gateway.db", port, sim)
        stack = Stack(f"http://127.0.0.1:{port}", config, sim, log)
        stack.cli("db", "upgrade")
        stack.cli("members", "import", str(SAMPLE), "--actor", "ccism")
        for name, role in USERS.items():
            stack.cli("users", "create", name, "--role", role, "--password-stdin", "--actor", "test", stdin=PASSWORD)
        with log.open("ab") as stderr:
            daemon = subprocess.Popen(
                [sys.executable, "-m", "gateway.cli", "run", "--config", str(config)],
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        try:

            def healthy() -> bool:
                with contextlib.suppress(httpx.TransportError):
                    return httpx.get(f"{stack.base}/healthz", timeout=2).status_code == 200
                return False

            stack.wait_for(healthy, "the daemon never became healthy")
            yield stack
        finally:
            daemon.terminate()
            assert daemon.wait(timeout=30) == 0, stack.daemon_log()


def sign_in(page: Page, name: str, password: str = PASSWORD) -> None:
    """Sign in through the form, as a person does, and land on the dashboard."""
    page.goto("/console/connexion")
    page.get_by_label("Nom d'utilisateur").fill(name)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()
