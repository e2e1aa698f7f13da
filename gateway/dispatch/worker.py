"""One worker per modem: claim a small batch, send it, record each outcome; reopen a dead modem with backoff.

The worker's step is ``tick(now) -> seconds to sleep``; ``run`` is a thin loop around it that sleeps on the
worker's mailbox, so a commit wakes it at once. Everything that can block (AT commands) happens inside
``tick``; the stop flag is checked between messages, so SIGTERM finishes the AT command in flight only.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from drivers.backoff import Backoff
from drivers.base import Modem, ModemInfo, TextPolicy
from drivers.errors import ModemError, ModemGone, ModemTimeout, SubmitOutcomeUnknown
from drivers.text import analyse
from gateway.dispatch.policy import SendPolicy
from gateway.dispatch.wakeup import Mailbox
from gateway.logs import event
from gateway.outbox.models import Priority
from gateway.outbox.store import Outbox
from gateway.outbox.types import ClaimedMessage, RecipientFilter

log = logging.getLogger(__name__)

IDLE_SECONDS = 2.0  # safety wake-up: work committed by another process (CLI, other station) still goes
HEALTH_EVERY_SECONDS = 60.0


@dataclass
class WorkerStatus:
    """A snapshot for the API, the metrics and systemd's STATUS line."""

    modem_id: str
    state: str = "closed"  # closed | open | failed
    info: ModemInfo | None = None
    last_error: str | None = None
    sent: int = 0
    failed: int = 0
    retried: int = 0
    last_tick: float = field(default_factory=time.monotonic)
    reopen_at: datetime | None = None


