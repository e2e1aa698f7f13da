from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.dispatch.ratelimit import ModemLimits, RateLimits, TokenBucket


def test_bucket_starts_full_then_refills_at_its_rate() -> None:
    bucket = TokenBucket(3, 1.0)
    assert [bucket.try_take(100.0) for _ in range(4)] == [True, True, True, False]
    assert bucket.wait_time(100.0) == pytest.approx(1.0)
    assert not bucket.try_take(100.5)
    assert bucket.try_take(101.0)
    assert bucket.wait_time(101.0, 2) == pytest.approx(2.0)
    assert bucket.wait_time(101.0, 4) == math.inf


def test_bucket_never_exceeds_capacity_and_ignores_a_clock_going_back() -> None:
    bucket = TokenBucket(2, 10.0, now=0.0)
    assert bucket.tokens(1000.0) == 2
    assert bucket.try_take(1000.0, 2)
    assert bucket.tokens(900.0) == 0  # monotonic clocks do not go back; if one did, no free tokens


@given(st.lists(st.floats(min_value=0, max_value=5), min_size=1, max_size=60))
def test_bucket_never_allows_more_than_capacity_plus_refill(gaps: list[float]) -> None:
    bucket = TokenBucket(5, 0.5)
    now, taken = 0.0, 0
    for gap in gaps:
        now += gap
        taken += bucket.try_take(now)
    assert taken <= 5 + 0.5 * now + 1e-6


def test_per_minute_and_overall_limits_combine() -> None:
    limits = RateLimits(
        {"m1": ModemLimits(per_minute=2), "m2": ModemLimits(per_minute=2)}, overall=ModemLimits(per_minute=3)
    )
    assert limits.try_take("m1", 0.0)
    assert limits.try_take("m1", 0.0)
    assert not limits.try_take("m1", 0.0), "m1 used its minute"
    assert limits.try_take("m2", 0.0)
    assert not limits.try_take("m2", 0.0), "the overall limit is reached although m2 has one left"
    assert limits.available("m2", 0.0) == 0
    assert limits.wait_time("m2", 0.0) == pytest.approx(20.0)  # overall refills 3/min
    assert limits.try_take("m2", 20.0)
    with pytest.raises(KeyError):
        limits.wait_time("unknown", 0.0)


def test_a_refused_take_takes_nothing() -> None:
    limits = RateLimits({"m": ModemLimits(per_minute=10, per_hour=3)})
    assert limits.try_take("m", 0.0, 3)
    assert not limits.try_take("m", 0.0, 1)
    assert limits.available("m", 0.0) == 0
    assert limits.wait_time("m", 0.0) == pytest.approx(1200.0)  # 3 per hour: one every 20 minutes


def test_day_limit() -> None:
    limits = RateLimits({"m": ModemLimits(per_day=2)})
    assert limits.try_take("m", 0.0, 2)
    assert limits.wait_time("m", 0.0) == pytest.approx(43200.0)


def test_a_lowered_limit_keeps_what_was_used() -> None:
    """A reload that lowers 20/min to 5/min while the SIM just sent 18: nothing more until the minute passes."""
    limits = RateLimits({"m0": ModemLimits(per_minute=20), "m1": ModemLimits(per_minute=20)})
    for _ in range(18):
        assert limits.try_take("m0", 0.0)
    limits.update({"m0": ModemLimits(per_minute=5), "m1": ModemLimits(per_minute=20)}, None, now=0.0)
    assert limits.available("m0", 0.0) == 2  # min(what was left, the new capacity)
    assert limits.try_take("m0", 0.0, 2) and not limits.try_take("m0", 0.0)
    assert limits.wait_time("m0", 0.0) == pytest.approx(12.0)  # the new refill rate: 5 per minute
    assert limits.available("m1", 0.0) == 20  # unchanged limits keep their buckets


def test_a_raised_limit_is_no_fresh_burst_and_a_new_modem_starts_full() -> None:
    limits = RateLimits({"m0": ModemLimits(per_minute=5, per_day=100)})
    assert limits.try_take("m0", 0.0, 5)
    limits.update({"m0": ModemLimits(per_minute=50, per_hour=1000), "m1": ModemLimits(per_minute=3)}, None, now=0.0)
    assert limits.available("m0", 0.0) == 0  # what was used still counts; the new hour bucket starts full
    assert limits.available("m0", 6.0) == 5  # then it refills at the new rate
    assert limits.available("m1", 0.0) == 3
    limits.update({"m1": ModemLimits(per_minute=3)}, None, now=6.0)
    with pytest.raises(KeyError):
        limits.available("m0", 6.0)  # a removed modem is forgotten


def test_an_overall_cap_added_removed_by_update() -> None:
    per_modem = {"m0": ModemLimits(per_minute=100), "m1": ModemLimits(per_minute=100)}
    limits = RateLimits(per_modem)
    limits.update(per_modem, ModemLimits(per_minute=2), now=0.0)
    assert limits.try_take("m0", 0.0) and limits.try_take("m1", 0.0)
    assert not limits.try_take("m0", 0.0) and not limits.try_take("m1", 0.0)
    limits.update(per_modem, None, now=0.0)
    assert limits.try_take("m0", 0.0)
