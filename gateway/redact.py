"""Secrets kept out of what people read: passwords in database URLs and SIM PINs.

Applied by the log formatter to every line, by the command line to every error, and by ``config check`` to what
it shows. Phone numbers are masked separately (``gateway.logs``), and only below DEBUG; secrets always.
"""

from __future__ import annotations

import re

MASK = "***"
# scheme://user:password@host… : the password is whatever lies between the user's colon and the "@".
_URL_PASSWORD = re.compile(r"(\b[A-Za-z][A-Za-z0-9+.-]*://[^\s:/@]*:)[^\s@/]+@")


def mask_passwords(text: str) -> str:
    """Every URL password in ``text`` replaced by ``***`` (``postgresql://vigi:***@db/vigi``)."""
    return _URL_PASSWORD.sub(lambda m: f"{m.group(1)}{MASK}@", text)


def mask_pin(pin: str | None) -> str | None:
    """A SIM PIN as it may be shown: never its digits."""
    return None if pin is None else MASK
