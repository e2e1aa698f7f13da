"""The network side of one modem (message references, submit delays) and a timer thread for reports.

Delays follow what Gammu users' logs show for 2G/3G USB modems: about 3 s per AT+CMGS with some jitter,
about half that while AT+CMMS keeps the radio link open between submits. ``--fast`` sets them all to 0.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import random
import threading
import time
from collections.abc import Callable

from simulator.config import RuntimeDelays

log = logging.getLogger(__name__)

#: TP-Status of the status report for each configured outcome (TS 23.040 §9.2.3.15).
OUTCOME_STATUS = {"delivered": 0x00, "expired": 0x46, "rejected": 0x41}


class Network:
    """Message reference counter and delay model of one modem; thread-safe."""

    def __init__(self, delays: RuntimeDelays, rng: random.Random) -> None:
        self.delays = delays
        self._rng = rng
        self._lock = threading.Lock()
        self._next_reference = 0

    def next_reference(self) -> int:
        """TP-MR of the next submit: 0-255, wrapping (TS 23.040 §9.2.3.6)."""
        with self._lock:
            reference = self._next_reference
            self._next_reference = (reference + 1) % 256
            return reference

    def peek_reference(self) -> int:
        with self._lock:
            return self._next_reference

    def set_next_reference(self, value: int) -> None:
        """Tests use it to check the wrap from 255 to 0."""
        with self._lock:
            self._next_reference = value % 256

    def submit_delay(self, link_open: bool) -> float:
        """Seconds one AT+CMGS takes; shorter while AT+CMMS keeps the link open."""
        base = self.delays.cmms if link_open else self.delays.submit
        if base <= 0:
            return 0.0
        jitter = self.delays.jitter * (0.5 if link_open else 1.0)
        with self._lock:
            return max(0.0, base + self._rng.uniform(-jitter, jitter))


class Scheduler:
    """One thread running callbacks at a monotonic time; callbacks must not block for long."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._heap: list[tuple[float, int, Callable[[], None]]] = []
        self._counter = itertools.count()
        self._cond = threading.Condition()
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="sim-scheduler", daemon=True)
        self._thread.start()

    def call_later(self, delay: float, callback: Callable[[], None]) -> None:
        with self._cond:
            heapq.heappush(self._heap, (self._clock() + max(0.0, delay), next(self._counter), callback))
            self._cond.notify()

    def cancel_all(self) -> None:
        with self._cond:
            self._heap.clear()

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._heap.clear()
            self._cond.notify()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopped and (not self._heap or self._heap[0][0] > self._clock()):
                    timeout = self._heap[0][0] - self._clock() if self._heap else None
                    self._cond.wait(timeout)
                if self._stopped:
                    return
                _, _, callback = heapq.heappop(self._heap)
            try:
                callback()
            except Exception:
                log.exception("scheduled callback failed")
