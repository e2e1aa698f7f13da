from __future__ import annotations

import random

import pytest

from drivers.backoff import Backoff


def test_grows_exponentially_without_jitter_and_caps() -> None:
    b = Backoff(initial=1.0, factor=2.0, max=10.0, jitter=0.0)
    rng = random.Random(1)
    assert [b.next_delay(n, rng) for n in range(6)] == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0]
    assert b.next_delay(10_000, rng) == 10.0


def test_jitter_stays_within_bounds_and_varies() -> None:
    b = Backoff(initial=10.0, factor=2.0, max=1000.0, jitter=0.2)
    rng = random.Random(42)
    delays = [b.next_delay(0, rng) for _ in range(200)]
    assert all(8.0 <= d <= 12.0 for d in delays)
    assert len(set(delays)) > 100


def test_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        Backoff(factor=0.5)
    with pytest.raises(ValueError):
        Backoff().next_delay(-1, random.Random(0))
