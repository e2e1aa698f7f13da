"""What the workers may send now: rate limits, daytime hours, SIM budgets, in one object.

Pure decisions over the policy objects of this package; the clock for rate limits is monotonic (a
wall-clock jump must not open or close a bucket), the wall clock ``now`` decides daytime and budgets.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

from sqlalchemy.engine import Engine

from gateway.dispatch.budgets import SimBudgets
from gateway.dispatch.hours import DaytimeWindow
from gateway.dispatch.ratelimit import ModemLimits, RateLimits
from gateway.dispatch.settings import DispatchSettings, ModemSettings
from gateway.outbox.models import Priority

ALWAYS = frozenset({Priority.ALERT, Priority.OPERATIONAL})
ALL = frozenset(Priority)


class SendPolicy:
    def __init__(
        self,
        limits: RateLimits,
        window: DaytimeWindow,
        budgets: SimBudgets | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limits = limits
        self.window = window
        self.budgets = budgets
        self.clock = clock
        self._lock = threading.Lock()  # buckets are shared by the workers' threads

    def reconfigure(
        self, per_modem: Mapping[str, ModemLimits], overall: ModemLimits | None, window: DaytimeWindow
    ) -> None:
        """New limits and daytime window (a reload), for the running workers' next decisions: what each modem
        already sent still counts against its new limits. (The budgets' warning threshold is read by ``GET
        /modems`` from the configuration itself.)"""
        with self._lock:
            self.limits.update(per_modem, overall, self.clock())
        self.window = window

    def wait_time(self, modem_id: str, now: datetime) -> float:
        with self._lock:
            return self.limits.wait_time(modem_id, self.clock())

    def available(self, modem_id: str, now: datetime) -> int:
        with self._lock:
            return self.limits.available(modem_id, self.clock())

    def take(self, modem_id: str, segments: int) -> float:
        """Count ``segments`` against the buckets; 0 when taken, else the seconds to wait first.

        A message longer than a bucket's capacity (6 segments against 5 per minute) counts as 1 there,
        or it would wait for ever."""
        with self._lock:
            now = self.clock()
            if math.isinf(self.limits.wait_time(modem_id, now, segments)):
                segments = 1
            if self.limits.try_take(modem_id, now, segments):
                return 0.0
            return max(self.limits.wait_time(modem_id, now, segments), 0.001)

    def allowed_priorities(self, now: datetime) -> frozenset[Priority]:
        """Reminders and campaigns only in daytime; alerts and operational messages at any hour."""
        return ALL if self.window.is_daytime(now) else ALWAYS

    def next_daytime_in(self, now: datetime) -> float:
        return math.inf if self.window.is_daytime(now) else self.window.seconds_until_daytime(now)


def overall_limits(dispatch: DispatchSettings) -> ModemLimits | None:
    """The cap over all modems of ``[dispatch] overall_per_minute``, if any."""
    return ModemLimits(per_minute=dispatch.overall_per_minute) if dispatch.overall_per_minute else None


def rate_limits(modems: Sequence[ModemSettings], dispatch: DispatchSettings) -> RateLimits:
    """Each modem's operator limits and the overall cap."""
    return RateLimits({m.id: m.limits for m in modems}, overall_limits(dispatch))


def build_policy(
    modems: Sequence[ModemSettings], dispatch: DispatchSettings, window: DaytimeWindow, engine: Engine | None = None
) -> SendPolicy:
    """The send policy the configuration describes: each modem's limits, the overall cap, the daytime window,
    and (given the database) the SIMs' budgets and sticky recipients."""
    budgets = None
    if engine is not None:
        # Keyed by IMSI, filled in as each modem opens and tells which SIM it holds.
        budgets = SimBudgets(engine, {}, tz=window.tz)
    return SendPolicy(rate_limits(modems, dispatch), window, budgets)
