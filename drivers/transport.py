"""The serial transport: owns one port and one reader thread; one AT command at a time.

The reader thread only reads, feeds the parser, and hands results over (responses to a queue,
URCs to a callback that must not block). It never sends AT commands itself. A read error or EOF
marks the transport gone: pending and later commands raise ``ModemGone``.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
from collections.abc import Callable
from typing import Protocol

import serial

from drivers.at_parser import AtParser, Garbage, Prompt, Response, Urc
from drivers.errors import CommandFailed, ModemError, ModemGone, ModemTimeout, SubmitOutcomeUnknown, redact
from drivers.settings import PortSettings

log = logging.getLogger(__name__)

CTRL_Z = "\x1a"
ESC = "\x1b"


class SerialPort(Protocol):
    """The part of ``serial.Serial`` the transport uses (a test may give another byte pipe)."""

    @property
    def in_waiting(self) -> int: ...
    def read(self, size: int = 1) -> bytes: ...
    def write(self, data: bytes, /) -> int | None: ...
    def cancel_read(self) -> None: ...
    def close(self) -> None: ...


def open_serial(settings: PortSettings, read_timeout: float = 0.2) -> serial.Serial:
    """Open the port with the configured flow control; raise ``ModemGone`` if it cannot be opened."""
    try:
        return serial.Serial(
            port=settings.device,
            baudrate=settings.baudrate,
            rtscts=settings.rtscts,
            dsrdtr=settings.dsrdtr,
            xonxoff=settings.xonxoff,
            timeout=read_timeout,
            write_timeout=settings.command_timeout,
            exclusive=True,
        )
    except (serial.SerialException, OSError, ValueError) as exc:
        raise ModemGone(f"{settings.device}: cannot open: {exc}") from exc


class _Gone:
    """Queue sentinel: the port died or was closed while a command waited."""


class Transport:
    """AT commands over a byte port. Thread-safe: commands are serialised by a lock."""

    def __init__(
        self,
        port: SerialPort,
        *,
        name: str,
        on_urc: Callable[[Urc], None],
        on_gone: Callable[[ModemGone], None] | None = None,
    ) -> None:
        self._port = port
        self._name = name
        self._on_urc = on_urc
        self._on_gone = on_gone
        self._parser = AtParser()
        self._parser_lock = threading.Lock()
        self._command_lock = threading.Lock()
        self._responses: queue.Queue[Response | Prompt | _Gone] = queue.Queue()
        self._stop = threading.Event()
        self._gone: ModemGone | None = None
        self._state_lock = threading.Lock()
        self._reader = threading.Thread(target=self._read_loop, name=f"at-reader-{name}", daemon=True)

    @property
    def alive(self) -> bool:
        """False once the port failed or the transport was closed."""
        return self._gone is None

    def start(self) -> None:
        """Start the reader thread."""
        self._reader.start()

    def close(self) -> None:
        """Stop the reader and close the port. Idempotent; never waits for a running command."""
        self._mark_gone(ModemGone(f"{self._name}: closed"), notify=False)
        self._stop.set()
        # The port may already be dead; closing below is what matters.
        with contextlib.suppress(serial.SerialException, OSError, AttributeError):
            self._port.cancel_read()
        if self._reader.is_alive() and threading.current_thread() is not self._reader:
            self._reader.join(timeout=2.0)
        try:
            self._port.close()
        except (serial.SerialException, OSError):
            log.debug("%s: error while closing the port", self._name, exc_info=True)

    # -- commands --------------------------------------------------------------------------

    def command(self, cmd: str, timeout: float, expect_prompt: bool = False) -> list[str]:
        """Send ``cmd`` and return its information lines; raise on ERROR, timeout or a dead port.

        With ``expect_prompt`` the call returns ``[]`` as soon as the ``> `` prompt arrives, and the
        lock is NOT held afterwards: use ``submit_pdu`` for AT+CMGS, which holds it across both steps.
        """
        with self._command_lock:
            self._begin(cmd, expect_prompt)
            item = self._wait(cmd, timeout)
            if isinstance(item, Prompt):
                return []
            return self._result(cmd, item)

    def submit_pdu(self, cmd: str, pdu_hex: str, *, prompt_timeout: float, answer_timeout: float) -> list[str]:
        """``AT+CMGS=<len>``, wait for ``> ``, write the PDU and Ctrl-Z, wait for ``+CMGS: n``.

        Before the PDU is written, failures are ``ModemTimeout``/``CommandFailed``/``ModemGone``
        (nothing was sent). After, a timeout or a dead port is ``SubmitOutcomeUnknown``; the
        parser keeps listening so that a late ``+CMGS`` arrives as an URC.
        """
        with self._command_lock:
            self._begin(cmd, expect_prompt=True)
            try:
                item = self._wait(cmd, prompt_timeout)
            except ModemTimeout:
                # Leave the modem's PDU input mode; many modems answer the ESC with OK, which
                # must not be taken for the next command's answer: wait for it briefly.
                with self._parser_lock:
                    self._parser.begin(cmd)
                self._write_quietly(ESC)
                with contextlib.suppress(ModemError):
                    self._wait(cmd, min(prompt_timeout, 1.0))
                raise
            if not isinstance(item, Prompt):
                self._result(cmd, item)
                raise CommandFailed(cmd, item.final)  # an OK without prompt: treat as failure
            with self._parser_lock:
                self._parser.sent_payload(pdu_hex)
            self._write(pdu_hex + CTRL_Z)
            try:
                item = self._wait(cmd, answer_timeout)
            except (ModemTimeout, ModemGone) as exc:
                raise SubmitOutcomeUnknown(f"{self._name}: no answer to {cmd} after the PDU: {exc}") from exc
            if isinstance(item, Prompt):
                raise SubmitOutcomeUnknown(f"{self._name}: second prompt after the PDU of {cmd}")
            return self._result(cmd, item)

    def escape(self, settle: float) -> None:
        """Send ESC: leaves a ``> `` prompt that a previous owner of the port left open (a process killed
        between AT+CMGS and its PDU), where every AT we send is taken as PDU text. The modem answers OK (or
        nothing, outside a prompt); that answer is waited for up to ``settle`` s and dropped."""
        with self._command_lock:
            with self._parser_lock:
                self._parser.begin("<ESC>")
            self._write(ESC)
            with contextlib.suppress(ModemError):
                self._wait("<ESC>", settle)

    def _begin(self, cmd: str, expect_prompt: bool) -> None:
        if self._gone is not None:
            raise ModemGone(str(self._gone))
        while True:  # answers of abandoned commands must not satisfy this one
            try:
                self._responses.get_nowait()
            except queue.Empty:
                break
        with self._parser_lock:
            self._parser.begin(cmd, expect_prompt=expect_prompt)
        self._write(cmd + "\r")

    def _write(self, text: str) -> None:
        try:
            self._port.write(text.encode("ascii"))
        except (serial.SerialException, OSError) as exc:
            gone = ModemGone(f"{self._name}: write failed: {exc}")
            self._mark_gone(gone)
            raise gone from exc

    def _write_quietly(self, text: str) -> None:
        try:
            self._write(text)
        except ModemError:
            log.debug("%s: could not write %s", self._name, redact(text.strip()))

    def _wait(self, cmd: str, timeout: float) -> Response | Prompt:
        try:
            item = self._responses.get(timeout=timeout)
        except queue.Empty:
            with self._parser_lock:
                self._parser.abandon()
            raise ModemTimeout(f"{self._name}: no answer to {redact(cmd)} within {timeout:g} s") from None
        if isinstance(item, _Gone):
            raise ModemGone(str(self._gone or f"{self._name}: gone"))
        return item

    @staticmethod
    def _result(cmd: str, response: Response) -> list[str]:
        if not response.ok:
            raise CommandFailed(cmd, response.final, kind=response.kind, code=response.code)
        return list(response.lines)

    # -- reader thread ---------------------------------------------------------------------

    def _mark_gone(self, gone: ModemGone, *, notify: bool = True) -> None:
        with self._state_lock:
            if self._gone is not None:
                return
            self._gone = gone
        self._responses.put(_Gone())
        if notify and self._on_gone is not None:
            try:
                self._on_gone(gone)
            except Exception:
                log.exception("%s: on_gone callback failed", self._name)

    def _read_loop(self) -> None:
        while not self._stop.is_set():
            try:
                data = self._port.read(max(1, self._port.in_waiting))
            except (serial.SerialException, OSError, TypeError) as exc:
                # TypeError: pyserial reads from a closed fd as None when closed under our feet.
                if not self._stop.is_set():
                    log.warning("%s: port failed: %s", self._name, exc)
                    self._mark_gone(ModemGone(f"{self._name}: read failed: {exc}"))
                return
            if data:
                self._handle(data)

    def _handle(self, data: bytes) -> None:
        try:
            with self._parser_lock:
                outputs = self._parser.feed(data)
        except Exception:
            log.exception("%s: parser failed on %r; bytes dropped", self._name, data[:80])
            return
        for item in outputs:
            if isinstance(item, Garbage):
                log.warning("%s: dropped undecodable bytes %r", self._name, item.data[:80])
            elif isinstance(item, Urc):
                try:
                    self._on_urc(item)
                except Exception:
                    log.exception("%s: URC handler failed for %r", self._name, item)
            else:
                self._responses.put(item)
