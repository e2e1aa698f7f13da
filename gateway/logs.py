"""Logging for journald: one line per event on stderr, ``key=value`` fields, phone numbers masked.

journald adds the timestamp and the unit, so a line is ``level=info event=sent modem=m1 to="+33 6 39 98 ** 12"``.
Numbers are masked unless the level is DEBUG: logs travel further than the database does. Passwords in URLs are
masked at every level (``gateway.redact``).
"""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

from gateway.redact import mask_passwords

# E.164 numbers as the gateway writes them (+ and 8 to 15 digits), not inside longer digit runs.
_E164 = re.compile(r"(?<![\d+])\+(\d{8,15})(?!\d)")


def mask_number(e164: str) -> str:
    """``+33639981234`` → ``+33 6 39 98 ** 34``: enough to tell numbers apart in a log, not to dial one."""
    match = _E164.fullmatch(e164)
    if not match:
        return "***"
    digits = match.group(1)
    cc_len = 1 if digits[0] in "17" else 3 if digits[:3] in {"590", "594", "596", "262", "687", "689"} else 2
    cc, rest = digits[:cc_len], digits[cc_len:]
    head = rest[:-4]
    groups = [head[:1]] + [head[i : i + 2] for i in range(1, len(head), 2)] if head else []
    return " ".join(["+" + cc, *[g for g in groups if g], "**", rest[-2:]])


def mask_numbers(text: str) -> str:
    return _E164.sub(lambda m: mask_number(m.group(0)), text)


def _quote(value: Any) -> str:
    text = str(value)
    if text == "" or any(c in text for c in ' ="\n\t'):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    return text


class KeyValueFormatter(logging.Formatter):
    """``level=… logger=… event=… k=v …``; fields come from ``extra={"fields": {...}}``."""

    def __init__(self, *, mask: bool) -> None:
        super().__init__()
        self.mask = mask

    def _value(self, value: Any) -> str:
        # Mask before quoting: a masked number contains spaces and must then be quoted. Passwords always.
        text = mask_passwords(str(value))
        return _quote(mask_numbers(text) if self.mask else text)

    def format(self, record: logging.LogRecord) -> str:
        parts = [
            f"level={record.levelname.lower()}",
            f"logger={record.name}",
            f"event={self._value(record.getMessage())}",
        ]
        fields = getattr(record, "fields", None) or {}
        parts += [f"{key}={self._value(value)}" for key, value in fields.items()]
        if record.exc_info:
            parts.append(f"exc={self._value(self.formatException(record.exc_info))}")
        return " ".join(parts)


def configure(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(KeyValueFormatter(mask=level != "DEBUG"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # uvicorn's access log repeats what our API logs; APScheduler says "job executed" every minute and our
    # jobs log what they did: keep their warnings and errors.
    for chatty in ("uvicorn.access", "apscheduler"):
        logging.getLogger(chatty).setLevel(logging.WARNING if level != "DEBUG" else logging.DEBUG)


def event(logger: logging.Logger, message: str, level: int = logging.INFO, **fields: Any) -> None:
    """Log one event with structured fields: ``event(log, "sent", modem="m1", to=number)``."""
    logger.log(level, message, extra={"fields": fields})
