"""The sign-in lock rule (gateway.auth.throttle), by table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gateway.auth.throttle import locked_until

T0 = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)


def at(*minutes: float) -> list[datetime]:
    return [T0 + timedelta(minutes=m) for m in minutes]


@pytest.mark.parametrize(
    ("failures", "now", "until"),
    [
        ([], 0, None),
        (at(0, 1, 2, 3), 4, None),  # four failures: not locked
        (at(0, 1, 2, 3, 4), 4, 19),  # the fifth locks for 15 minutes after it
        (at(0, 1, 2, 3, 4), 18.9, 19),
        (at(0, 1, 2, 3, 4), 19, None),  # over at 19
        (at(0, 4, 8, 12, 15), 15, 30),  # five within 15 minutes exactly
        (at(0, 4, 8, 12, 15.5), 15.5, None),  # the first fell out of the window
        (at(4, 3, 2, 1, 0), 5, 19),  # any order
        (at(0, 1, 2, 3, 4, 20, 21, 22, 23), 23, None),  # after a lock, counting starts again
        (at(0, 1, 2, 3, 4, 20, 21, 22, 23, 24), 24, 39),  # and five more lock again
        (at(0, 1, 2, 3, 4, 5, 6), 6, 21),  # (attempts while locked are not stored; if they were, the lock grows)
    ],
)
def test_locked_until(failures: list[datetime], now: float, until: float | None) -> None:
    expected = None if until is None else T0 + timedelta(minutes=until)
    assert locked_until(failures, T0 + timedelta(minutes=now)) == expected
