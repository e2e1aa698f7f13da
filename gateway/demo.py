"""``make run``: the gateway on four simulated modems with the 2,000 sample members, in ./var/demo, and the web
console with a demo account (``demo``, role admin, its password made once and printed).

``VIGI_DEMO_DIR`` and ``VIGI_DEMO_PORT`` move it elsewhere (default ./var/demo and port 8080).

Starts the simulator as its own process (as on a station rehearsal), writes a configuration pointing at its
modems, creates the SQLite database, loads the reference lists and the sample members once, then runs the
daemon in the foreground. Ctrl-C stops both.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Overridable so that a test can run the demo beside another one (and beside anything on port 8080).
VAR = Path(os.environ.get("VIGI_DEMO_DIR") or ROOT / "var" / "demo")
PORT = int(os.environ.get("VIGI_DEMO_PORT") or 8080)
API = f"http://127.0.0.1:{PORT}"
DEMO_USER = "demo"


def _start_simulator() -> tuple[subprocess.Popen[bytes], dict[str, object]]:
    state = VAR / "sim" / "state.json"
    state.unlink(missing_ok=True)
    sim = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [
            sys.executable,
            "-m",
            "simulator",
            "--modems",
            "4",
            "--state-file",
            str(state),
            "--submit-log",
            str(VAR / "sim" / "submits.jsonl"),
        ],
        stdout=subprocess.DEVNULL,
        # Its own session: Ctrl-C does not reach it, and it is stopped after the daemon (otherwise the ptys
        # vanish under a daemon still stopping, which logs every modem as lost).
        start_new_session=True,
    )
    deadline = time.monotonic() + 20
    while not state.exists():
        if sim.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("le simulateur n'a pas démarré : voir les messages ci-dessus")
        time.sleep(0.05)
    return sim, json.loads(state.read_text(encoding="utf-8"))


def _write_config(state: dict[str, object]) -> Path:
    modems = state["modems"]
    assert isinstance(modems, list)
    config = VAR / "gateway.toml"
    lines = [
        f'operator_numbers = ["+33639980001"]\n[database]\nurl = "sqlite:///{VAR / "gateway.db"}"\n',
        f'[http]\nhost = "127.0.0.1"\nport = {PORT}\n',
    ]
    for modem in modems:
        lines.append(f'[[modems]]\nid = "{modem["name"]}"\ndevice = "{modem["device_path"]}"\n')
    config.write_text("".join(lines), encoding="utf-8")
    return config


def _cli(*args: str) -> str:
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "gateway.cli", *args],
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    return done.stdout


def _token(config: Path) -> str:
    """An operator token for the demo, made once and kept in var/demo (a station makes its own)."""
    path = VAR / "demo-token"
    if not path.exists():
        made = json.loads(
            _cli(
                "tokens",
                "create",
                "demo-operateur",
                "--role",
                "admin",
                "--json",
                "--config",
                str(config),
                "--actor",
                "demo",
            )
        )
        path.write_text(made["token"], encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


def _console_account(config: Path) -> str:
    """The console's demo account (``demo``, role admin): its password, made once and kept in var/demo."""
    path = VAR / "demo-password"
    if not path.exists():
        made = json.loads(
            _cli("users", "create", DEMO_USER, "--role", "admin", "--json", "--config", str(config), "--actor", "demo")
        )
        path.write_text(made["password"], encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


def _wait_for_api(daemon: subprocess.Popen[bytes], timeout: float = 60.0) -> bool:
    """True once the daemon accepts connections on the API port (so the printed curl works at once)."""
    deadline = time.monotonic() + timeout
    while daemon.poll() is None and time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", PORT), timeout=1).close()
        except OSError:
            time.sleep(0.1)
        else:
            return True
    return False


def main() -> int:
    VAR.mkdir(parents=True, exist_ok=True)
    (VAR / "sim").mkdir(exist_ok=True)
    sim, state = _start_simulator()
    try:
        config = _write_config(state)
        fresh = not (VAR / "gateway.db").exists()
        _cli("db", "upgrade", "--config", str(config))
        if fresh:
            print(
                _cli(
                    "members",
                    "import",
                    str(ROOT / "data" / "members-sample.csv"),
                    "--config",
                    str(config),
                    "--actor",
                    "demo",
                ),
                end="",
            )
        token = _token(config)
        password = _console_account(config)
        control = state["control_url"]
        body = (
            '{"text_fr": "Vol à l’arraché signalé rue de Hollande : soyez vigilants.", '
            '"text_en": "Bag snatching reported in Rue de Hollande: stay alert.", '
            '"target": {"streets": ["Rue de Hollande"]}}'
        )
        # Its own session too: Ctrl-C reaches this script only, which stops the daemon with one SIGTERM, as systemd
        # does (a second signal landing while the interpreter exits would kill it with the default action).
        daemon = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "gateway.cli", "run", "--config", str(config)],
            start_new_session=True,
        )
        try:
            if not _wait_for_api(daemon):
                return daemon.wait()  # it said why on stderr (port taken, bad configuration...)
            print(
                f"\nPasserelle de démonstration — base {VAR / 'gateway.db'}, 4 modems simulés, API {API}.\n\n"
                f"Console web (dans le navigateur) :\n"
                f"  {API}/console/\n"
                f"  nom d'utilisateur : {DEMO_USER}\n"
                f"  mot de passe : {password}\n\n"
                f"Déposer une alerte :\n"
                f"  curl -s -X POST {API}/alerts -H 'Authorization: Bearer {token}' \\\n"
                f"       -H 'Content-Type: application/json' -d '{body}'\n"
                f"Suivre l'alerte n° 1 :\n"
                f"  .venv/bin/vigicommerce alert status 1 --watch --config {config}\n"
                f"Ce que les téléphones ont reçu :\n"
                f"  curl -s {control}/handsets | python3 -m json.tool\n"
                f"File d'envoi et modems :\n"
                f"  .venv/bin/vigicommerce outbox --config {config}\n"
                f"  curl -s {API}/modems -H 'Authorization: Bearer {token}'\n\n"
                f"Ctrl-C pour arrêter.\n",
                flush=True,
            )
            return daemon.wait()
        except KeyboardInterrupt:
            daemon.send_signal(signal.SIGTERM)
            return daemon.wait(timeout=60)
        finally:
            if daemon.poll() is None:  # stopped some other way (SIGTERM to this script): no orphan daemon
                daemon.send_signal(signal.SIGTERM)
                daemon.wait(timeout=60)
    finally:
        if sim.poll() is None:
            sim.send_signal(signal.SIGTERM)
            sim.wait(timeout=20)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    # SIGTERM (systemd, `timeout`, a closed terminal) stops the demo like Ctrl-C, daemon and simulator included.
    # Ctrl-C explicitly too: a shell that starts us in the background hands SIGINT down as ignored.
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, signal.default_int_handler)
    sys.exit(main())
