"""When console sign-ins are refused after repeated failures. Pure: the caller passes the failures and the time.

Five refused sign-ins within fifteen minutes lock the name typed, and separately the address they came from, for
fifteen minutes after the fifth. Attempts made while locked are refused without checking the password and are not
counted, so that the lock ends when it says it ends (a guesser cannot keep a name locked forever from one address
faster than one failure per three minutes once the lock lifts, and nothing is learnt while it holds).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)
LOCKOUT = timedelta(minutes=15)
# How far back the failures that can still matter go: a lock starts at most WINDOW after the first failure it
# counts and lasts LOCKOUT.
LOOKBACK = WINDOW + LOCKOUT


def locked_until(
    failures: Iterable[datetime],
    now: datetime,
    *,
    limit: int = MAX_FAILURES,
    window: timedelta = WINDOW,
    lockout: timedelta = LOCKOUT,
) -> datetime | None:
    """The end of the lock in force at ``now`` given these failure times (any order), or None when not locked.

    A lock starts at a failure that is the ``limit``-th within ``window`` (itself included) and lasts
    ``lockout``."""
    times = sorted(failures)
    until: datetime | None = None
    for i in range(limit - 1, len(times)):
        if times[i] - times[i - limit + 1] <= window:
            end = times[i] + lockout
            if until is None or end > until:
                until = end
    return until if until is not None and until > now else None
