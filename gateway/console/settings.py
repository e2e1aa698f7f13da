"""What the web console reads from the configuration: the ``[console]`` section."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True, slots=True)
class ConsoleSettings:
    """``idle_timeout``: a session without a page opened or a form sent for this long is over (12 h by default,
    one night shift). A reload applies a change to the next request."""

    idle_timeout: timedelta = timedelta(hours=12)
