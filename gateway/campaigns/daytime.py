"""Local dates and daytime hours (America/Marigot): pure functions of ``now``."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from gateway.dispatch.hours import DaytimeWindow
from gateway.settings import HoursSettings


def local_today(now: datetime, hours: HoursSettings) -> date:
    """The station's calendar date at ``now``: registrations expire on local dates, not UTC ones."""
    return now.astimezone(ZoneInfo(hours.timezone)).date()


def daytime_not_before(now: datetime, hours: HoursSettings) -> datetime | None:
    """None during daytime hours, else the next daytime start (UTC).

    The dispatcher enforces daytime for reminders anyway; setting ``not_before`` keeps night-queued
    reminders out of its way and makes "not before 08:00" visible on the row.
    """
    start = DaytimeWindow.from_config(hours).next_daytime_start(now)
    return None if start == now else start


def end_of_local_day(day: date, hours: HoursSettings) -> datetime:
    """Midnight after ``day``, local time, in UTC."""
    return datetime.combine(day + timedelta(days=1), time(0), ZoneInfo(hours.timezone)).astimezone(UTC)
