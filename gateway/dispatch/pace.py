"""How fast one modem sends right now: the seconds per SMS segment of its recent accepted submits. Pure.

The worker records each accepted submit (its duration and segment count); the daemon publishes the figure in its
heartbeat, and the ETA of an alert (``gateway.dispatch.capacity``) is computed from it. A sliding window of the
last submits, not an average since start: a modem that slows down (a congested cell, a link kept open by AT+CMMS
or not) changes the estimate within a few messages, and an old burst does not weigh on today's figure.
"""

from __future__ import annotations

from collections import deque

WINDOW = 20  # submits: about a minute of a modem's work at real speed, a few seconds of a fast simulator


class SubmitPace:
    """The recent seconds per segment of one modem; None until it has sent something."""

    def __init__(self, window: int = WINDOW) -> None:
        if window < 1:
            raise ValueError("the window holds at least one submit")
        self._samples: deque[tuple[float, int]] = deque(maxlen=window)

    def record(self, seconds: float, segments: int) -> None:
        """One accepted submit of ``segments`` parts that took ``seconds``."""
        if segments >= 1 and seconds >= 0:
            self._samples.append((seconds, segments))

    @property
    def seconds_per_segment(self) -> float | None:
        if not self._samples:
            return None
        return sum(s for s, _ in self._samples) / sum(n for _, n in self._samples)
