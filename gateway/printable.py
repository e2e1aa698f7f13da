"""Only printable text reaches a phone: the one check every text entry calls before anything is stored.

Refused, wherever the text comes from (JSON ``/alerts`` and ``/messages``, CAP, the CLI, operational messages,
campaign texts, the outbox itself as the last line of defence):

* C0 controls (U+0000-U+001F) except LF; CR and CRLF are not refused but become LF (a phone shows a line
  break either way, and one form keeps previews and segment counts exact);
* DEL (U+007F) and the C1 controls (U+0080-U+009F);
* lone UTF-16 surrogates (U+D800-U+DFFF), which JSON can carry and no phone can show;
* non-characters (U+FDD0-U+FDEF and the last two code points of every plane, U+FFFE/U+FFFF ...);
* bidirectional overrides and isolates (U+202A-U+202E, U+2066-U+2069): a text that displays in another order
  than it is stored (an override makes "egassem" read "message") must not pass for what was previewed.

The error names the character (code point and name) and its position (1-based, in the text as given), in
French, for the operator who typed it.
"""

from __future__ import annotations

import re
import unicodedata

_C0 = "NUL SOH STX ETX EOT ENQ ACK BEL BS TAB LF VT FF CR SO SI DLE DC1 DC2 DC3 DC4 NAK SYN ETB CAN EM SUB ESC FS GS"
_C0_NAMES = (_C0 + " RS US").split()
_BIDI = frozenset(range(0x202A, 0x202F)) | frozenset(range(0x2066, 0x206A))
_PLANE_ENDS = "".join(f"{chr(plane << 16 | 0xFFFE)}{chr(plane << 16 | 0xFFFF)}" for plane in range(17))
# The same set as ``refusal`` (a test compares them over every code point), CR aside; searched in C, so the
# check costs microseconds even for the 10,000 rows of a fan-out.
_FORBIDDEN = re.compile(
    "[\x00-\x09\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\u202a-\u202e\u2066-\u2069" + _PLANE_ENDS + "]"
)


class UnprintableTextError(ValueError):
    """A character that must not reach a phone. ``position`` is 1-based; ``field`` names the input, if known."""

    def __init__(self, char: str, position: int, reason: str, field: str | None = None) -> None:
        self.char = char
        self.position = position
        self.reason = reason
        self.field = field
        # The field is not in the message: each face names it its own way (a JSON field, a CLI option).
        super().__init__(
            f"caractère interdit en position {position} : {describe(char)} ({reason}) ; "
            "retirez-le ou retapez ce passage du texte"
        )


def describe(char: str) -> str:
    """``U+0000 NUL``, ``U+202E RIGHT-TO-LEFT OVERRIDE``: the code point and a name a technician can look up."""
    code = ord(char)
    name = _C0_NAMES[code] if code < 0x20 else "DEL" if code == 0x7F else unicodedata.name(char, "")
    return f"U+{code:04X} {name}".rstrip()


def refusal(char: str) -> str | None:
    """Why ``char`` may not be sent (in French), or None when it is printable. Pure; table-tested."""
    code = ord(char)
    if code == 0x0A:
        return None
    if code < 0x20 or 0x7F <= code <= 0x9F:
        return "caractère de contrôle"
    if 0xD800 <= code <= 0xDFFF:
        return "moitié de paire UTF-16 isolée"
    if 0xFDD0 <= code <= 0xFDEF or code & 0xFFFE == 0xFFFE:
        return "non-caractère Unicode"
    if code in _BIDI:
        return "contrôle de direction du texte"
    return None


def printable(text: str, field: str | None = None) -> str:
    """``text`` with CRLF and CR turned into LF; raises :class:`UnprintableTextError` at the first forbidden
    character (position counted in ``text`` as given)."""
    found = _FORBIDDEN.search(text)
    if found is not None:
        char = found.group()
        raise UnprintableTextError(char, found.start() + 1, refusal(char) or "", field)
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text
