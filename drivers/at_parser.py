"""AT response parser: bytes in, command responses and unsolicited result codes out. Pure.

GSM modems interleave unsolicited result codes (URCs: ``+CMTI``, ``+CDS``, ``^RSSI`` ...) with
the answers to commands. A line is part of the pending command's answer when it carries that
command's own prefix (``+CMGS:`` for ``AT+CMGS``, ``+CREG:`` for ``AT+CREG?``); otherwise a
line listed in ``URC_TABLE`` is an URC, whenever it arrives; anything else belongs to the pending
command, or, with no command pending, is reported as an unknown URC. Undecodable bytes are
reported as ``Garbage`` and skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Name -> number of lines, the header included (+CMT/+CDS/+CBM carry the PDU on a second line).
URC_TABLE: dict[str, int] = {
    "+CMTI": 1,
    "+CMT": 2,
    "+CDS": 2,
    "+CDSI": 1,
    "+CBM": 2,
    "+CBMI": 1,
    "+CREG": 1,
    "+CGREG": 1,
    "+CEREG": 1,
    "+CUSD": 1,
    "+CLIP": 1,
    "+CRING": 1,
    "+CCWA": 1,
    "+CSSI": 1,
    "+CSSU": 1,
    "+CIEV": 1,
    "+CPIN": 1,
    "+PACSP": 1,
    "+PACSP0": 1,
    "+PACSP1": 1,
    "+QIND": 1,
    "+CTZV": 1,
    "+CTZE": 1,
    "+NITZ": 1,
    "+QUSIM": 1,
    "+CFUN": 1,
    "RING": 1,
    "NO CARRIER": 1,
    "RDY": 1,
    "SMS Ready": 1,
    "Call Ready": 1,
    "^RSSI": 1,
    "^HCSQ": 1,
    "^BOOT": 1,
    "^MODE": 1,
    "^SRVST": 1,
    "^SIMST": 1,
    "^SYSSTART": 1,
    "^DSFLOWRPT": 1,
    "^CEND": 1,
    "^ORIG": 1,
    "^CONF": 1,
    "^CONN": 1,
    "^STIN": 1,
    "^NDISSTAT": 1,
    "^EONS": 1,
    "^NWTIME": 1,
    "^TIME": 1,
    "^ACTIVEBAND": 1,
    # Not URCs by nature: a +CMGS outside AT+CMGS is the late answer of a submit that timed out.
    "+CMGS": 1,
}

_FINAL_OK = frozenset({"OK"})
_FINAL_ERROR = frozenset(
    {"ERROR", "NO CARRIER", "BUSY", "NO ANSWER", "NO DIALTONE", "COMMAND NOT SUPPORT", "TOO MANY PARAMETERS"}
)
_CODE_ERROR = re.compile(r"^\+(CME|CMS) ERROR:\s*(.*)$")
_COMMAND_PREFIX = re.compile(r"^AT([+^][A-Z0-9]+)", re.IGNORECASE)
_LINE_SPLIT = re.compile(rb"[\r\n]+")


@dataclass(frozen=True)
class Urc:
    """An unsolicited result: ``name`` from ``URC_TABLE`` (or the raw header for unknown ones)."""

    name: str
    lines: tuple[str, ...]
    known: bool = True


@dataclass(frozen=True)
class Response:
    """The answer to a command: its information lines and the final result code."""

    command: str
    lines: tuple[str, ...]
    final: str
    ok: bool
    kind: str | None = None  # "CME" / "CMS" for +CME/+CMS ERROR
    code: int | None = None


@dataclass(frozen=True)
class Prompt:
    """The ``> `` prompt of AT+CMGS: the PDU may now be written."""


@dataclass(frozen=True)
class Garbage:
    """Bytes that are not printable ASCII; they were dropped from the line they came in."""

    data: bytes


ParserOutput = Urc | Response | Prompt | Garbage


def urc_name(line: str) -> str:
    """``"+CMTI: \\"SM\\",3"`` -> ``"+CMTI"``; lines without a ``+``/``^`` prefix are their own name."""
    if line[:1] in "+^":
        return line.split(":", 1)[0].strip()
    return line.strip()


def command_prefix(command: str) -> str | None:
    """The prefix of the information lines that answer ``command`` (``AT+CSQ`` -> ``+CSQ``)."""
    match = _COMMAND_PREFIX.match(command.strip())
    return match.group(1).upper() if match else None


@dataclass
class AtParser:
    """Assembles lines into ``Response``/``Urc`` values. Feed it bytes as they come from the port.

    Call ``begin(command)`` before writing a command and ``abandon()`` when its caller gave up
    (timeout), so that a late answer is not taken for the next command's.
    """

    _buffer: bytes = b""
    _command: str | None = None
    _prefix: str | None = None
    _expect_prompt: bool = False
    _lines: list[str] = field(default_factory=list)
    _echo: set[str] = field(default_factory=set)
    _continuation: tuple[str, list[str], int] | None = None
    _swallow_final: bool = False

    @property
    def pending(self) -> str | None:
        """The command awaiting its final result, if any."""
        return self._command

    def begin(self, command: str, *, expect_prompt: bool = False) -> None:
        """A command is about to be written; its echo (if echo is on) will be skipped."""
        self._command = command
        self._prefix = command_prefix(command)
        self._expect_prompt = expect_prompt
        self._lines = []
        self._echo = {command.strip().upper()}

    def sent_payload(self, payload: str) -> None:
        """The PDU was written after the prompt: skip its echo, and wait for the final result."""
        self._expect_prompt = False
        self._echo.add(payload.strip().upper())

    def abandon(self) -> None:
        """Forget the pending command (its caller timed out); later stray finals are dropped."""
        self._command = None
        self._prefix = None
        self._expect_prompt = False
        self._lines = []
        self._echo = set()

    def reset(self) -> None:
        """Drop every partial state, e.g. when the port is reopened."""
        self.abandon()
        self._buffer = b""
        self._continuation = None
        self._swallow_final = False

    def feed(self, data: bytes) -> list[ParserOutput]:
        """Consume bytes; return what they completed, in order."""
        out: list[ParserOutput] = []
        self._buffer += data
        *complete, self._buffer = _LINE_SPLIT.split(self._buffer)
        for raw in complete:
            if raw:
                self._feed_raw(raw, out)
        # The prompt has no line terminator: "\r\n> " ends a read with the buffer holding "> ".
        if self._expect_prompt and self._buffer.strip() == b">":
            self._buffer = b""
            self._expect_prompt = False
            out.append(Prompt())
        return out

    def _feed_raw(self, raw: bytes, out: list[ParserOutput]) -> None:
        clean = bytes(b for b in raw if 0x20 <= b < 0x7F)
        if len(clean) != len(raw):
            out.append(Garbage(raw))
        line = clean.decode("ascii").strip()
        if line:
            out.extend(self.feed_line(line))

    def feed_line(self, line: str) -> list[ParserOutput]:  # noqa: PLR0911 - one early return per line kind
        """Consume one complete, decoded line (without its terminator)."""
        if self._continuation is not None:
            name, lines, remaining = self._continuation
            lines.append(line)
            if remaining <= 1:
                self._continuation = None
                return [Urc(name, tuple(lines))]
            self._continuation = (name, lines, remaining - 1)
            return []
        if self._command is not None and line.upper() in self._echo:
            return []
        final = self._final(line)
        if final is not None:
            return self._finish(line, *final)
        name = urc_name(line)
        if self._command is not None and self._prefix is not None and name.upper() == self._prefix:
            self._lines.append(line)
            return []
        if name in URC_TABLE:
            if name == "+CMGS":
                self._swallow_final = True  # the OK that follows a late +CMGS is its own
            if URC_TABLE[name] > 1:
                self._continuation = (name, [line], URC_TABLE[name] - 1)
                return []
            return [Urc(name, (line,))]
        if self._command is not None:
            self._lines.append(line)
            return []
        return [Urc(name, (line,), known=False)]

    @staticmethod
    def _final(line: str) -> tuple[bool, str | None, int | None] | None:
        if line in _FINAL_OK:
            return True, None, None
        if line in _FINAL_ERROR:
            return False, None, None
        match = _CODE_ERROR.match(line)
        if match:
            value = match.group(2).strip()
            return False, match.group(1), int(value) if value.isdigit() else None
        return None

    def _finish(self, line: str, ok: bool, kind: str | None, code: int | None) -> list[ParserOutput]:
        if self._swallow_final:
            self._swallow_final = False
            return []
        if self._command is None:
            return []  # stray final of an abandoned command
        response = Response(self._command, tuple(self._lines), line, ok, kind, code)
        self.abandon()
        return [response]
