"""The AT engine of one virtual modem: fed bytes, answers through a write callback.

No pty, no thread of its own: :meth:`VirtualModem.feed` is called by the port's reader thread with whatever
bytes arrived, and the modem writes echo, responses and result codes through ``write``. One command line at
a time, as a real modem: while a command runs (a submit takes seconds) the next bytes wait in the pty.
Other threads (control interface, status-report timers) only take the lock briefly: unsolicited result
codes they raise are written at once when the modem is idle, queued while it is busy or at the ``> ``
prompt and written after the final result (or before it, with the "urc" fault).
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from simulator import atparser
from simulator.atparser import AtSyntaxError, Command
from simulator.commands import REGISTRY, Prompt
from simulator.config import ModemConfig, RuntimeDelays
from simulator.errors import CmeError, CmsError, CommandError, PlainError
from simulator.faults import FaultSet
from simulator.handsets import Handsets
from simulator.network import Network, Scheduler
from simulator.storage import MessageStore

log = logging.getLogger(__name__)

CTRL_Z = 0x1A
ESC = 0x1B
#: Characters collected at the "> " prompt before the modem stops storing them (the PDU is then invalid).
MAX_PROMPT = 1200


class Mode(Enum):
    COMMAND = "command"
    PROMPT = "prompt"


@dataclass
class Settings:
    """What ATZ and AT&F restore (the profile); values are those of common 3G USB modems."""

    echo: bool = True
    verbose: bool = True
    quiet: bool = False
    cmee: int = 0
    cmgf: int = 0
    cscs: str = "IRA"
    csmp: tuple[int, int, int, int] = (17, 167, 0, 0)
    cnmi: tuple[int, int, int, int, int] = (2, 1, 0, 0, 0)
    creg: int = 0
    cops_format: int = 0
    cmms: int = 0
    clip: int = 0
    crc: int = 0
    cvhu: int = 0
    sregs: dict[int, int] = field(default_factory=lambda: {0: 0, 3: 13, 4: 10, 5: 8, 7: 50, 10: 1})


@dataclass
class SimCard:
    """The SIM: PIN state and remaining attempts."""

    pin: str | None
    locked: bool = False
    puk_locked: bool = False
    attempts: int = 3


def utc_now() -> datetime:
    return datetime.now(UTC)


class VirtualModem:
    """One modem's AT state machine. Thread-safe; see the module docstring."""

    def __init__(
        self,
        config: ModemConfig,
        *,
        delays: RuntimeDelays,
        handsets: Handsets,
        scheduler: Scheduler,
        write: Callable[[bytes], None] | None = None,
        events: Callable[[dict[str, Any]], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleeper: Callable[[float], None] = time.sleep,
        now: Callable[[], datetime] = utc_now,
        rng: random.Random | None = None,
    ) -> None:
        self.config = config
        self.name = config.name
        self.handsets = handsets
        self.scheduler = scheduler
        self.network = Network(delays, rng or random.Random())  # noqa: S311 - jitter
        self.faults = FaultSet()
        self.store = MessageStore()
        self.events = events or (lambda _record: None)
        self.clock = clock
        self.now = now
        self._sleeper = sleeper
        self._write = write or (lambda _data: None)
        self._unplug: Callable[[], None] = lambda: None
        self._lock = threading.Lock()
        self._power_on()

    # ----------------------------------------------------------------- state

    def _power_on(self) -> None:
        """State after power-up (also after a replug): profile defaults, SIM locked if it has a PIN."""
        self.settings = Settings()
        self.sim = SimCard(pin=self.config.pin, locked=self.config.pin is not None)
        self.cfun = 1
        self.cpms = ["SM", "SM", "SM"]
        self.csca = (self.config.smsc, 145)
        self.mode = Mode.COMMAND
        self.busy = False
        self.prompt: Prompt | None = None
        self._line = bytearray()
        self._line_overflow = False
        self._prompt_buf = bytearray()
        self._last_line = ""
        self._pending_urcs: list[str] = []
        self.cmms_last: float | None = None
        self.last_submit: dict[str, Any] | None = None

    def set_writer(self, write: Callable[[bytes], None]) -> None:
        """Attach a new output (the port does it on replug)."""
        with self._lock:
            self._write = write

    def set_unplug(self, unplug: Callable[[], None]) -> None:
        """How the modem pulls its own plug (the "unplug_at" fault): the simulator closes its port."""
        self._unplug = unplug

    def _unplug_at(self, stage: str) -> bool:
        """The "unplug_at" fault for ``stage``: unplug now and say so (the caller then answers nothing)."""
        fault = self.faults.active("unplug_at")
        if fault is None or fault.params["stage"] != stage or self.faults.consume("unplug_at") is None:
            return False
        self.mode = Mode.COMMAND
        self.prompt = None
        self._unplug()
        return True

    def power_cycle(self) -> None:
        """Back to power-on state, as after unplug/replug; stored messages survive (they are on the SIM)."""
        with self._lock:
            self._power_on()

    def require_pin(self) -> None:
        """The SIM asks for its PIN, as after a modem reset (the "sim_pin" fault)."""
        with self._lock:
            self._power_on()
            if self.sim.pin is None:
                self.sim.pin = "1234"
            self.sim.locked = True

    @property
    def registered(self) -> bool:
        """Registered on the home network: SIM ready, radio on, no "no_network" fault."""
        return (
            not self.sim.locked
            and not self.sim.puk_locked
            and self.cfun == 1
            and self.faults.active("no_network") is None
        )

    def status(self) -> dict[str, Any]:
        """A JSON-able summary for the control interface."""
        with self._lock:
            return {
                "name": self.name,
                "imei": self.config.imei,
                "registered": self.registered,
                "sim": "SIM PUK" if self.sim.puk_locked else "SIM PIN" if self.sim.locked else "READY",
                "mode": self.mode.value,
                "echo": self.settings.echo,
                "cmgf": self.settings.cmgf,
                "cmee": self.settings.cmee,
                "cnmi": list(self.settings.cnmi),
                "cmms": self.settings.cmms,
                "next_message_reference": self.network.peek_reference(),
                "faults": self.faults.to_json(),
            }

    # ---------------------------------------------------------------- output

    def _out(self, data: bytes) -> None:
        try:
            self._write(data)
        except OSError:
            log.debug("%s: output lost (port closed)", self.name)

    def info_bytes(self, text: str) -> bytes:
        if self.settings.verbose:
            return b"\r\n" + text.encode("latin-1", "replace") + b"\r\n"
        return text.encode("latin-1", "replace") + b"\r\n"

    def _final(self, error: CommandError | None) -> None:
        if self.settings.quiet:
            return
        if error is None:
            self._out(b"\r\nOK\r\n" if self.settings.verbose else b"0\r")
            return
        if isinstance(error, CmeError | CmsError) and self.settings.cmee:
            text = error.numeric() if self.settings.cmee == 1 else error.verbose()
            self._out(self.info_bytes(text))
            return
        self._out(b"\r\nERROR\r\n" if self.settings.verbose else b"4\r")

    def emit_garbage(self, data: bytes) -> None:
        """Write raw bytes on the line (the "garbage" fault)."""
        with self._lock:
            self._out(data)

    def urc(self, lines: list[str]) -> None:
        """Raise an unsolicited result code (one or more lines, e.g. +CMT header and PDU)."""
        with self._lock:
            self._pending_urcs.append("\r\n".join(lines))
            if not self.busy and self.mode is Mode.COMMAND:
                self._flush_urcs()

    def queue_urc(self, lines: list[str]) -> None:
        """Queue a URC from inside a command handler (the lock is already held)."""
        self._pending_urcs.append("\r\n".join(lines))

    def _flush_urcs(self) -> None:
        pending, self._pending_urcs = self._pending_urcs, []
        for text in pending:
            self._out(b"\r\n" + text.encode("latin-1", "replace") + b"\r\n")

    def pause(self, seconds: float) -> None:
        """Wait while running a command, letting other threads raise URCs (queued meanwhile)."""
        if seconds <= 0:
            return
        self._lock.release()
        try:
            self._sleeper(seconds)
        finally:
            self._lock.acquire()

    # ----------------------------------------------------------------- input

    def feed(self, data: bytes) -> None:
        """Process bytes received from the terminal."""
        with self._lock:
            if self.faults.active("hang") is not None:
                return
            for byte in data:
                if self.mode is Mode.PROMPT:
                    self._feed_prompt(byte)
                else:
                    self._feed_command(byte)

    def _feed_command(self, byte: int) -> None:
        sregs = self.settings.sregs
        if self.settings.echo:
            self._out(bytes([byte]))
        if byte == sregs.get(3, 13):
            line, overflow = bytes(self._line), self._line_overflow
            self._line.clear()
            self._line_overflow = False
            self._run_line(line, overflow)
        elif byte == sregs.get(5, 8):
            if self._line:
                self._line.pop()
        elif byte == sregs.get(4, 10) and not self._line:
            return
        elif len(self._line) <= atparser.MAX_LINE + 2:
            self._line.append(byte)
            if self._line[-2:] in (b"A/", b"a/"):
                # "A/" repeats the previous command line at once, without a carriage return (V.250 §5.2.4).
                self._line.clear()
                if self._last_line:
                    self._execute(self._last_line)
        else:
            self._line_overflow = True

    def _run_line(self, raw: bytes, overflow: bool) -> None:
        text = raw.decode("latin-1")
        start = -1
        for i in range(len(text) - 1):
            if text[i] in "aA" and text[i + 1] in "tT":
                start = i
                break
        if start < 0:
            return  # no "AT": a modem stays silent
        body = text[start + 2 :]
        if overflow or len(body) > atparser.MAX_LINE:
            self._begin()
            self._final(PlainError())
            self._end()
            return
        self._last_line = body
        log.debug("%s: AT%s", self.name, body)
        self._execute(body)

    def _begin(self) -> None:
        self.busy = True
        slow = self.faults.active("slow")
        if slow is not None:
            self.pause(float(slow.params["delay"]))

    def _end(self) -> None:
        self.busy = False
        if self.mode is Mode.COMMAND:
            self._flush_urcs()

    def _execute(self, body: str) -> None:
        self._begin()
        try:
            self._execute_commands(body)
        finally:
            self._end()

    def _execute_commands(self, body: str) -> None:
        try:
            commands = atparser.parse_line(body)
        except AtSyntaxError:
            self._final(PlainError())
            return
        for position, command in enumerate(commands):
            try:
                result = self.run_command(command)
            except CommandError as error:
                self._mid_command_urc()
                self._final(error)
                return
            if isinstance(result, Prompt):
                if position != len(commands) - 1:
                    self._final(PlainError())
                    return
                self._enter_prompt(result)
                return
            if result:
                # One response: lines separated by a single CR LF, framed once (as +CMGR header and PDU).
                self._out(self.info_bytes("\r\n".join(result)))
        self._mid_command_urc()
        self._final(None)

    def run_command(self, command: Command) -> list[str] | Prompt:
        """Run one parsed command; returns info lines or a Prompt; raises CommandError."""
        name = command.name
        spec = REGISTRY.get(name)
        if spec is None and name.startswith("S") and name[1:].isdigit():
            spec = REGISTRY.get("S")
        if spec is None:
            raise PlainError()
        if spec.needs_sim and (self.sim.locked or self.sim.puk_locked):
            code = 12 if self.sim.puk_locked else 11
            if spec.sms:
                raise CmsError(316 if self.sim.puk_locked else 311)
            raise CmeError(code)
        return spec.handler(self, command)

    def _mid_command_urc(self) -> None:
        """The "urc" fault: a URC squeezed between a command's response and its final result code."""
        fault = self.faults.consume("urc")
        if fault is None:
            return
        from simulator.commands import sms_events  # noqa: PLC0415 - avoids an import cycle

        sms_events.inject_mid_command(self, str(fault.params["urc"]))
        self._flush_urcs()

    # ---------------------------------------------------------------- prompt

    def _enter_prompt(self, prompt: Prompt) -> None:
        if self._unplug_at("prompt"):
            return
        self.mode = Mode.PROMPT
        self.prompt = prompt
        self._prompt_buf.clear()
        self._out(b"\r\n> ")

    def _feed_prompt(self, byte: int) -> None:
        if byte == ESC:
            self._leave_prompt()
            self._final(None)
            self._flush_urcs()
            return
        if byte == CTRL_Z:
            data = bytes(self._prompt_buf)
            prompt = self.prompt
            self._leave_prompt()
            assert prompt is not None
            if self._unplug_at("answer"):
                return
            self._submit(prompt, data)
            return
        if self.settings.echo:
            self._out(bytes([byte]))
        if byte == 13 and prompt_is_text(self.prompt):
            # In text mode each carriage return starts a new line of the message, with a new prompt.
            self._out(b"\r\n> ")
            self._prompt_buf.extend(b"\n")
            return
        if len(self._prompt_buf) < MAX_PROMPT:
            self._prompt_buf.append(byte)

    def _leave_prompt(self) -> None:
        self.mode = Mode.COMMAND
        self.prompt = None
        self._prompt_buf.clear()

    def _submit(self, prompt: Prompt, data: bytes) -> None:
        from simulator.commands import sms_send  # noqa: PLC0415 - avoids an import cycle

        self._begin()
        try:
            lines = sms_send.submit(self, prompt, data)
        except CommandError as error:
            self._mid_command_urc()
            self._final(error)
        else:
            self._out(self.info_bytes("\r\n".join(lines)))
            self._mid_command_urc()
            self._final(None)
        finally:
            self._end()


def prompt_is_text(prompt: Prompt | None) -> bool:
    return prompt is not None and prompt.text_mode
