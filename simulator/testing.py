"""Helpers for tests that drive the simulator: an in-process fixture factory, a raw AT terminal,
a pty-free modem harness and a hand-built SMS-SUBMIT (independent of simulator.pdu).

``AtTerminal`` opens a modem's device path like a serial client would (raw mode) and reads with
timeouts; it never sleeps to synchronise.
"""

from __future__ import annotations

import contextlib
import os
import re
import select
import termios
import time
import tty
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from simulator.app import Simulator
from simulator.config import ModemConfig, RuntimeDelays, load
from simulator.handsets import Handsets
from simulator.modem import VirtualModem

FINAL = re.compile(rb"\r\n(OK|ERROR|\+CM[ES] ERROR: [^\r]*)\r\n$")


@contextlib.contextmanager
def running_simulator(workdir: Path, *, modems: int = 2, fast: bool = True, **options: Any) -> Iterator[Simulator]:
    """An in-process simulator with its symlinks, state file and JSONL log under ``workdir``."""
    config = load(
        modems=modems,
        fast=fast,
        state_dir=str(workdir / "sim"),
        state_file=str(workdir / "sim" / "state.json"),
        submit_log=str(workdir / "sim" / "submits.jsonl"),
        **options,
    )
    with Simulator(config) as sim:
        yield sim


class AtTerminal:
    """A raw terminal on a modem's device path."""

    def __init__(self, path: str) -> None:
        self.fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
        tty.setraw(self.fd)
        termios.tcflush(self.fd, termios.TCIOFLUSH)
        self.buffer = b""

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self.fd)

    def __enter__(self) -> AtTerminal:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def write(self, data: bytes) -> None:
        os.write(self.fd, data)

    def read_until(self, pattern: bytes | re.Pattern[bytes], timeout: float = 5.0) -> bytes:
        """Read until ``pattern`` (regex) matches the received bytes; return them all and reset the buffer.

        Raises TimeoutError with what was received, OSError (EIO) when the modem is unplugged.
        """
        regex = re.compile(pattern) if isinstance(pattern, bytes) else pattern
        deadline = time.monotonic() + timeout
        while not regex.search(self.buffer):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no {regex.pattern!r} in {self.buffer!r}")
            ready, _, _ = select.select([self.fd], [], [], remaining)
            if ready:
                chunk = os.read(self.fd, 4096)
                if not chunk:
                    raise EOFError(f"EOF after {self.buffer!r}")
                self.buffer += chunk
        match = regex.search(self.buffer)
        assert match is not None
        data, self.buffer = self.buffer[: match.end()], self.buffer[match.end() :]
        return data

    def command(self, line: str | bytes, timeout: float = 5.0) -> bytes:
        """Send ``line`` + CR and return everything up to and including the final result code."""
        raw = line.encode("latin-1") if isinstance(line, str) else line
        self.write(raw + b"\r")
        return self.read_until(FINAL, timeout)

    def idle(self, timeout: float = 0.2) -> bytes:
        """Whatever arrives within ``timeout`` (used to assert that nothing does)."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            ready, _, _ = select.select([self.fd], [], [], remaining)
            if ready:
                chunk = os.read(self.fd, 4096)
                if not chunk:
                    break
                self.buffer += chunk
        data, self.buffer = self.buffer, b""
        return data


def _pack(text: str) -> bytes:
    """GSM 7-bit packing for plain ASCII letters/digits/spaces (same code points in GSM 03.38)."""
    bits = 0
    nbits = 0
    out = bytearray()
    for char in text:
        bits |= ord(char) << nbits
        nbits += 7
        while nbits >= 8:
            out.append(bits & 0xFF)
            bits >>= 8
            nbits -= 8
    if nbits:
        out.append(bits & 0xFF)
    return bytes(out)


def submit_pdu(number: str = "+33639980001", text: str = "hello", *, report: bool = False) -> tuple[str, int]:
    """(hex with an empty SMSC field, TPDU length) of a one-part GSM 7-bit SMS-SUBMIT."""
    digits = number.lstrip("+")
    padded = digits + ("F" if len(digits) % 2 else "")
    swapped = "".join(padded[i + 1] + padded[i] for i in range(0, len(padded), 2))
    first = 0x31 if report else 0x11  # SUBMIT, VPF relative, SRR
    tpdu = (
        f"{first:02X}00{len(digits):02X}{'91' if number.startswith('+') else '81'}{swapped}"
        f"0000AA{len(text):02X}{_pack(text).hex().upper()}"
    )
    return "00" + tpdu, len(tpdu) // 2


class FakeScheduler:
    """Records timers; ``run()`` fires them (no thread)."""

    def __init__(self) -> None:
        self.calls: list[tuple[float, Callable[[], None]]] = []

    def call_later(self, delay: float, callback: Callable[[], None]) -> None:
        self.calls.append((delay, callback))

    def run(self) -> None:
        calls, self.calls = self.calls, []
        for _, callback in calls:
            callback()

    def cancel_all(self) -> None:
        self.calls.clear()


class Harness:
    """A VirtualModem wired to recording fakes: output bytes, sleeps, events."""

    def __init__(self, *, config: ModemConfig | None = None, delays: RuntimeDelays | None = None) -> None:
        self.output = bytearray()
        self.sleeps: list[float] = []
        self.events: list[dict[str, Any]] = []
        self.handsets = Handsets()
        self.scheduler = FakeScheduler()
        self.clock_value = 1000.0
        self.modem = VirtualModem(
            config or ModemConfig(),
            delays=delays or RuntimeDelays(0, 0, 0, 3.0, 0, "delivered"),
            handsets=self.handsets,
            scheduler=self.scheduler,  # type: ignore[arg-type]
            write=self.output.extend,
            events=self.events.append,
            clock=lambda: self.clock_value,
            sleeper=self._sleep,
            now=lambda: datetime(2025, 3, 14, 9, 30, tzinfo=UTC),
        )

    def _sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.clock_value += seconds

    def send(self, data: bytes | str) -> bytes:
        """Feed bytes and return what the modem wrote in response."""
        raw = data.encode("latin-1") if isinstance(data, str) else data
        self.output.clear()
        self.modem.feed(raw)
        return bytes(self.output)

    def at(self, line: str) -> bytes:
        return self.send(line + "\r")
