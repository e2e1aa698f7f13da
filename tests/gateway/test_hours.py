from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from gateway.dispatch.hours import DaytimeWindow
from gateway.dispatch.policy import SendPolicy
from gateway.dispatch.ratelimit import RateLimits
from gateway.outbox.models import Priority

# Saint-Martin is UTC-4 all year (no daylight saving time).
WINDOW = DaytimeWindow(time(8, 0), time(20, 0))


@pytest.mark.parametrize(
    ("utc", "expected"),
    [
        (datetime(2025, 3, 10, 11, 59, tzinfo=UTC), False),  # 07:59 local
        (datetime(2025, 3, 10, 12, 0, tzinfo=UTC), True),  # 08:00 local
        (datetime(2025, 3, 10, 23, 59, tzinfo=UTC), True),  # 19:59 local
        (datetime(2025, 3, 11, 0, 0, tzinfo=UTC), False),  # 20:00 local
        (datetime(2025, 7, 1, 12, 30, tzinfo=UTC), True),  # summer: still UTC-4
    ],
)
def test_is_daytime_in_marigot_time(utc: datetime, expected: bool) -> None:
    assert WINDOW.is_daytime(utc) is expected


def test_next_daytime_start() -> None:
    evening = datetime(2025, 3, 11, 1, 0, tzinfo=UTC)  # 21:00 local on the 10th
    assert WINDOW.next_daytime_start(evening) == datetime(2025, 3, 11, 12, 0, tzinfo=UTC)
    early = datetime(2025, 3, 11, 9, 0, tzinfo=UTC)  # 05:00 local on the 11th
    assert WINDOW.next_daytime_start(early) == datetime(2025, 3, 11, 12, 0, tzinfo=UTC)
    noon = datetime(2025, 3, 11, 16, 0, tzinfo=UTC)
    assert WINDOW.next_daytime_start(noon) == noon
    assert WINDOW.seconds_until_daytime(early) == 3 * 3600


def test_window_across_midnight() -> None:
    night = DaytimeWindow(time(22, 0), time(6, 0))
    assert night.is_daytime(datetime(2025, 3, 11, 3, 0, tzinfo=UTC))  # 23:00 local
    assert not night.is_daytime(datetime(2025, 3, 11, 16, 0, tzinfo=UTC))  # 12:00 local
    assert night.next_daytime_start(datetime(2025, 3, 11, 16, 0, tzinfo=UTC)) == datetime(2025, 3, 12, 2, 0, tzinfo=UTC)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        WINDOW.is_daytime(datetime(2025, 3, 11, 12, 0))


NIGHT = DaytimeWindow(time(22, 0), time(6, 0))  # a window across midnight: supported everywhere


@pytest.mark.parametrize(
    ("utc", "inside", "next_start"),
    [
        (datetime(2025, 3, 11, 1, 59, tzinfo=UTC), False, datetime(2025, 3, 11, 2, 0, tzinfo=UTC)),  # 21:59 local
        (datetime(2025, 3, 11, 2, 0, tzinfo=UTC), True, None),  # 22:00 local
        (datetime(2025, 3, 11, 7, 0, tzinfo=UTC), True, None),  # 03:00 local, the next day
        (datetime(2025, 3, 11, 9, 59, tzinfo=UTC), True, None),  # 05:59 local
        (datetime(2025, 3, 11, 10, 0, tzinfo=UTC), False, datetime(2025, 3, 12, 2, 0, tzinfo=UTC)),  # 06:00 local
    ],
)
def test_window_across_midnight_table(utc: datetime, inside: bool, next_start: datetime | None) -> None:
    assert NIGHT.is_daytime(utc) is inside
    assert NIGHT.next_daytime_start(utc) == (next_start or utc)
    policy = SendPolicy(RateLimits({}), NIGHT)
    assert (Priority.REMINDER in policy.allowed_priorities(utc)) is inside
    assert Priority.ALERT in policy.allowed_priorities(utc)


def test_an_empty_window_is_refused_with_one_message() -> None:
    with pytest.raises(ValueError, match="daytime_start et daytime_end sont égales"):
        DaytimeWindow(time(8, 0), time(8, 0))
