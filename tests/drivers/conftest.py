"""A scripted AT peer on the master side of a real pty, for transport-level tests."""

from __future__ import annotations

import os
import select
import threading
from collections.abc import Callable, Iterator

import pytest

Handler = Callable[[str], bytes | None]


class PtyPeer:
    """Answers each command line written to the pty with ``handler(command)`` (None = stay silent).

    Records every command received. After a ``> `` prompt it reads the PDU up to Ctrl-Z and
    passes ``"PDU:<hex>"`` to the handler; an ESC is passed as ``"<ESC>"``.
    """

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.master, self._slave = os.openpty()
        self.device = os.ttyname(self._slave)
        # Our slave fd stays open until unplug: with no slave open, reading the master gives EIO.
        self.received: list[str] = []
        self.received_event = threading.Condition()
        self._stop = threading.Event()
        self._closed = False
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def send(self, data: bytes) -> None:
        os.write(self.master, data)

    def wait_received(self, predicate: Callable[[list[str]], bool], timeout: float = 5.0) -> None:
        with self.received_event:
            assert self.received_event.wait_for(lambda: predicate(self.received), timeout), self.received

    def _run(self) -> None:
        buffer = b""
        while not self._stop.is_set():
            ready, _, _ = select.select([self.master], [], [], 0.05)
            if not ready:
                continue
            try:
                chunk = os.read(self.master, 4096)
            except OSError:
                return
            buffer += chunk
            while True:
                cr, ctrlz, esc = buffer.find(b"\r"), buffer.find(b"\x1a"), buffer.find(b"\x1b")
                ends = [i for i in (cr, ctrlz, esc) if i >= 0]
                if not ends:
                    break
                end = min(ends)
                line, buffer = buffer[:end], buffer[end + 1 :]
                text = line.decode("ascii", "replace").strip()
                if end == esc:
                    text = "<ESC>"
                if not text:
                    continue
                command = f"PDU:{text}" if end == ctrlz else text
                with self.received_event:
                    self.received.append(command)
                    self.received_event.notify_all()
                answer = self.handler(command)
                if answer:
                    os.write(self.master, answer)

    def unplug(self) -> None:
        """Close the master: the slave side sees EIO, like a USB modem pulled out."""
        self._stop.set()
        self._thread.join(timeout=2)
        if not self._closed:
            self._closed = True
            os.close(self.master)
            os.close(self._slave)


@pytest.fixture
def pty_peer() -> Iterator[Callable[[Handler], PtyPeer]]:
    peers: list[PtyPeer] = []

    def make(handler: Handler) -> PtyPeer:
        peer = PtyPeer(handler)
        peers.append(peer)
        return peer

    yield make
    for peer in peers:
        peer.unplug()
