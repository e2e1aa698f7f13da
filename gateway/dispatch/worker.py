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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from drivers.backoff import Backoff
from drivers.base import Modem, ModemInfo, TextPolicy
from drivers.errors import ModemError, ModemGone, ModemTimeout, SubmitOutcomeUnknown
from drivers.text import analyse
from gateway import metrics
from gateway.dispatch.budgets import SimBudget, SimState
from gateway.dispatch.policy import SendPolicy
from gateway.dispatch.wakeup import Mailbox
from gateway.logs import event
from gateway.outbox.errors import OutboxError
from gateway.outbox.models import Priority
from gateway.outbox.store import Outbox
from gateway.outbox.types import ClaimedMessage, RecipientFilter
from gateway.storage.errors import StorageError

log = logging.getLogger(__name__)

STORAGE_RETRY_SECONDS = 2.0  # while the database cannot be written (disk full), how often to try again
STORAGE_LOG_EVERY_SECONDS = 60.0
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
    budget: SimState | None = None  # the SIM's use today / this month, when known

    @property
    def imsi(self) -> str | None:
        return self.info.imsi if self.info is not None and self.info.imsi else None


Peers = Callable[[], Sequence[WorkerStatus]]


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
        budget: SimBudget | None = None,
        peers: Peers | None = None,
        rng: random.Random | None = None,
        worker_id: str | None = None,
    ) -> None:
        self.modem = modem
        self.outbox = outbox
        self.policy = policy
        self.mailbox = mailbox
        self.batch_size = batch_size
        self.use_cmms = use_cmms
        self.text_policy = text_policy
        self.backoff = reopen_backoff
        self.recipient_filter = recipient_filter
        self.late_result_hold = late_result_hold
        self.budget = budget
        self.peers: Peers = peers or (lambda: [self.status])
        self.rng = rng or random.Random()  # noqa: S311 - backoff jitter, not a secret
        self.worker_id = worker_id or f"{modem.modem_id}:{id(self):x}"
        self.status = WorkerStatus(modem.modem_id)
        self._open = False
        self._cmms = False
        self._unknown: int | None = None  # the message whose submit outcome is unknown (late +CMGS awaited)
        self._reopen_attempt = 0
        self._next_open = datetime.min.replace(tzinfo=UTC)
        self._last_health = time.monotonic()
        # Outcomes the database could not take (disk full), in order: written before anything else is sent, so
        # that a message the modem accepted is recorded late rather than sent twice.
        self._unrecorded: list[Callable[[], object]] = []
        self._storage_logged_at = -STORAGE_LOG_EVERY_SECONDS
        self._stop = threading.Event()
        self._gone = threading.Event()  # set from the driver's event thread, acted on by the worker's own

    # -- the step ---------------------------------------------------------------------------------

    def tick(self, now: datetime) -> float:
        """Do one unit of work and return how long the runner may sleep before the next tick."""
        self.status.last_tick = time.monotonic()
        if self._gone.is_set():
            self._gone.clear()
            if self._open:
                self._lost(now, ModemGone(f"{self.modem.modem_id}: the port went away"))
        if self._unrecorded and not self._write_unrecorded():
            return STORAGE_RETRY_SECONDS
        if not self._open:
            return self._try_open(now)
        if time.monotonic() - self._last_health > HEALTH_EVERY_SECONDS and not self._healthy(now):
            return 0.0
        wait = self.policy.wait_time(self.modem.modem_id, now)
        if wait > 0:
            return wait
        priorities, exclude, budget_left = self._budget_rules(now)
        batch = self.outbox.claim(
            self.worker_id,
            self.modem.modem_id,
            limit=min(self._claim_limit(now, priorities), budget_left),
            now=now,
            priorities=priorities,
            exclude_recipients=exclude,
            recipient_filter=self.recipient_filter,
        )
        if not batch:
            self._batch_mode(False, now)  # idle: let the radio link go
            return min(IDLE_SECONDS, self.policy.next_daytime_in(now))
        self.mailbox.clear_priority()
        return self._send_batch(batch)

    def _claim_limit(self, now: datetime, priorities: frozenset[Priority]) -> int:
        """A batch, but no more than a fair share of what is due, so that the modems finish together
        (a 300-number alert over 4 modems is 75 each, not 80, 80, 80 and 60)."""
        limit = min(self.batch_size, self.policy.available(self.modem.modem_id, now))
        working = sum(1 for s in self.peers() if s.state == "open")
        if working > 1:
            due = self.outbox.count_due(now, priorities, cap=self.batch_size * working)
            limit = min(limit, -(-due // working))
        return max(1, limit)

    def _budget_rules(self, now: datetime) -> tuple[frozenset[Priority], set[str], int]:
        """Priorities this SIM may take now, numbers it leaves to the SIMs they stick to this month, and how
        many messages its daily budget still allows in one claim.

        A SIM past a budget sends alerts only: an alert never waits on a budget (life safety first, and
        the budget is the operator's hidden cap, not a hard stop). Recipients stick to the SIM that first
        texted them this month, so that each SIM's set of distinct recipients stays small.
        """
        priorities = self.policy.allowed_priorities(now)
        budgets, imsi = self.policy.budgets, self.status.imsi
        if budgets is None or imsi is None:
            return priorities, set(), self.batch_size
        state = budgets.state(imsi, now)
        self.status.budget = state
        left = state.remaining_messages()
        if left <= 0 or state.remaining_recipients() <= 0:
            priorities, left = priorities & {Priority.ALERT}, self.batch_size
        others = [s.imsi for s in self.peers() if s is not self.status and s.state == "open" and s.imsi]
        held = budgets.numbers_held_by([i for i in others if i != imsi], now)
        return priorities, held, int(max(1, min(left, self.batch_size)))

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
        self._open, self._cmms, self._reopen_attempt = True, False, 0
        self._last_health = time.monotonic()
        self.status.state, self.status.info, self.status.reopen_at = "open", info, None
        if self.policy.budgets is not None and info.imsi:
            self.policy.budgets.budgets[info.imsi] = self.budget or SimBudget()
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

    def _healthy(self, now: datetime) -> bool:
        self._last_health = time.monotonic()
        try:
            self.status.info = self.modem.health()
        except ModemError as exc:
            self._lost(now, exc)
            return False
        return True

    def _record(self, write: Callable[[], object]) -> bool:
        """Write an outcome now, or keep it (in order) for when the database can take it again; False then.

        Only storage failures are kept: the database is full or gone, the outcome is known and must not be
        lost, and the message must not be resent meanwhile (its row stays claimed by this worker).
        """
        if not self._unrecorded:
            try:
                write()
            except StorageError as exc:
                self._storage_failed(exc)
            else:
                return True
        self._unrecorded.append(write)
        return False

    def _write_unrecorded(self) -> bool:
        """Write the outcomes kept by ``_record``, oldest first; False while the database still refuses."""
        written = 0
        while self._unrecorded:
            try:
                self._unrecorded[0]()
            except StorageError as exc:
                self._storage_failed(exc)
                return False
            except OutboxError as exc:  # e.g. the claim was recovered meanwhile: nothing left to record
                event(log, "kept outcome dropped", logging.WARNING, modem=self.modem.modem_id, error=exc)
            self._unrecorded.pop(0)
            written += 1
        self.status.last_error = None
        event(log, "database writable again", logging.WARNING, modem=self.modem.modem_id, outcomes=written)
        return True

    def _storage_failed(self, exc: StorageError) -> None:
        self.status.last_error = str(exc)
        if time.monotonic() - self._storage_logged_at > STORAGE_LOG_EVERY_SECONDS:  # not every 2 s while full
            self._storage_logged_at = time.monotonic()
            event(
                log,
                "database write failed",
                logging.ERROR,
                modem=self.modem.modem_id,
                error=exc,
                kept=len(self._unrecorded),
            )

    def _release(self, ids: list[int] | None = None) -> int:
        """Give back claims (all, or ``ids``) now, or as soon as the database takes writes again; how many now."""
        now, released = _now(), []
        self._record(lambda: released.append(self.outbox.release(self.worker_id, now=now, ids=ids)))
        return sum(released)

    def _lost(self, now: datetime, exc: ModemError) -> None:
        """The modem is gone or hung: give back every claim, close it, reopen later with backoff."""
        released = self._release()
        self.modem.close()
        self._open = self._cmms = False
        self._next_open = now + timedelta(seconds=self.backoff.next_delay(0, self.rng))
        self.status.state, self.status.last_error = "failed", str(exc)
        event(log, "modem lost", logging.WARNING, modem=self.modem.modem_id, error=exc, released=released)

    def _batch_mode(self, on: bool, now: datetime) -> bool:
        """AT+CMMS=1 while messages follow each other, 0 when the worker goes idle; False if the modem died."""
        if not self.use_cmms or not self._open or on == self._cmms:
            return True
        try:
            self.modem.set_batch_mode(on)
        except ModemError as exc:
            self._lost(now, exc)
            return False
        self._cmms = on
        return True

    def _send_batch(self, batch: list[ClaimedMessage]) -> float:
        # The link stays up across consecutive batches: a claim takes milliseconds, a new link seconds.
        if len(batch) > 1 and not self._batch_mode(True, _now()):
            return 0.0
        for index, message in enumerate(batch):
            rest = batch[index:]
            if self._stop.is_set() or self.mailbox.preempting(min(m.priority for m in rest)):
                # A more urgent message is waiting (or we are stopping): hand the rest back untouched.
                self._release([m.id for m in rest])
                return 0.0
            segments = analyse(message.text, self.text_policy).segments
            wait = self.policy.take(self.modem.modem_id, segments)
            if wait > 0:
                self._release([m.id for m in rest])
                return wait
            if not self._send_one(message):
                if batch[index + 1 :]:
                    self._release([m.id for m in batch[index + 1 :]])
                return 0.0
        return 0.0

    def _send_one(self, message: ClaimedMessage) -> bool:
        """Submit one message and record the outcome; False when the batch must stop here."""
        modem_id = self.modem.modem_id
        if message.attempts == 1 and message.created_at is not None:
            metrics.first_submit(message.priority, _now() - message.created_at)
        started = time.monotonic()
        try:
            result = self.modem.submit(message.recipient, message.text, policy=self.text_policy)
        except SubmitOutcomeUnknown as exc:
            metrics.submit_done(modem_id, time.monotonic() - started, "unknown", exc)
            # Not resent at once: a late +CMGS or a report may still prove it left (a resend texts twice).
            now, error = _now(), str(exc)  # the closure may run later: ``exc`` is unbound after the block
            self._record(
                lambda: self.outbox.mark_unknown(
                    message.id, self.worker_id, error=error, now=now, hold=self.late_result_hold
                )
            )
            self._unknown = message.id
            event(
                log,
                "submit outcome unknown",
                logging.WARNING,
                modem=modem_id,
                id=message.id,
                to=message.recipient,
                hold=self.late_result_hold.total_seconds(),
            )
            self._healthy(_now())  # a hung modem is closed here; a slow one stays open for its late answer
            return False
        except (ModemGone, ModemTimeout) as exc:
            # Nothing left the modem (the driver says SubmitOutcomeUnknown otherwise): the message is fine,
            # the modem is not, so the message goes straight back to the queue for the other modems.
            metrics.submit_done(modem_id, time.monotonic() - started, "modem_lost", exc)
            self._lost(_now(), exc)
            return False
        except ModemError as exc:
            metrics.submit_done(modem_id, time.monotonic() - started, "retry" if exc.retryable else "failed", exc)
            now, error = _now(), str(exc)
            if exc.retryable:
                self._record(lambda: self.outbox.mark_retry(message.id, self.worker_id, error=error, now=now))
                self.status.retried += 1
            else:
                self._record(lambda: self.outbox.mark_failed(message.id, self.worker_id, error=error, now=now))
                self.status.failed += 1
            self.status.last_error = str(exc)
            event(
                log,
                "submit failed",
                logging.WARNING,
                modem=modem_id,
                id=message.id,
                to=message.recipient,
                error=exc,
                retryable=exc.retryable,
            )
            return True
        metrics.submit_done(modem_id, time.monotonic() - started, "sent")
        now = _now()
        recorded = self._record(
            lambda: self.outbox.mark_sent(
                message.id,
                self.worker_id,
                refs=result.references,
                segments=result.segments,
                encoding=result.encoding,
                now=now,
                also=self._count_send(message, result.segments, now),
            )
        )
        self.status.sent += 1
        event(
            log,
            "sent",
            modem=modem_id,
            id=message.id,
            to=message.recipient,
            refs=result.references,
            priority=Priority(message.priority).name.lower(),
        )
        return recorded  # not recorded (disk full): send nothing more until it is

    def _count_send(self, message: ClaimedMessage, segments: int, now: datetime) -> Callable[[Session], None] | None:
        """The SIM budget counters, written in the same transaction as "sent" (one disk sync per message)."""
        budgets, imsi = self.policy.budgets, self.status.imsi
        if budgets is None or imsi is None:
            return None
        return lambda session: budgets.record_send_in(session, imsi, message.recipient, now, segments)

    def reconfigure(self, *, text_policy: TextPolicy, budget: SimBudget) -> None:
        """A reload: the text policy and the SIM budget of the next messages; the modem stays open.

        Called from the daemon's thread; each is one reference the worker reads per message."""
        self.text_policy = text_policy
        self.budget = budget
        imsi, budgets = self.status.imsi, self.policy.budgets
        if budgets is not None and imsi:
            budgets.budgets[imsi] = budget

    def port_gone(self) -> None:
        """The driver saw the port vanish (USB unplug): close and reopen from the worker's thread."""
        self._gone.set()
        self.mailbox.post(None)

    def late_result(self, reference: int) -> None:
        """A ``+CMGS`` that came after its submit timed out: the held message left, it must not go again."""
        message_id = self._unknown
        if message_id is None:
            return
        confirmed = self.outbox.confirm_late(message_id, self.modem.modem_id, reference, _now())
        self._unknown = None
        event(
            log,
            "late submit result",
            logging.WARNING,
            modem=self.modem.modem_id,
            id=message_id,
            ref=reference,
            confirmed=confirmed,
        )

    # -- the runner -------------------------------------------------------------------------------

    def run(self) -> None:
        """Tick until ``stop()``; then release every claim and close the modem."""
        try:
            while not self._stop.is_set():
                try:
                    delay = self.tick(_now())
                except StorageError as exc:  # e.g. the claim, with the disk full: one line, not a traceback
                    self._storage_failed(exc)
                    delay = STORAGE_RETRY_SECONDS
                except Exception:  # the loop must survive anything; the error is logged with its cause
                    log.exception("worker tick failed", extra={"fields": {"modem": self.modem.modem_id}})
                    delay = 1.0
                if delay > 0:
                    self.mailbox.wait(delay)
        finally:
            self._stop_cleanly()

    def _stop_cleanly(self) -> None:
        if self._unrecorded:
            self._write_unrecorded()
        self._release()
        if self._unrecorded:  # still refused: the rows stay claimed and go back to the queue at the next start
            event(
                log,
                "outcomes not recorded at stop",
                logging.ERROR,
                modem=self.modem.modem_id,
                count=len(self._unrecorded),
            )
        self.modem.close()
        self.status.state = "closed"

    def stop(self) -> None:
        self._stop.set()
        self.mailbox.post(None)


def _now() -> datetime:
    return datetime.now(UTC)
