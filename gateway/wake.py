"""Cross-process wake-ups: a command that queues messages pokes the running daemon over a Unix socket.

Inside the daemon a commit wakes the workers directly (``Outbox(notify=...)``); the command line runs in
another process, so without this its alerts would wait for the workers' safety wake-up (a few seconds). The
socket is best effort: no daemon, no socket, no harm; the safety wake-up still sends everything.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.engine import make_url

SOCKET_NAME = "wake.sock"


def socket_path(database_url: str, configured: str | None = None) -> Path | None:
    """The configured path, or ``wake.sock`` beside a SQLite database file (the state directory)."""
    if configured:
        return Path(configured)
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).resolve().parent / SOCKET_NAME
    return None


def send(path: Path | None, priority: int | None) -> bool:
    """Tell the daemon that messages of ``priority`` were committed; False when nobody listens."""
    if path is None:
        return False
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        try:
            sock.sendto(b"" if priority is None else str(priority).encode(), str(path))
        except OSError:
            return False
    return True


class WakeListener:
    """Receives wake-ups on ``path`` and calls ``on_wake(priority)`` from its own thread."""

    def __init__(self, path: Path, on_wake: Callable[[int | None], None]) -> None:
        self.path = path
        self.on_wake = on_wake
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    def start(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()  # left by a daemon that was killed
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(str(self.path))
        os.chmod(self.path, 0o660)  # the service's group (operators) may wake it, nobody else
        sock.settimeout(0.5)  # so that stop() is seen: closing a socket does not interrupt a blocked recv
        self._sock = sock
        self._thread = threading.Thread(target=self._run, name="wake-listener", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        sock = self._sock
        assert sock is not None
        while not self._stop.is_set():
            try:
                data = sock.recv(64)
            except TimeoutError:
                continue
            except OSError:
                return
            text = data.decode("ascii", "replace").strip()
            self.on_wake(int(text) if text.isdigit() else None)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
