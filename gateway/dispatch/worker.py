"""One worker per modem: claim a small batch, check each message at the last moment, submit it, record the
outcome. I/O and timing only; every decision is a pure function of this package:

* what to claim: ``claim.plan_claim`` (priorities, SIM budgets, sticky numbers, fair share);
* whether a message may still go: ``Outbox.check_before_submit`` with the recipient rule of
  ``gateway.alerts.guard``, right before each submit;
* how to read a failure: ``failures.classify``; whether the modem stays in service: ``health.ModemHealth``;
* what becomes of the message: ``outcomes.after_failure`` (fail, retry, give back, resend, hold, resume);
* when to bring the modem back: ``link.ModemLink`` with ``devicewatch``.

The step is ``tick(now) -> seconds to sleep``; ``run`` is a thin loop around it that sleeps on the worker's
mailbox, so a commit wakes it at once. The stop flag is checked between messages, so SIGTERM finishes the AT
command in flight only.
"""

from __future__ import annotations

import dataclasses
import logging
import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from drivers.backoff import Backoff
from drivers.base import Modem, Resume, SubmitResult, TextPolicy
from drivers.errors import ModemError, ModemGone, PartialSubmit
from drivers.text import analyse
from gateway import metrics
from gateway.dispatch.claim import ClaimPlan, plan_claim
from gateway.dispatch.failures import Failure, classify
from gateway.dispatch.health import ModemHealth
from gateway.dispatch.journal import OutcomeJournal
from gateway.dispatch.link import ModemLink, WorkerStatus
from gateway.dispatch.outcomes import RESUME_TRIES, Action, after_failure
from gateway.dispatch.policy import SendPolicy
from gateway.dispatch.settings import SimBudget
from gateway.dispatch.wakeup import Mailbox
from gateway.logs import event
from gateway.outbox.models import Priority
from gateway.outbox.store import Outbox
from gateway.outbox.types import ClaimedMessage, SendGuard
from gateway.storage.errors import StorageError

log = logging.getLogger(__name__)

STORAGE_RETRY_SECONDS = 2.0  # while the database cannot be written (disk full), how often to try again
IDLE_SECONDS = 2.0  # safety wake-up: work committed by another process (CLI, other station) still goes

Peers = Callable[[], Sequence[WorkerStatus]]


@dataclass(frozen=True)
class WorkerConfig:
    """What one worker reads: ``resend_ambiguous`` are the priorities sent again at once (elsewhere) when a
    submit's outcome is unknown, the others held ``late_result_hold``; ``same_failures`` and
    ``reopen_backoff`` feed the health rule; ``device_poll_seconds``: how often the device path is looked at
    while the modem is out of service."""

    batch_size: int = 10
    use_cmms: bool = True
    text_policy: TextPolicy = "exact"
    reopen_backoff: Backoff = field(default_factory=lambda: Backoff(initial=1.0, max=60.0))
    late_result_hold: timedelta = timedelta(minutes=10)
    resend_ambiguous: frozenset[Priority] = frozenset({Priority.ALERT})
    same_failures: int = 3
    device_poll_seconds: float = 0.25
    budget: SimBudget = field(default_factory=SimBudget)


