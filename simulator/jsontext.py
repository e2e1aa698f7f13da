"""JSON text that UTF-8 can carry, for the JSONL log and the control interface.

One segment of a UCS-2 message may hold half of a surrogate pair (an emoji split across two segments by a
client that does not avoid it). Such a half cannot be encoded in UTF-8, so a record holding one is written with
``\\uXXXX`` escapes, which JSON allows and ``json.loads`` reads back as the same half.
"""

from __future__ import annotations

import json
from typing import Any


def dumps(value: Any) -> str:
    """``json.dumps`` with readable non-ASCII text, escaped only when a lone surrogate forces it."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(value, ensure_ascii=True, default=str)
    return text
