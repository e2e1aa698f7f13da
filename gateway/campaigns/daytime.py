"""Local dates and daytime hours (the station's time zone, America/Marigot): pure functions of ``now``."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from gateway.dispatch.hours import DaytimeWindow


def local_today(now: datetime, hours: DaytimeWindow) -> date:
    """The station's calendar date at ``now``: registrations expire on local dates, not UTC ones."""
    return now.astimezone(hours.tz).date()


def end_of_local_day(day: date, hours: DaytimeWindow) -> datetime:
    """Midnight after ``day``, local time, in UTC."""
    return datetime.combine(day + timedelta(days=1), time(0), hours.tz).astimezone(UTC)
