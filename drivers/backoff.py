"""Reopen delays for a failed modem: a pure object, the caller passes its random generator."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with proportional jitter.

    ``next_delay(0)`` is about ``initial``; each attempt multiplies by ``factor`` up to ``max``;
    ``jitter`` = 0.2 spreads each delay uniformly over ±20 % so several modems that failed
    together do not reopen in lockstep. The result never exceeds ``max`` nor goes below 0.
    """

    initial: float = 1.0
    factor: float = 2.0
    max: float = 300.0
    jitter: float = 0.2

    def __post_init__(self) -> None:
        if self.initial < 0 or self.factor < 1 or self.max < 0 or not 0 <= self.jitter <= 1:
            raise ValueError(f"invalid backoff parameters: {self}")

    def next_delay(self, attempt: int, rng: random.Random) -> float:
        """Delay in seconds before attempt number ``attempt`` (0-based)."""
        if attempt < 0:
            raise ValueError("attempt must be >= 0")
        # Cap the exponent so huge attempt counts cannot overflow a float.
        base = min(self.max, self.initial * self.factor ** min(attempt, 64))
        spread = base * self.jitter * (2 * rng.random() - 1)
        return min(self.max, max(0.0, base + spread))
