"""What the inbox reads; built from the ``[inbox]`` section of the configuration."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True, slots=True)
class InboxSettings:
    """``incomplete_after``: a concatenated reply still missing parts after this long goes to the inbox as it
    is, each gap marked."""

    incomplete_after: timedelta = timedelta(minutes=30)
