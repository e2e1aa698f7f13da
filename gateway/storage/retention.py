"""Which backups to keep: a pure rule over the backups' times, and the file names that carry those times.

The rule is restic's ``--keep-daily N --keep-weekly M``: keep the newest backup of each of the N most recent days
that have a backup, and the newest backup of each of the M most recent ISO weeks that have one (a backup may
count for both). Counting days that *have* backups, rather than calendar days, means a station switched off for
a month comes back with its last two weeks of backups intact instead of none. The newest backup is always kept.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime

PREFIX = "vigicommerce-"
_NAME = re.compile(r"^vigicommerce-(\d{8}T\d{6}Z)\.(db|dump)$")


@dataclass(frozen=True)
class Retention:
    daily: int = 14
    weekly: int = 8

    def __post_init__(self) -> None:
        if self.daily < 1 or self.weekly < 0:
            raise ValueError("keep at least one daily backup, and zero or more weekly ones")


def to_keep(times: Iterable[datetime], retention: Retention, day_of: Callable[[datetime], date]) -> set[datetime]:
    """The backup times to keep; ``day_of`` gives a time's calendar day (the station's local day)."""
    newest_first = sorted(set(times), reverse=True)
    kept: set[datetime] = set(newest_first[:1])
    for bucket, count in ((day_of, retention.daily), (lambda t: day_of(t).isocalendar()[:2], retention.weekly)):
        kept |= _newest_per_bucket(newest_first, bucket, count)
    return kept


def _newest_per_bucket(
    newest_first: list[datetime], bucket: Callable[[datetime], Hashable], count: int
) -> set[datetime]:
    seen: set[Hashable] = set()
    kept: set[datetime] = set()
    for moment in newest_first:
        key = bucket(moment)
        if key in seen:
            continue
        if len(seen) == count:
            break
        seen.add(key)
        kept.add(moment)
    return kept


def file_name(moment: datetime, suffix: str) -> str:
    """``vigicommerce-20250301T071500Z.db`` (UTC, sortable, no characters a shell or a USB stick dislikes)."""
    return f"{PREFIX}{moment.astimezone(UTC):%Y%m%dT%H%M%SZ}.{suffix}"


def time_of(name: str) -> datetime | None:
    """The time a backup file's name carries; None for any other file (which retention never touches)."""
    match = _NAME.match(name)
    if match is None:
        return None
    return datetime.strptime(match[1], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
