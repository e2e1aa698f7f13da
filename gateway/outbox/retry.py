"""When to try a message again: exponential backoff with jitter, as a pure object."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol


class RandomSource(Protocol):
    def random(self) -> float: ...


@dataclass(frozen=True)
class RetryPolicy:
    """Delay after the n-th failed attempt: ``initial * factor**(n-1)``, capped, times a random jitter.

    Jitter spreads the retries of a fan-out that failed together (network out of order) so that they do not
    come back as one burst. ``attempts`` counts attempts already made, the failed one included.
    """

    initial: timedelta = timedelta(seconds=30)
    factor: float = 2.0
    maximum: timedelta = timedelta(hours=1)
    jitter: float = 0.2
    max_attempts: int = 8

    def __post_init__(self) -> None:
        if self.initial <= timedelta(0) or self.maximum < self.initial:
            raise ValueError("retry delays must be positive and maximum >= initial")
        if self.factor < 1 or not 0 <= self.jitter < 1 or self.max_attempts < 1:
            raise ValueError("retry factor must be >= 1, jitter in [0, 1), max_attempts >= 1")

    def delay(self, attempts: int, rng: RandomSource) -> timedelta:
        """The wait after ``attempts`` attempts (>= 1), jitter included, never above ``maximum``."""
        exponent = max(attempts - 1, 0)
        base = min(self.initial.total_seconds() * self.factor**exponent, self.maximum.total_seconds())
        spread = 1.0 + self.jitter * (2.0 * rng.random() - 1.0)
        return timedelta(seconds=min(base * spread, self.maximum.total_seconds()))

    def next_attempt(
        self, attempts: int, now: datetime, rng: RandomSource, *, max_attempts: int | None = None
    ) -> datetime | None:
        """When to try again, or None when ``attempts`` reached the maximum (the message is dead)."""
        limit = self.max_attempts if max_attempts is None else max_attempts
        if attempts >= limit:
            return None
        return now + self.delay(attempts, rng)
