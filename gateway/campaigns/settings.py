"""What the re-registration campaigns and the daily job read; built from the ``[campaigns]`` section."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time


@dataclass(frozen=True, slots=True)
class CampaignSettings:
    """``reminder_days``: reminders this many days before a registration ends; ``daily_job_time``: local time
    of the daily job (expiries, reminders, purge); ``retention_days``: how long sent messages and replies are
    kept before the purge."""

    reminder_days: tuple[int, ...] = (60, 30, 7)
    daily_job_time: time = time(6, 0)
    retention_days: int = 365
