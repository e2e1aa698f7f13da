"""Is this modem still fit to send? A pure object fed each submit's outcome, with the time passed in.

Rules (table-tested in ``tests/gateway/dispatch/test_health.py``):

1. A modem-level failure (``Failure.modem_level``: SIM asking for its PIN, not registered, plain ``ERROR``, port
   gone or silent) takes the modem out of service at once.
2. The same refusal (same class and code) on ``same_failures`` consecutive *different* messages takes it out
   too, provided another modem sent something since the first of them: one SIM that the network refuses
   (congestion on its cell, a barred or unpaid SIM) while the others get through is the modem's problem, not the
   messages'. When every modem fails alike it is the network, and the messages' own retry back-off applies.
3. The earlier messages of that streak, waiting their retry back-off, are made due at once (``victims``): the
   failure was the modem's, another modem may send them now.
4. Each time out of service lasts ``backoff.next_delay(trips)``: it doubles while the modem keeps failing as soon
   as it is back (a breaker half-open on its first message: one more such failure and it is out again, longer),
   and a successful submit resets everything.

Out of service means: its claims go back to the queue for the other modems, it is closed and opened again (PIN,
registration) after the delay.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from drivers.backoff import Backoff
from gateway.dispatch.failures import Failure


@dataclass(frozen=True)
class Verdict:
    """``leave``: take the modem out of service for ``out_for`` seconds (then reopen it); ``reason`` for logs;
    ``victims``: the earlier messages of the streak that took it out, waiting their retry back-off for a failure
    that was the modem's: they may go again at once, through the others."""

    leave: bool
    out_for: float = 0.0
    reason: str = ""
    victims: tuple[int, ...] = ()


STAY = Verdict(False)


class ModemHealth:
    """One modem's recent outcomes. Times are monotonic seconds (``time.monotonic()``), passed in."""

    def __init__(self, backoff: Backoff, *, same_failures: int = 3, rng: random.Random | None = None) -> None:
        if same_failures < 1:
            raise ValueError("same_failures must be at least 1")
        self.backoff = backoff
        self.same_failures = same_failures
        self.rng = rng or random.Random()  # noqa: S311 - back-off jitter
        self.trips = 0  # times out of service since the last success
        self._streak: tuple[Failure, int | None] | None = None
        self._streak_ids: list[int] = []
        self._streak_since = 0.0

    def succeeded(self) -> None:
        """A submit went through: the modem is healthy, every count starts again."""
        self.trips = 0
        self._streak, self._streak_ids = None, []

    def failed(
        self, failure: Failure, code: int | None, message_id: int, now: float, peers_sent_at: float | None
    ) -> Verdict:
        """The verdict after a failed submit; ``peers_sent_at``: the latest success of any other modem, if any."""
        if failure is Failure.AMBIGUOUS:
            return STAY  # the caller checks the modem's health: a hung modem is caught there
        if failure is Failure.MESSAGE_INVALID:
            return STAY  # our encoding refused it: nothing reached the modem
        if failure.modem_level:
            return self._trip(f"modem-level failure: {failure.value}")
        key = (failure, code)
        if key != self._streak:
            self._streak, self._streak_ids, self._streak_since = key, [], now
        if message_id not in self._streak_ids:
            self._streak_ids.append(message_id)
        others_fine = peers_sent_at is not None and peers_sent_at >= self._streak_since
        # Back from a trip (trips > 0), one more of the same is enough: the breaker is half-open.
        needed = 1 if self.trips else self.same_failures
        if len(self._streak_ids) >= needed and others_fine:
            what = failure.value if code is None else f"{failure.value} {code}"
            victims = tuple(i for i in self._streak_ids if i != message_id)
            return self._trip(f"{what} on {len(self._streak_ids)} messages in a row while other modems send", victims)
        return STAY

    def _trip(self, reason: str, victims: tuple[int, ...] = ()) -> Verdict:
        delay = self.backoff.next_delay(self.trips, self.rng)
        self.trips += 1
        self._streak_ids = []
        return Verdict(True, delay, reason, victims)
