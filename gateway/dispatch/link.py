"""A worker's hold on its modem: open it, take it out of service, bring it back. I/O and timing only.

When to bring a modem back is decided elsewhere: ``gateway.dispatch.health`` says for how long a sick modem stays
out, ``drivers.backoff.Backoff`` how long to wait after a failed open, ``gateway.dispatch.devicewatch`` whether a
device just appeared at its path (then at once, back-off reset).
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from drivers.backoff import Backoff
from drivers.base import Modem, ModemInfo
from drivers.errors import ModemError
from gateway.dispatch.budgets import SimState
from gateway.dispatch.devicewatch import DeviceWatch
from gateway.logs import event

log = logging.getLogger(__name__)

HEALTH_EVERY_SECONDS = 60.0


@dataclass
class WorkerStatus:
    """A snapshot for the API, the metrics, systemd's STATUS line and the other workers.

    ``state``: ``open`` (in service), ``failed`` (out of service, ``reopen_at`` says until when, ``last_error``
    why) or ``closed``; ``last_sent_at``: monotonic time of its last accepted submit (the health rule asks whether
    other modems still send)."""

    modem_id: str
    state: str = "closed"
    info: ModemInfo | None = None
    last_error: str | None = None
    sent: int = 0
    failed: int = 0
    retried: int = 0
    last_tick: float = field(default_factory=time.monotonic)
    reopen_at: datetime | None = None
    budget: SimState | None = None  # the SIM's use today / this month, when known
    last_sent_at: float | None = None

    @property
    def imsi(self) -> str | None:
        return self.info.imsi if self.info is not None and self.info.imsi else None


class ModemLink:
    """Opens the modem when it is due, keeps AT+CMMS and the periodic health check, takes it out of service."""

    def __init__(
        self,
        modem: Modem,
        status: WorkerStatus,
        *,
        reopen_backoff: Backoff,
        use_cmms: bool,
        device: str | None,
        poll_seconds: float,
        rng: random.Random,
    ) -> None:
        self.modem = modem
        self.status = status
        self.reopen_backoff = reopen_backoff
        self.use_cmms = use_cmms
        self.watch = DeviceWatch(device) if device else None
        self.poll_seconds = poll_seconds
        self.rng = rng
        self.open = False
        self._cmms = False
        self._attempt = 0  # failed opens in a row
        self._next_open = datetime.min.replace(tzinfo=UTC)
        self._last_health = time.monotonic()

    def try_open(self, now: datetime) -> float:
        """Open the modem if it is due (0.0 once open), else the seconds to wait before looking again.

        While out of service the device path is looked at every ``poll_seconds``: a device that appears there
        is opened at once, the back-off forgotten; while a path-like device is absent nothing is tried."""
        look = self.watch.poll() if self.watch is not None else "same"
        poll = self.poll_seconds if self.watch is not None and self.watch.watchable else float("inf")
        if look == "new" and now < self._next_open:
            event(log, "modem device back", modem=self.modem.modem_id, device=self.watch.path if self.watch else "")
            self._attempt, self._next_open = 0, now
        if look == "absent":
            self.status.last_error = "device absent (unplugged?)"
            return poll
        if now < self._next_open:
            return min(poll, (self._next_open - now).total_seconds())
        try:
            info = self.modem.open()
        except ModemError as exc:
            delay = self.reopen_backoff.next_delay(self._attempt, self.rng)
            self._attempt += 1
            self._out(now, delay, str(exc))
            event(log, "modem open failed", logging.WARNING, modem=self.modem.modem_id, error=exc, retry_in=delay)
            return min(poll, delay)
        self.open, self._cmms, self._attempt = True, False, 0
        self._last_health = time.monotonic()
        self.status.state, self.status.info, self.status.reopen_at = "open", info, None
        self.status.last_error = None
        event(
            log,
            "modem ready",
            modem=info.modem_id,
            model=info.model,
            operator=info.operator,
            signal=info.signal_rssi,
            registered=info.registered,
        )
        return 0.0

    def leave(self, now: datetime, out_for: float, reason: str) -> None:
        """Out of service for ``out_for`` seconds (the caller gave its claims back first): close the modem."""
        self.modem.close()
        self.open = self._cmms = False
        self._out(now, out_for, reason)

    def _out(self, now: datetime, seconds: float, reason: str) -> None:
        self._next_open = now + timedelta(seconds=seconds)
        self.status.state, self.status.last_error, self.status.reopen_at = "failed", reason, self._next_open

    def health_due(self) -> bool:
        return time.monotonic() - self._last_health > HEALTH_EVERY_SECONDS

    def check_health(self) -> ModemError | None:
        """AT+CSQ / AT+CREG? (and the SIM's state if unregistered); the error when the modem is not fit."""
        self._last_health = time.monotonic()
        try:
            self.status.info = self.modem.health()
        except ModemError as exc:
            return exc
        return None

    def batch_mode(self, on: bool) -> ModemError | None:
        """AT+CMMS=1 while messages follow each other, 0 when the worker goes idle; the error if the modem died."""
        if not self.use_cmms or not self.open or on == self._cmms:
            return None
        try:
            self.modem.set_batch_mode(on)
        except ModemError as exc:
            return exc
        self._cmms = on
        return None

    def close(self) -> None:
        self.modem.close()
        self.open = False
        self.status.state = "closed"
