import threading
from pathlib import Path

from gateway import wake


def test_socket_path_beside_a_sqlite_file(tmp_path: Path) -> None:
    assert wake.socket_path(f"sqlite:///{tmp_path}/g.db") == tmp_path / "wake.sock"
    assert wake.socket_path("postgresql+psycopg://u@127.0.0.1/db") is None
    assert wake.socket_path("sqlite:///x.db", "/run/x.sock") == Path("/run/x.sock")


def test_send_reaches_the_listener_with_the_priority(tmp_path: Path) -> None:
    got: list[int | None] = []
    arrived = threading.Event()

    def on_wake(priority: int | None) -> None:
        got.append(priority)
        arrived.set()

    listener = wake.WakeListener(tmp_path / "wake.sock", on_wake)
    listener.start()
    try:
        assert wake.send(tmp_path / "wake.sock", 0)
        assert arrived.wait(5)
        assert got == [0]
        assert (tmp_path / "wake.sock").stat().st_mode & 0o777 == 0o660
    finally:
        listener.stop()
    assert not (tmp_path / "wake.sock").exists()


def test_send_without_daemon_is_harmless(tmp_path: Path) -> None:
    assert wake.send(tmp_path / "absent.sock", 0) is False
    assert wake.send(None, 0) is False
