"""Splitting one AT command line into commands, as ITU-T V.250 terminals do.

Pure functions, no state: the modem hands over the text between ``AT`` and the carriage return, and gets
back a list of :class:`Command`. Rules followed (V.250 §5.2-5.4, and what USB modems actually accept):

* the ``AT`` prefix is case-insensitive, and so are command names;
* spaces are ignored outside double quotes;
* basic commands (``E0``, ``V1``, ``Q0``, ``Z``, ``I``, ``&F``, ``S0=0``, ``S3?``) may follow each other
  without separator; an extended command (``+CMGF=0``, ``^SYSINFO``) runs until ``;`` or the end of line,
  so ``AT+CMGF=0;+CSCS="GSM";E0`` is three commands;
* ``D`` (dial) swallows the rest of the line.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

#: Longest command line accepted, in characters after "AT" (V.250 requires at least 40; modems take ~560).
MAX_LINE = 560

#: Extended command names start with one of these characters (V.250 §5.4.1; ^ and % are vendor prefixes).
EXTENDED_PREFIXES = "+^%$*#!"

#: Basic commands that take no number but may be followed directly by the next command.
_BASIC_LETTERS = "ABEHILMOPQTVXZ"
_AMPERSAND_LETTERS = "CDFKSVWY"


class Kind(Enum):
    """How a command was written: ``+X`` (action), ``+X=...`` (set), ``+X?`` (read), ``+X=?`` (test)."""

    EXEC = "exec"
    SET = "set"
    READ = "read"
    TEST = "test"


class AtSyntaxError(ValueError):
    """The command line cannot be split: a modem answers ERROR and runs none of it."""


@dataclass(frozen=True)
class Command:
    """One command: ``name`` upper-cased (``+CMGS``, ``E``, ``&F``, ``S7``, ``D``), ``args`` raw text."""

    name: str
    kind: Kind
    args: str = ""

    def params(self) -> list[str]:
        """The comma-separated parameters of a SET command, quotes kept, empty strings for omitted ones."""
        return split_params(self.args)


def strip_spaces(text: str) -> str:
    """Remove spaces outside double quotes (V.250: the DCE ignores them)."""
    out: list[str] = []
    quoted = False
    for char in text:
        if char == '"':
            quoted = not quoted
        if char == " " and not quoted:
            continue
        out.append(char)
    return "".join(out)


def split_params(args: str) -> list[str]:
    """Split on commas outside quotes; ``1,,3`` -> ``["1", "", "3"]``."""
    if args == "":
        return []
    out: list[str] = []
    current: list[str] = []
    quoted = False
    for char in args:
        if char == '"':
            quoted = not quoted
        if char == "," and not quoted:
            out.append("".join(current))
            current = []
        else:
            current.append(char)
    if quoted:
        raise AtSyntaxError("unbalanced quotes")
    out.append("".join(current))
    return out


def unquote(param: str) -> str:
    """``"SM"`` -> ``SM``; raises AtSyntaxError when the value is not a quoted string."""
    if len(param) >= 2 and param[0] == '"' and param[-1] == '"':
        return param[1:-1]
    raise AtSyntaxError(f"expected a quoted string, got {param!r}")


def parse_int(param: str, low: int, high: int) -> int:
    """A decimal parameter within [low, high]; AtSyntaxError otherwise."""
    if not param.isdigit() or not param.isascii():
        raise AtSyntaxError(f"expected a number, got {param!r}")
    value = int(param)
    if not low <= value <= high:
        raise AtSyntaxError(f"{value} outside {low}-{high}")
    return value


def _extended(body: str, pos: int) -> tuple[Command, int]:
    end = pos + 1
    quoted = False
    while end < len(body):
        char = body[end]
        if char == '"':
            quoted = not quoted
        elif char == ";" and not quoted:
            break
        end += 1
    if quoted:
        raise AtSyntaxError("unbalanced quotes")
    text = body[pos:end]
    next_pos = end + 1 if end < len(body) else end
    name_end = 1
    while name_end < len(text) and (text[name_end].isalnum() or text[name_end] in "_-."):
        name_end += 1
    name = text[:name_end].upper()
    if len(name) < 2:
        raise AtSyntaxError(f"empty extended command name in {text!r}")
    rest = text[name_end:]
    if rest == "":
        return Command(name, Kind.EXEC), next_pos
    if rest == "?":
        return Command(name, Kind.READ), next_pos
    if rest == "=?":
        return Command(name, Kind.TEST), next_pos
    if rest.startswith("="):
        return Command(name, Kind.SET, rest[1:]), next_pos
    raise AtSyntaxError(f"bad extended command {text!r}")


def _number(body: str, pos: int) -> tuple[str, int]:
    end = pos
    while end < len(body) and body[end].isdigit():
        end += 1
    return body[pos:end], end


def _basic(body: str, pos: int) -> tuple[Command, int]:
    char = body[pos].upper()
    if char == "D":
        # Dial takes everything up to the end of the line, ';' included (voice call marker).
        return Command("D", Kind.SET, body[pos + 1 :]), len(body)
    if char == "S":
        digits, end = _number(body, pos + 1)
        if not digits:
            raise AtSyntaxError("S without register number")
        name = f"S{int(digits)}"
        if end < len(body) and body[end] == "?":
            return Command(name, Kind.READ), end + 1
        if end < len(body) and body[end] == "=":
            value, after = _number(body, end + 1)
            return Command(name, Kind.SET, value or "0"), after
        raise AtSyntaxError(f"bad S-register access at {pos}")
    if char == "&":
        if pos + 1 >= len(body) or body[pos + 1].upper() not in _AMPERSAND_LETTERS:
            raise AtSyntaxError("bad & command")
        digits, end = _number(body, pos + 2)
        return Command("&" + body[pos + 1].upper(), Kind.SET if digits else Kind.EXEC, digits), end
    if char in _BASIC_LETTERS:
        digits, end = _number(body, pos + 1)
        return Command(char, Kind.SET if digits else Kind.EXEC, digits), end
    raise AtSyntaxError(f"unknown basic command {body[pos]!r}")


def parse_line(body: str) -> list[Command]:
    """Split the text that followed ``AT`` into commands; raises AtSyntaxError on anything malformed.

    An empty body (plain ``AT``) gives an empty list, which the modem answers with OK.
    """
    if len(body) > MAX_LINE:
        raise AtSyntaxError("line too long")
    body = strip_spaces(body)
    commands: list[Command] = []
    pos = 0
    while pos < len(body):
        char = body[pos]
        if char == ";":
            # A stray separator between commands is tolerated, as most modems do.
            pos += 1
            continue
        if char in EXTENDED_PREFIXES:
            command, pos = _extended(body, pos)
        else:
            command, pos = _basic(body, pos)
        commands.append(command)
    return commands
