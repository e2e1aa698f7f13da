"""Token buckets for the operators' sending limits, as pure objects fed the current time.

Times are float seconds from a monotonic clock (``time.monotonic()``); wall-clock jumps must not refill or
freeze a bucket. ``n`` counts SMS segments: an operator counts each part of a long text as one SMS.
A per-day bucket is a sliding 24 h allowance, not a calendar day; its state is in memory, so a restart
starts full (the persistent per-SIM day counters in ``budgets`` cover the calendar side).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass


class TokenBucket:
    """``capacity`` tokens, refilled continuously at ``refill_per_second``; starts full."""

    def __init__(self, capacity: float, refill_per_second: float, *, now: float | None = None) -> None:
        if capacity <= 0 or refill_per_second <= 0:
            raise ValueError("a token bucket needs a positive capacity and refill rate")
        self.capacity = float(capacity)
        self.refill_per_second = float(refill_per_second)
        self._tokens = self.capacity
        self._stamp = now

    @classmethod
    def per_period(cls, count: int, seconds: float) -> TokenBucket:
        """``count`` messages per ``seconds``, with a burst of at most ``count``."""
        return cls(count, count / seconds)

    def tokens(self, now: float) -> float:
        """Tokens available at ``now`` (refills, never above capacity; a clock going back refills nothing)."""
        if self._stamp is None:
            self._stamp = now
        elapsed = max(0.0, now - self._stamp)
        self._tokens = min(self.capacity, self._tokens + elapsed * self.refill_per_second)
        self._stamp = max(self._stamp, now)
        return self._tokens

    def try_take(self, now: float, n: float = 1) -> bool:
        """Take ``n`` tokens if they are all there; else take nothing."""
        if self.tokens(now) + 1e-9 >= n:
            self._tokens = max(0.0, self._tokens - n)
            return True
        return False

    def wait_time(self, now: float, n: float = 1) -> float:
        """Seconds until ``n`` tokens are available (0 when they are now; inf when ``n`` > capacity)."""
        if n > self.capacity:
            return math.inf
        missing = n - self.tokens(now)
        return 0.0 if missing <= 1e-9 else missing / self.refill_per_second

    def resized(self, capacity: float, refill_per_second: float, now: float) -> TokenBucket:
        """A bucket with the new size that keeps what this one has used: its tokens at ``now``, capped by the
        new capacity. So a lowered limit holds at once (a SIM that just sent 20 in a minute, its limit
        lowered to 5, sends nothing more until the minute has passed), and a raised one is no fresh burst."""
        bucket = TokenBucket(capacity, refill_per_second, now=now)
        bucket._tokens = min(bucket.capacity, self.tokens(now))
        return bucket


@dataclass(frozen=True)
class ModemLimits:
    """An operator's limits for one SIM; None means no limit at that scale."""

    per_minute: int | None = None
    per_hour: int | None = None
    per_day: int | None = None

    def scales(self) -> list[tuple[int, float]]:
        """(count, period in seconds) for each limit set."""
        scales = ((self.per_minute, 60.0), (self.per_hour, 3600.0), (self.per_day, 86400.0))
        return [(count, seconds) for count, seconds in scales if count]

    def buckets(self) -> list[TokenBucket]:
        return [TokenBucket.per_period(count, seconds) for count, seconds in self.scales()]

    def rebuckets(self, old: ModemLimits, buckets: list[TokenBucket], now: float) -> list[TokenBucket]:
        """These limits' buckets, each keeping the use recorded in ``buckets`` (those of ``old``) at its scale."""
        kept = {seconds: bucket for (_, seconds), bucket in zip(old.scales(), buckets, strict=True)}
        return [
            kept[seconds].resized(count, count / seconds, now)
            if seconds in kept
            else TokenBucket.per_period(count, seconds)
            for count, seconds in self.scales()
        ]


class RateLimits:
    """Per-modem buckets (minute, hour, day) and an overall one; a take succeeds on all or on none."""

    def __init__(self, per_modem: Mapping[str, ModemLimits], overall: ModemLimits | None = None) -> None:
        self._limits = dict(per_modem)
        self._overall_limits = overall or ModemLimits()
        self._modems = {modem_id: limits.buckets() for modem_id, limits in per_modem.items()}
        self._overall = self._overall_limits.buckets()

    def update(self, per_modem: Mapping[str, ModemLimits], overall: ModemLimits | None, now: float) -> None:
        """New limits (a reload): a modem whose limits did not change keeps its buckets; a changed one keeps what
        it used (see ``TokenBucket.resized``); a new modem starts full; a removed one is forgotten."""
        overall = overall or ModemLimits()
        modems = {}
        for modem_id, limits in per_modem.items():
            old = self._limits.get(modem_id)
            if old is None:
                modems[modem_id] = limits.buckets()
            elif old == limits:
                modems[modem_id] = self._modems[modem_id]
            else:
                modems[modem_id] = limits.rebuckets(old, self._modems[modem_id], now)
        if overall != self._overall_limits:
            self._overall = overall.rebuckets(self._overall_limits, self._overall, now)
        self._limits, self._overall_limits, self._modems = dict(per_modem), overall, modems

    def _buckets(self, modem_id: str) -> list[TokenBucket]:
        try:
            return self._modems[modem_id] + self._overall
        except KeyError:
            raise KeyError(f"no rate limits configured for modem {modem_id!r}") from None

    def wait_time(self, modem_id: str, now: float, n: int = 1) -> float:
        """Seconds until this modem may send ``n`` segments."""
        return max((b.wait_time(now, n) for b in self._buckets(modem_id)), default=0.0)

    def available(self, modem_id: str, now: float) -> int:
        """Whole segments this modem may send now (for sizing a batch)."""
        buckets = self._buckets(modem_id)
        if not buckets:
            return 1_000_000
        return int(min(b.tokens(now) + 1e-9 for b in buckets))

    def try_take(self, modem_id: str, now: float, n: int = 1) -> bool:
        """Take ``n`` from every bucket of this modem and the overall ones, or from none."""
        buckets = self._buckets(modem_id)
        if any(b.wait_time(now, n) > 0 for b in buckets):
            return False
        for bucket in buckets:
            bucket.try_take(now, n)
        return True
