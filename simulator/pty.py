"""Pseudo-terminals standing in for USB serial ports, with a stable path per modem.

``<state_dir>/<name>`` is a symlink to the current ``/dev/pts/N``: it plays the role of
``/dev/serial/by-id/usb-...`` on a real station. Unplug closes the master (the client's next read or
write fails with EIO, as when a USB modem disappears) and removes the symlink; replug opens a new pty
and re-points the symlink, so a client that reopens the stable path finds the modem again.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import select
import threading
import tty
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)

#: How long a write waits for a client that does not read before the bytes are dropped, as on a UART.
WRITE_TIMEOUT = 2.0


class PtyPort:
    """One pty pair, its reader thread, and the stable symlink; feeds received bytes to ``on_data``."""

    def __init__(self, link: Path, on_data: Callable[[bytes], None]) -> None:
        self.link = link
        self._on_data = on_data
        self._lock = threading.Lock()
        self._master: int | None = None
        self._slave: int | None = None
        self._thread: threading.Thread | None = None
        self._wake_r, self._wake_w = -1, -1
        self.pts_path: str | None = None

    @property
    def plugged(self) -> bool:
        return self._master is not None

    def open(self) -> None:
        """Create the pty, point the symlink at it and start reading."""
        master, slave = os.openpty()
        # Raw mode on the line discipline: no echo, no CR/LF translation, no signals from ^C or ^Z.
        tty.setraw(slave)
        os.set_blocking(master, False)
        self.pts_path = os.ttyname(slave)
        wake_r, wake_w = os.pipe()
        with self._lock:
            self._master, self._slave = master, slave
            self._wake_r, self._wake_w = wake_r, wake_w
        tmp = self.link.with_name(self.link.name + ".tmp")
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        os.symlink(self.pts_path, tmp)
        os.replace(tmp, self.link)
        self._thread = threading.Thread(
            target=self._read_loop, args=(master, wake_r), name=f"pty-{self.link.name}", daemon=True
        )
        self._thread.start()

    def close(self, *, remove_link: bool = True) -> None:
        """Close the pty (unplug); the reader thread ends."""
        with self._lock:
            master, slave, wake_w = self._master, self._slave, self._wake_w
            self._master = self._slave = None
        if master is None:
            return
        if remove_link:
            with contextlib.suppress(FileNotFoundError):
                self.link.unlink()
        with contextlib.suppress(OSError):
            os.write(wake_w, b"x")
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)
        for fd in (master, slave, wake_w):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)

    def write(self, data: bytes) -> None:
        """Write to the client; bytes are dropped when unplugged or when nobody reads for a while."""
        with self._lock:
            master = self._master
            if master is None:
                return
            view = memoryview(data)
            while view:
                try:
                    sent = os.write(master, view)
                except BlockingIOError:
                    _, writable, _ = select.select([], [master], [], WRITE_TIMEOUT)
                    if not writable:
                        log.warning("%s: client not reading, %d bytes dropped", self.link.name, len(view))
                        return
                    continue
                except OSError as exc:
                    if exc.errno in (errno.EIO, errno.EBADF):
                        return
                    raise
                view = view[sent:]

    def _read_loop(self, master: int, wake_r: int) -> None:
        try:
            while True:
                try:
                    ready, _, _ = select.select([master, wake_r], [], [])
                except (OSError, ValueError):
                    return
                if wake_r in ready:
                    return
                try:
                    data = os.read(master, 4096)
                except BlockingIOError:
                    continue
                except OSError:
                    # EIO: no process has the slave open (we keep one, so this means closing down).
                    return
                if not data:
                    return
                try:
                    self._on_data(data)
                except Exception:
                    log.exception("%s: modem failed on input %r", self.link.name, data[:64])
        finally:
            with contextlib.suppress(OSError):
                os.close(wake_r)
