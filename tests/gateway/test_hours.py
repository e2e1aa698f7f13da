from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from gateway.dispatch.hours import DaytimeWindow

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