class ModemWorker:
    def __init__(
        self,
        modem: Modem,
        outbox: Outbox,
        policy: SendPolicy,
        mailbox: Mailbox,
        config: WorkerConfig,
        *,
        guard: SendGuard | None = None,
        device: str | None = None,
        peers: Peers | None = None,
        rng: random.Random | None = None,
        worker_id: str | None = None,
    ) -> None:
        self.modem = modem
        self.outbox = outbox
        self.policy = policy
        self.mailbox = mailbox
        self.config = config
        self.guard = guard
        self.peers: Peers = peers or (lambda: [self.status])
        rng = rng or random.Random()  # noqa: S311 - backoff jitter, not a secret
        self.worker_id = worker_id or f"{modem.modem_id}:{id(self):x}"
        self.status = WorkerStatus(modem.modem_id)
        self.link = ModemLink(
            modem,
            self.status,
            reopen_backoff=config.reopen_backoff,
            use_cmms=config.use_cmms,
            device=device,
            poll_seconds=config.device_poll_seconds,
            rng=rng,
        )
        self.health = ModemHealth(config.reopen_backoff, same_failures=config.same_failures, rng=rng)
        self.journal = OutcomeJournal(modem.modem_id)
        self._unknown: int | None = None  # the message whose submit outcome is unknown (late +CMGS awaited)
        self._avoid: dict[int, float] = {}  # message id -> until when (monotonic) this modem leaves it alone
        self._partials: dict[int, Resume] = {}  # message id -> segments this modem already got through
        self._stop = threading.Event()
        self._gone = threading.Event()  # set from the driver's event thread, acted on by the worker's own

    # -- the step ---------------------------------------------------------------------------------

    def tick(self, now: datetime) -> float:
        """Do one unit of work and return how long the runner may sleep before the next tick."""
        self.status.last_tick = time.monotonic()
        if self._gone.is_set():
            self._gone.clear()
            if self.link.open:
                self._leave(now, ModemGone(f"{self.modem.modem_id}: the port went away"))
        if len(self.journal) and not self.journal.flush():
            return STORAGE_RETRY_SECONDS
        if not self.link.open:
            delay = self.link.try_open(now)
            if self.link.open and self.policy.budgets is not None and self.status.imsi:
                self.policy.budgets.budgets[self.status.imsi] = self.config.budget
            return delay
        if self.link.health_due():
            error = self.link.check_health()
            if error is not None:
                self._leave(now, error)
                return 0.0
        wait = self.policy.wait_time(self.modem.modem_id, now)
        if wait > 0:
            return wait
        plan = self._plan(now)
        budgets, imsi = self.policy.budgets, self.status.imsi
        batch = self.outbox.claim(
            self.worker_id,
            self.modem.modem_id,
            limit=plan.limit,
            now=now,
            priorities=plan.priorities,
            exclude_recipients=budgets.stuck_to(plan.leave_to, now, unless_held_by=imsi) if budgets else None,
            exclude_alert_recipients=(
                budgets.stuck_to(plan.leave_alerts_to, now, unless_held_by=imsi) if budgets else None
            ),
            exclude_ids=self._avoided(),
        )
        if not batch:
            self._batch_mode(False, now)  # idle: let the radio link go
            return min(IDLE_SECONDS, self.policy.next_daytime_in(now))
        self.mailbox.clear_priority()
        return self._send_batch(batch)

    def _plan(self, now: datetime) -> ClaimPlan:
        allowed = self.policy.allowed_priorities(now)
        peers = [s for s in self.peers() if s is not self.status and s.state == "open"]
        in_service = 1 + len(peers)
        due = self.outbox.count_due(now, allowed, cap=self.config.batch_size * in_service) if peers else 0
        own, others = None, []
        budgets, imsi = self.policy.budgets, self.status.imsi
        if budgets is not None and imsi is not None:
            imsis = [imsi, *dict.fromkeys(p.imsi for p in peers if p.imsi and p.imsi != imsi)]
            own, *others = budgets.states(imsis, now)
            self.status.budget = own
        return plan_claim(
            allowed=allowed,
            own=own,
            peers=others,
            batch_size=self.config.batch_size,
            rate_available=self.policy.available(self.modem.modem_id, now),
            due=due,
            in_service=in_service,
        )

    def _avoided(self) -> list[int]:
        """Messages this modem may have sent already (outcome unknown), left to the others for a while."""
        clock = time.monotonic()
        self._avoid = {i: until for i, until in self._avoid.items() if until > clock}
        return list(self._avoid)

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
            try:
                refusal = self.outbox.check_before_submit(message, self.guard, _now())
            except StorageError as exc:  # a refusal that could not be written: send nothing, give the rest back
                self.journal.storage_failed(exc)
                self._release([m.id for m in rest])
                return STORAGE_RETRY_SECONDS
            if refusal is not None:
                event(log, "not sent", modem=self.modem.modem_id, id=message.id, to=message.recipient, reason=refusal)
                continue
            wait = self.policy.take(self.modem.modem_id, analyse(message.text, self.config.text_policy).segments)
            if wait > 0:
                self._release([m.id for m in rest])
                return wait
            if not self._send_one(message):
                if self.link.open and batch[index + 1 :]:
                    self._release([m.id for m in batch[index + 1 :]])
                return 0.0
        return 0.0

    def _send_one(self, message: ClaimedMessage) -> bool:
        """Submit one message and record the outcome; False when the batch must stop here."""
        if message.attempts == 1 and message.created_at is not None:
            metrics.first_submit(message.priority, _now() - message.created_at)
        started = time.monotonic()
        try:
            result = self._submit(message)
        except ModemError as exc:
            return self._failed(message, exc, time.monotonic() - started)
        metrics.submit_done(self.modem.modem_id, time.monotonic() - started, "sent")
        now = _now()
        recorded = self.journal.record(
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
        self.health.succeeded()
        self.status.sent += 1
        self.status.last_sent_at = time.monotonic()
        event(
            log,
            "sent",
            modem=self.modem.modem_id,
            id=message.id,
            to=message.recipient,
            refs=result.references,
            priority=Priority(message.priority).name.lower(),
        )
        return recorded  # not recorded (disk full): send nothing more until it is

    def _submit(self, message: ClaimedMessage) -> SubmitResult:
        """``Modem.submit``; segments missing after a temporary refusal go again at once under the same
        concatenation reference (``outcomes``: RESUME), so the handset joins them into one message."""
        resume = self._partials.pop(message.id, None)
        for resumes in range(RESUME_TRIES + 1):
            try:
                return self.modem.submit(message.recipient, message.text, policy=self.config.text_policy, resume=resume)
            except PartialSubmit as exc:
                action = after_failure(
                    classify(exc), message.priority, resend_ambiguous=frozenset(), partial=True, resumes=resumes
                )
                resume = Resume(exc.concat_reference, exc.references_sent)
                if action is not Action.RESUME:
                    self._partials[message.id] = resume  # should this modem get it again, it resumes
                    raise
                event(
                    log,
                    "sending the missing segments again",
                    logging.WARNING,
                    modem=self.modem.modem_id,
                    id=message.id,
                    sent=len(exc.references_sent),
                    of=exc.segments,
                    error=exc.cause,
                )
        raise AssertionError("unreachable: the last try raises or returns")

    def _failed(self, message: ClaimedMessage, exc: ModemError, seconds: float) -> bool:
        """Classify, judge the modem, act on the message; False when the batch stops (the modem left)."""
        failure = classify(exc)
        verdict = self.health.failed(failure, exc.code, message.id, time.monotonic(), self._peers_sent_at())
        partial = isinstance(exc, PartialSubmit)
        action = after_failure(
            failure,
            message.priority,
            resend_ambiguous=self.config.resend_ambiguous,
            modem_tripped=verdict.leave,
            partial=partial,
            resumes=RESUME_TRIES if partial else 0,
        )
        self._apply(action, message, failure, str(exc))
        metrics.submit_done(self.modem.modem_id, seconds, action.value, failure)
        event(
            log,
            "submit failed",
            logging.WARNING,
            modem=self.modem.modem_id,
            id=message.id,
            to=message.recipient,
            failure=failure.value,
            action=action.value,
            error=exc,
        )
        self.status.last_error = str(exc)
        now = _now()
        if verdict.leave:
            victims = verdict.victims
            if victims:
                self.journal.record(lambda: self.outbox.retry_now(victims, now))
            self._leave(now, exc, out_for=verdict.out_for, reason=verdict.reason)
            return False
        if failure is Failure.AMBIGUOUS:
            error = self.link.check_health()  # a hung modem leaves service here; a slow one stays for its answer
            if error is not None:
                self._leave(now, error)
            return False
        return True

    def _apply(self, action: Action, message: ClaimedMessage, failure: Failure, error: str) -> None:
        now, outbox, wid, mid = _now(), self.outbox, self.worker_id, message.id
        if action is Action.FAIL:
            self.journal.record(lambda: outbox.mark_failed(mid, wid, error=error, now=now))
            self.status.failed += 1
        elif action is Action.RETRY:
            self.journal.record(lambda: outbox.mark_retry(mid, wid, error=error, now=now))
            self.status.retried += 1
        elif action is Action.RELEASE:
            self._release([mid])
        elif action in (Action.RESEND, Action.HOLD):
            unknown = failure is Failure.AMBIGUOUS
            if unknown:
                self._unknown = mid
                self._avoid[mid] = time.monotonic() + self.config.late_result_hold.total_seconds()
            if action is Action.RESEND:
                self.journal.record(lambda: outbox.resend(mid, wid, error=error, now=now, unknown=unknown))
            else:
                hold = self.config.late_result_hold
                self.journal.record(lambda: outbox.mark_unknown(mid, wid, error=error, now=now, hold=hold))
            self.status.retried += 1

    def _peers_sent_at(self) -> float | None:
        times = [s.last_sent_at for s in self.peers() if s is not self.status and s.last_sent_at is not None]
        return max(times, default=None)

    def _leave(self, now: datetime, exc: ModemError, *, out_for: float | None = None, reason: str = "") -> None:
        """Out of service: give every claim back (uncharged), close the modem, reopen it later."""
        if out_for is None:
            verdict = self.health.failed(classify(exc), exc.code, -1, time.monotonic(), self._peers_sent_at())
            out_for, reason = verdict.out_for, verdict.reason
        released = self._release()
        self._partials.clear()
        self.link.leave(now, out_for, str(exc))
        event(
            log,
            "modem out of service",
            logging.WARNING,
            modem=self.modem.modem_id,
            error=exc,
            reason=reason,
            back_in=round(out_for, 1),
            released=released,
        )

    def _release(self, ids: list[int] | None = None) -> int:
        """Give back claims (all, or ``ids``) uncharged, now or as soon as the database takes writes again."""
        now, released = _now(), []
        self.journal.record(lambda: released.append(self.outbox.release(self.worker_id, now=now, ids=ids)))
        return sum(released)

    def _batch_mode(self, on: bool, now: datetime) -> bool:
        error = self.link.batch_mode(on)
        if error is not None:
            self._leave(now, error)
        return error is None

    def _count_send(self, message: ClaimedMessage, segments: int, now: datetime) -> Callable[[Session], None] | None:
        """The SIM budget counters, written in the same transaction as "sent" (one disk sync per message)."""
        budgets, imsi = self.policy.budgets, self.status.imsi
        if budgets is None or imsi is None:
            return None
        return lambda session: budgets.record_send_in(session, imsi, message.recipient, now, segments)

    def reconfigure(self, *, text_policy: TextPolicy, budget: SimBudget) -> None:
        """A reload: the text policy and the SIM budget of the next messages; the modem stays open.

        Called from the daemon's thread: the new configuration is one reference the worker reads per message."""
        self.config = dataclasses.replace(self.config, text_policy=text_policy, budget=budget)
        imsi, budgets = self.status.imsi, self.policy.budgets
        if budgets is not None and imsi:
            budgets.budgets[imsi] = budget

    # -- events from the driver's thread ----------------------------------------------------------

    def port_gone(self) -> None:
        """The driver saw the port vanish (USB unplug): leave service from the worker's thread."""
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
                    self.journal.storage_failed(exc)
                    delay = STORAGE_RETRY_SECONDS
                except Exception:  # the loop must survive anything; the error is logged with its cause
                    log.exception("worker tick failed", extra={"fields": {"modem": self.modem.modem_id}})
                    delay = 1.0
                if delay > 0:
                    self.mailbox.wait(delay)
        finally:
            self._stop_cleanly()

    def _stop_cleanly(self) -> None:
        if len(self.journal):
            self.journal.flush()
        self._release()
        if len(self.journal):  # still refused: the rows stay claimed and go back to the queue at the next start
            kept = len(self.journal)
            event(log, "outcomes not recorded at stop", logging.ERROR, modem=self.modem.modem_id, kept=kept)
        self.link.close()

    def stop(self) -> None:
        self._stop.set()
        self.mailbox.post(None)


def _now() -> datetime:
    return datetime.now(UTC)