class ModemWorker:
    def __init__(
        self,
        modem: Modem,
        outbox: Outbox,
        policy: SendPolicy,
        mailbox: Mailbox,
        *,
        batch_size: int,
        use_cmms: bool,
        text_policy: TextPolicy,
        reopen_backoff: Backoff,
        recipient_filter: RecipientFilter | None = None,
        late_result_hold: timedelta = timedelta(minutes=10),
        rng: random.Random | None = None,
        worker_id: str | None = None,
    ) -> None:
        self.recipient_filter = recipient_filter
        self.late_result_hold = late_result_hold
        self.modem = modem
        self.outbox = outbox
        self.policy = policy
        self.mailbox = mailbox
        self.batch_size = batch_size
        self.use_cmms = use_cmms
        self.text_policy = text_policy
        self.backoff = reopen_backoff
        self.rng = rng or random.Random()  # noqa: S311 - backoff jitter, not a secret
        self.worker_id = worker_id or f"{modem.modem_id}:{id(self):x}"
        self.status = WorkerStatus(modem.modem_id)
        self._open = False
        self._reopen_attempt = 0
        self._next_open = datetime.min.replace(tzinfo=UTC)
        self._last_health = time.monotonic()
        self._stop = threading.Event()

    # -- the step ---------------------------------------------------------------------------------

    def tick(self, now: datetime) -> float:
        """Do one unit of work and return how long the runner may sleep before the next tick."""
        self.status.last_tick = time.monotonic()
        if not self._open:
            return self._try_open(now)
        if time.monotonic() - self._last_health > HEALTH_EVERY_SECONDS and not self._healthy(now):
            return 0.0
        wait = self.policy.wait_time(self.modem.modem_id, now)
        if wait > 0:
            return wait
        limit = min(self.batch_size, self.policy.available(self.modem.modem_id, now))
        batch = self.outbox.claim(
            self.worker_id,
            self.modem.modem_id,
            limit=max(1, limit),
            now=now,
            priorities=self.policy.allowed_priorities(now),
            recipient_filter=self.recipient_filter,
        )
        if not batch:
            return min(IDLE_SECONDS, self.policy.next_daytime_in(now))
        self.mailbox.clear_priority()
        return self._send_batch(batch)

    def _try_open(self, now: datetime) -> float:
        if now < self._next_open:
            return (self._next_open - now).total_seconds()
        try:
            info = self.modem.open()
        except ModemError as exc:
            delay = self.backoff.next_delay(self._reopen_attempt, self.rng)
            self._reopen_attempt += 1
            self._next_open = now + timedelta(seconds=delay)
            self.status.state, self.status.last_error, self.status.reopen_at = "failed", str(exc), self._next_open
            event(log, "modem open failed", logging.WARNING, modem=self.modem.modem_id, error=exc, retry_in=delay)
            return delay
        self._open, self._reopen_attempt = True, 0
        self._last_health = time.monotonic()
        self.status.state, self.status.info, self.status.reopen_at = "open", info, None
        event(log, "modem ready", modem=info.modem_id, model=info.model, operator=info.operator,
              signal=info.signal_rssi, registered=info.registered)
        return 0.0

    def _healthy(self, now: datetime) -> bool:
        self._last_health = time.monotonic()
        try:
            self.status.info = self.modem.health()
        except ModemError as exc:
            self._lost(now, exc)
            return False
        return True

    def _lost(self, now: datetime, exc: ModemError) -> None:
        """The modem is gone or hung: give back every claim, close it, reopen later with backoff."""
        released = self.outbox.release(self.worker_id, now=now)
        self.modem.close()
        self._open = False
        self._next_open = now + timedelta(seconds=self.backoff.next_delay(0, self.rng))
        self.status.state, self.status.last_error = "failed", str(exc)
        event(log, "modem lost", logging.WARNING, modem=self.modem.modem_id, error=exc, released=released)

    def _send_batch(self, batch: list[ClaimedMessage]) -> float:
        cmms = self.use_cmms and len(batch) > 1
        try:
            if cmms:
                self.modem.set_batch_mode(True)
            for index, message in enumerate(batch):
                rest = batch[index:]
                if self._stop.is_set() or self.mailbox.preempting(min(m.priority for m in rest)):
                    # A more urgent message is waiting (or we are stopping): hand the rest back untouched.
                    self.outbox.release(self.worker_id, now=_now(), ids=[m.id for m in rest])
                    return 0.0
                segments = analyse(message.text, self.text_policy).segments
                wait = self.policy.take(self.modem.modem_id, segments)
                if wait > 0:
                    self.outbox.release(self.worker_id, now=_now(), ids=[m.id for m in rest])
                    return wait
                if not self._send_one(message):
                    return 0.0  # the modem was lost: _lost() gave every claim back
            return 0.0
        finally:
            if cmms and self._open:
                try:
                    self.modem.set_batch_mode(False)
                except ModemError as exc:
                    self._lost(_now(), exc)

    def _send_one(self, message: ClaimedMessage) -> bool:
        """Submit one message and record the outcome; False when the modem must be given up."""
        modem_id = self.modem.modem_id
        try:
            result = self.modem.submit(message.recipient, message.text, policy=self.text_policy)
        except SubmitOutcomeUnknown as exc:
            # Not resent at once: a late +CMGS or a report may still prove it left (a resend texts twice).
            self.outbox.mark_unknown(message.id, self.worker_id, error=str(exc), now=_now(),
                                     hold=self.late_result_hold)
            self._lost(_now(), exc)
            return False
        except (ModemGone, ModemTimeout) as exc:
            # Nothing left the modem (the driver says SubmitOutcomeUnknown otherwise): the message is fine,
            # the modem is not, so the message goes straight back to the queue for the other modems.
            self._lost(_now(), exc)
            return False
        except ModemError as exc:
            if exc.retryable:
                self.outbox.mark_retry(message.id, self.worker_id, error=str(exc), now=_now())
                self.status.retried += 1
            else:
                self.outbox.mark_failed(message.id, self.worker_id, error=str(exc), now=_now())
                self.status.failed += 1
            self.status.last_error = str(exc)
            event(log, "submit failed", logging.WARNING, modem=modem_id, id=message.id, to=message.recipient,
                  error=exc, retryable=exc.retryable)
            return True
        self.outbox.mark_sent(message.id, self.worker_id, refs=result.references, segments=result.segments,
                              encoding=result.encoding, now=_now())
        imsi = self.status.info.imsi if self.status.info else None
        self.policy.record_sent(imsi, message.recipient, result.segments, _now())
        self.status.sent += 1
        event(log, "sent", modem=modem_id, id=message.id, to=message.recipient, refs=result.references,
              priority=Priority(message.priority).name.lower())
        return True

    # -- the runner -------------------------------------------------------------------------------

    def run(self) -> None:
        """Tick until ``stop()``; then release every claim and close the modem."""
        try:
            while not self._stop.is_set():
                try:
                    delay = self.tick(_now())
                except Exception:  # the loop must survive anything; the error is logged with its cause
                    log.exception("worker tick failed", extra={"fields": {"modem": self.modem.modem_id}})
                    delay = 1.0
                if delay > 0:
                    self.mailbox.wait(delay)
        finally:
            self.outbox.release(self.worker_id, now=_now())
            self.modem.close()
            self.status.state = "closed"

    def stop(self) -> None:
        self._stop.set()
        self.mailbox.post(None)


def _now() -> datetime:
    return datetime.now(UTC)

