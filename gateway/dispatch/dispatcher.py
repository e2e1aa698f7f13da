"""The dispatcher: one worker thread per modem, modem events into the database, stale-claim recovery.

It owns no sending logic (that is ``worker``) and no storage logic (``gateway.outbox``); it builds the
workers from the settings, routes modem events, keeps a maintenance loop, applies a reload (SIGHUP) as
``gateway.dispatch.changes`` decides it, and answers ``alive()`` for systemd's watchdog.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from drivers.at_modem import AtModem
from drivers.backoff import Backoff
from drivers.base import (
    DeliveryReport,
    IncomingSms,
    LateSubmitResult,
    Modem,
    ModemEvent,
    ModemState,
    ModemStateChanged,
    TextPolicy,
)
from drivers.settings import PortSettings
from gateway.dispatch.changes import ModemChanges
from gateway.dispatch.hours import DaytimeWindow
from gateway.dispatch.policy import SendPolicy, overall_limits
from gateway.dispatch.settings import DispatchSettings, ModemSettings
from gateway.dispatch.wakeup import Wakeup
from gateway.dispatch.worker import ModemWorker, WorkerConfig, WorkerStatus
from gateway.logs import event
from gateway.outbox.store import Outbox
from gateway.outbox.types import SendGuard

log = logging.getLogger(__name__)

MAINTENANCE_SECONDS = 5.0
# A report can overtake the worker's own "sent" commit (fast networks, the simulator's --fast mode):
# unmatched reports are tried again at each maintenance tick for this long.
UNMATCHED_REPORT_SECONDS = 120.0
IncomingHandler = Callable[[IncomingSms], None]
ModemFactory = Callable[[PortSettings, Callable[[ModemEvent], None]], Modem]


def at_modem_factory(port: PortSettings, on_event: Callable[[ModemEvent], None]) -> Modem:
    return AtModem(port, on_event)


@dataclass
class _Running:
    settings: ModemSettings
    worker: ModemWorker
    thread: threading.Thread


class Dispatcher:
    def __init__(
        self,
        outbox: Outbox,
        policy: SendPolicy,
        dispatch: DispatchSettings,
        text_policy: TextPolicy,
        *,
        wakeup: Wakeup | None = None,
        modem_factory: ModemFactory = at_modem_factory,
        guard: SendGuard | None = None,
        on_incoming: IncomingHandler | None = None,
    ) -> None:
        self.outbox = outbox
        self.policy = policy
        self.dispatch = dispatch
        self.text_policy = text_policy
        self.wakeup = wakeup or Wakeup()
        self.modem_factory = modem_factory
        self.guard = guard
        self.on_incoming = on_incoming
        self._running: dict[str, _Running] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._maintenance: threading.Thread | None = None
        self._last_maintenance = time.monotonic()
        self._unmatched: list[tuple[float, DeliveryReport]] = []
        self._unmatched_lock = threading.Lock()

    # -- lifecycle --------------------------------------------------------------------------------

    def start(self, modems: Sequence[ModemSettings]) -> None:
        # We are the only dispatcher on this database at start-up: every claim left is a dead worker's.
        recovered = self.outbox.recover_stale(timedelta(0), _now())
        if recovered:
            event(log, "claims recovered at start-up", logging.WARNING, count=recovered)
        for modem in modems:
            if modem.enabled:
                self._start_worker(modem)
        self._maintenance = threading.Thread(target=self._maintain, name="dispatch-maintenance", daemon=True)
        self._maintenance.start()

    def _start_worker(self, modem: ModemSettings) -> None:
        d = self.dispatch
        config = WorkerConfig(
            batch_size=d.batch_size,
            use_cmms=d.use_cmms,
            text_policy=self.text_policy,
            reopen_backoff=Backoff(initial=d.reopen_initial_seconds, max=d.reopen_max_seconds),
            late_result_hold=timedelta(seconds=d.late_result_window_seconds),
            resend_ambiguous=d.resend_ambiguous,
            same_failures=d.sick_after_same_failures,
            device_poll_seconds=d.device_poll_seconds,
            budget=modem.budget,
        )
        worker = ModemWorker(
            self.modem_factory(modem.port, self._on_event),
            self.outbox,
            self.policy,
            self.wakeup.mailbox(),
            config,
            guard=self.guard,
            device=modem.port.device,
            peers=self.statuses,
            worker_id=f"{modem.id}@{id(self):x}",
        )
        thread = threading.Thread(target=worker.run, name=f"worker-{modem.id}", daemon=True)
        with self._lock:
            self._running[modem.id] = _Running(modem, worker, thread)
        thread.start()

    def _stop_worker(self, modem_id: str, timeout: float) -> None:
        with self._lock:
            running = self._running.pop(modem_id, None)
        if running is None:
            return
        running.worker.stop()
        running.thread.join(timeout)
        self.wakeup.remove(running.worker.mailbox)

    def stop(self, timeout: float | None = None) -> None:
        """Stop taking work, let each modem finish its AT command in flight, give claims back."""
        timeout = self.dispatch.stop_timeout_seconds if timeout is None else timeout
        self._stop.set()
        with self._lock:
            ids = list(self._running)
            for running in self._running.values():
                running.worker.stop()
        deadline = time.monotonic() + timeout
        for modem_id in ids:
            self._stop_worker(modem_id, max(0.1, deadline - time.monotonic()))
        if self._maintenance is not None:
            self._maintenance.join(timeout=2)

    def reconfigure(
        self,
        modems: Sequence[ModemSettings],
        changes: ModemChanges,
        *,
        dispatch: DispatchSettings,
        hours: DaytimeWindow,
        text_policy: TextPolicy,
    ) -> None:
        """Apply a reload: ``modems`` is the new list, ``changes`` what it changes (``modem_changes``).

        Modems closed or reopened stop first and give their claims back; then the limits and the daytime window
        change for every worker; the running workers take the text policy and
        their SIM budget without reopening; last, new and reopened modems open. Queued work stays queued."""
        timeout = self.dispatch.stop_timeout_seconds
        for modem_id in (*changes.stop, *(m.id for m in changes.reopen)):
            self._stop_worker(modem_id, timeout)
        wanted = {m.id: m for m in modems if m.enabled}
        self.dispatch, self.text_policy = dispatch, text_policy
        self.policy.reconfigure(
            {m.id: m.limits for m in wanted.values()},
            overall_limits(dispatch),
            hours,
        )
        with self._lock:
            running = list(self._running.values())
        for r in running:
            if r.settings.id in wanted:  # every running modem is, when ``changes`` came from this list
                r.settings = wanted[r.settings.id]
                r.worker.reconfigure(text_policy=text_policy, budget=r.settings.budget)
        for modem in (*changes.reopen, *changes.start):
            self._start_worker(modem)
        event(log, "modems reloaded", modems=",".join(sorted(wanted)) or "-", changes=changes.describe() or "-")

    # -- wake-ups, events, maintenance --------------------------------------------------------------

    def notify(self, priority: int | None = None) -> None:
        self.wakeup.notify(priority)

    def _on_event(self, item: ModemEvent) -> None:
        now = _now()
        if isinstance(item, DeliveryReport):
            if not self._apply_report(item, now):
                with self._unmatched_lock:
                    self._unmatched.append((time.monotonic(), item))
        elif isinstance(item, IncomingSms):
            event(log, "incoming sms", modem=item.modem_id, sender=item.sender)
            if self.on_incoming is not None:
                self.on_incoming(item)
        elif isinstance(item, LateSubmitResult):
            with self._lock:
                running = self._running.get(item.modem_id)
            if running is not None:
                running.worker.late_result(item.reference)
        elif isinstance(item, ModemStateChanged):
            event(log, "modem state", modem=item.modem_id, state=item.state.value, detail=item.detail)
            if item.state is ModemState.GONE:
                with self._lock:
                    running = self._running.get(item.modem_id)
                if running is not None:
                    running.worker.port_gone()
            self.wakeup.notify(None)

    def _apply_report(self, report: DeliveryReport, now: datetime) -> bool:
        outcome = self.outbox.record_report(
            report.modem_id,
            report.reference,
            delivered=report.delivered,
            final=report.final,
            now=now,
            window=timedelta(hours=self.dispatch.report_match_window_hours),
        )
        event(
            log,
            "delivery report",
            modem=report.modem_id,
            ref=report.reference,
            delivered=report.delivered,
            matched=outcome is not None,
        )
        return outcome is not None

    def _retry_unmatched(self) -> None:
        with self._unmatched_lock:
            pending, self._unmatched = self._unmatched, []
        keep = [
            (seen, report)
            for seen, report in pending
            if not self._apply_report(report, _now()) and time.monotonic() - seen < UNMATCHED_REPORT_SECONDS
        ]
        with self._unmatched_lock:
            self._unmatched.extend(keep)

    def _maintain(self) -> None:
        stale = timedelta(seconds=self.dispatch.stale_claim_seconds)
        while not self._stop.wait(MAINTENANCE_SECONDS):
            self._last_maintenance = time.monotonic()
            try:
                self._retry_unmatched()
                recovered = self.outbox.recover_stale(stale, _now())
                if recovered:
                    event(log, "stale claims recovered", logging.WARNING, count=recovered)
                    self.wakeup.notify(None)
            except Exception:  # the maintenance loop must outlive a busy or full database
                log.exception("maintenance failed")

    # -- observation ---------------------------------------------------------------------------------

    def statuses(self) -> list[WorkerStatus]:
        with self._lock:
            return [r.worker.status for r in self._running.values()]

    def alive(self) -> bool:
        """For the watchdog: the maintenance loop runs and every worker thread is alive and not stuck
        beyond the longest legitimate AT exchange (a submit may take ``submit_timeout``)."""
        if self._maintenance is None or not self._maintenance.is_alive():
            return False
        if time.monotonic() - self._last_maintenance > 3 * MAINTENANCE_SECONDS + 5:
            return False
        with self._lock:
            running = list(self._running.values())
        for r in running:
            port = r.settings.port
            patience = port.submit_timeout + 4 * port.command_timeout + 60
            if not r.thread.is_alive() or time.monotonic() - r.worker.status.last_tick > patience:
                return False
        return True

    def summary(self) -> str:
        """One line for systemd's STATUS and the logs: modems ready and the queue."""
        statuses = self.statuses()
        ready = sum(1 for s in statuses if s.state == "open")
        counts = self.outbox.counts()
        queued = sum(n for (state, _), n in counts.items() if state.value == "queued")
        sending = sum(n for (state, _), n in counts.items() if state.value == "sending")
        return f"modems {ready}/{len(statuses)} ready; queued {queued}; sending {sending}"


def _now() -> datetime:
    return datetime.now(UTC)
