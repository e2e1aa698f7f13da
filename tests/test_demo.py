"""``make run``'s promise: the demo starts, the curl it prints drops an alert, the command it prints shows the
handsets that got it, and Ctrl-C stops everything cleanly."""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def printed_block(lines: list[str], title: str) -> str:
    """The command printed under ``title`` (its indented lines, continuation backslashes included)."""
    start = lines.index(title) + 1
    block = []
    for line in lines[start:]:
        if not line.startswith("  "):
            break
        block.append(line)
    return "\n".join(block)


def shell(command: str) -> str:
    return subprocess.run(["bash", "-c", command], check=True, capture_output=True, text=True, timeout=30).stdout


def test_make_run_demo_drops_an_alert_with_the_printed_curl_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    demo_dir = tmp_path / "demo"
    env = {**os.environ, "VIGI_DEMO_DIR": str(demo_dir), "VIGI_DEMO_PORT": str(free_port())}
    with (tmp_path / "demo.log").open("wb") as stderr:
        # Its own process group, as a terminal's foreground job: Ctrl-C is SIGINT to that group.
        demo = subprocess.Popen(
            [sys.executable, "-m", "gateway.demo"],
            stdout=subprocess.PIPE,
            stderr=stderr,
            env=env,
            text=True,
            start_new_session=True,
        )
    try:
        assert demo.stdout is not None
        lines: queue.SimpleQueue[str] = queue.SimpleQueue()
        threading.Thread(target=lambda: [lines.put(line.rstrip("\n")) for line in demo.stdout], daemon=True).start()
        seen: list[str] = []
        while not seen or seen[-1] != "Ctrl-C pour arrêter.":
            seen.append(lines.get(timeout=120))
        drop = printed_block(seen, "Déposer une alerte :")
        handsets = printed_block(seen, "Ce que les téléphones ont reçu :")
        answer = shell(drop)  # at once: the banner comes when the API listens
        alert = json.loads(answer)
        assert alert["id"] == 1, answer

        db = demo_dir / "gateway.db"

        def queued_for_alert() -> dict[str, str]:
            with sqlite3.connect(db) as conn:
                return dict(conn.execute("SELECT recipient, text FROM outbox_message WHERE alert_id = 1").fetchall())

        expected = queued_for_alert()
        assert len(expected) > 1  # Rue de Hollande has several members in the sample register
        deadline = time.monotonic() + 120
        while True:
            received = {
                m["recipient"]: m["text"] for m in json.loads(shell(handsets)) if m["text"] in expected.values()
            }
            if received == expected:
                break
            assert time.monotonic() < deadline, f"handsets got {len(received)} of {len(expected)}"
            time.sleep(0.5)
        assert all(number.startswith("+336399") for number in received)

        os.killpg(demo.pid, signal.SIGINT)  # Ctrl-C
        assert demo.wait(timeout=90) == 0
    finally:
        if demo.poll() is None:  # a failure above: stop it as systemd would, so it stops its children too
            os.killpg(demo.pid, signal.SIGTERM)
            try:
                demo.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(demo.pid, signal.SIGKILL)
                demo.wait()
        if demo.stdout is not None:
            demo.stdout.close()
    log = (tmp_path / "demo.log").read_text(encoding="utf-8")
    assert "gateway stopped" in log
    assert "modem lost" not in log  # the simulator outlived the daemon: no pty vanished under it
    assert not (demo_dir / "sim" / "state.json").exists()  # and was stopped after it (it removes its state)
    with pytest.raises(subprocess.CalledProcessError):  # nothing answers the printed command any more
        shell(handsets.replace("| python3 -m json.tool", "").replace("curl -s", "curl -sf"))
