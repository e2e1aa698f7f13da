import os
import socket
from pathlib import Path

import pytest

from gateway.sdnotify import Notifier, watchdog_interval


def test_disabled_without_socket(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    notifier = Notifier()
    assert not notifier.enabled
    assert notifier.ready() is False


def test_messages_reach_the_socket(tmp_path: Path) -> None:
    path = str(tmp_path / "notify")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind(path)
    server.settimeout(5)
    notifier = Notifier(path)
    try:
        assert notifier.ready("2 modems")
        assert server.recv(4096) == b"READY=1\nSTATUS=2 modems"
        assert notifier.watchdog()
        assert server.recv(4096) == b"WATCHDOG=1"
        assert notifier.stopping()
        assert server.recv(4096) == b"STOPPING=1"
    finally:
        notifier.close()
        server.close()


def test_abstract_socket_address() -> None:
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    name = f"vigi-test-{os.getpid()}"
    server.bind("\0" + name)
    server.settimeout(5)
    notifier = Notifier("@" + name)
    try:
        assert notifier.status("queue=0")
        assert server.recv(4096) == b"STATUS=queue=0"
    finally:
        notifier.close()
        server.close()


def test_watchdog_interval(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WATCHDOG_USEC", "20000000")
    monkeypatch.setenv("WATCHDOG_PID", str(os.getpid()))
    assert watchdog_interval() == 10.0
    monkeypatch.setenv("WATCHDOG_PID", "1")
    assert watchdog_interval() is None
    monkeypatch.delenv("WATCHDOG_USEC")
    assert watchdog_interval() is None
