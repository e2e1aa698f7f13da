"""Daytime hours for low-priority traffic (reminders), in local time; alerts ignore them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

MARIGOT = ZoneInfo("America/Marigot")


@dataclass(frozen=True)
class DaytimeWindow:
    """``[start, end)`` each local day, in the station's time zone ``tz`` (the ``[hours]`` section).

    ``start > end`` is a window across midnight (e.g. 22:00-06:00): every rule that reads the window (the workers'
    hold on reminders, the reminders' expiry check) goes through :meth:`is_daytime` and
    :meth:`next_daytime_start`, which both handle it. Only an empty window is refused, here, so that the
    configuration check and the code share one message."""

    start: time = time(8, 0)
    end: time = time(20, 0)
    tz: ZoneInfo = field(default=MARIGOT)

    def __post_init__(self) -> None:
        if self.start == self.end:
            raise ValueError(
                "daytime_start et daytime_end sont égales : la fenêtre de jour serait vide ; donnez deux heures "
                "différentes, par exemple 08:00:00 et 20:00:00 (une fenêtre peut passer minuit : 22:00:00 et 06:00:00)"
            )

    def is_daytime(self, now: datetime) -> bool:
        """Whether ``now`` (an aware datetime) falls inside the window, in local time."""
        local = _local(now, self.tz).time().replace(tzinfo=None)
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def next_daytime_start(self, now: datetime) -> datetime:
        """``now`` itself when inside the window, else the next local start, returned in UTC."""
        if self.is_daytime(now):
            return now
        local = _local(now, self.tz)
        candidate = datetime.combine(local.date(), self.start, tzinfo=self.tz)
        if candidate <= local:
            candidate = datetime.combine(local.date() + timedelta(days=1), self.start, tzinfo=self.tz)
        return candidate.astimezone(UTC)

    def seconds_until_daytime(self, now: datetime) -> float:
        return (self.next_daytime_start(now) - now).total_seconds()


def _local(now: datetime, tz: ZoneInfo) -> datetime:
    if now.tzinfo is None:
        raise ValueError("pass an aware datetime")
    return now.astimezone(tz)
