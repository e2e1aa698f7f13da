"""The daemon: one process running the dispatcher and the daily scheduler, driven by signals and systemd.

Signal handlers only queue the signal; the main loop acts on it (gunicorn's pattern), feeds systemd's
watchdog while the dispatcher is alive, and keeps the STATUS line current.

SIGTERM/SIGINT: stop taking work, finish the AT command in flight, release claims, exit 0.
SIGHUP: read the configuration file again and apply what ``gateway.reload`` says a reload applies (modems, limits,
budgets, daytime window, text settings, log level); a change that needs a restart is refused by name and the running
value kept. Queued work stays queued.
"""

from __future__ import annotations

import logging
import queue
import signal
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from drivers.base import IncomingSms
from gateway import wake
from gateway.alerts.guard import send_guard
from gateway.campaigns.daytime import local_today
from gateway.campaigns.scheduler import DailyScheduler
from gateway.config import GatewayConfig
from gateway.dispatch.dispatcher import Dispatcher
from gateway.dispatch.policy import build_policy
from gateway.dispatch.wakeup import Wakeup
from gateway.logs import configure, event
from gateway.outbox.retry import RetryPolicy
from gateway.outbox.store import Outbox
from gateway.redact import mask_passwords
from gateway.reload import ReloadPlan, plan_reload
from gateway.replies.receive import Receiver
from gateway.sdnotify import Notifier, watchdog_interval
from gateway.settings import ConfigError, load_config
from gateway.storage import migrate, runlock
from gateway.storage.db import create_directory, make_engine, session_factory
from gateway.storage.errors import MigrationRequiredError
from gateway.storage.migrate import upgrade_engine

if TYPE_CHECKING:
    from gateway.api.server import ApiServer

log = logging.getLogger(__name__)
STATUS_EVERY_SECONDS = 10.0


def prepare_database(config: GatewayConfig) -> None:
    """Bring the schema to this program's version, or refuse with what to do."""
    url = config.database.url
    create_directory(url)
    if migrate.needs_upgrade(url):
        if not config.database.auto_migrate:
            raise MigrationRequiredError(
                f"la base {mask_passwords(url)} a le schéma {migrate.current(url) or 'vide'}, ce programme attend "
                f"{migrate.head()} : lancez « vigicommerce db upgrade » (ou mettez [database] auto_migrate = true)"
            )
        engine = make_engine(url)
        try:
            upgrade_engine(engine)
        finally:
            engine.dispose()
        event(log, "database migrated", revision=migrate.head())


class Daemon:
    def __init__(
        self, config: GatewayConfig, config_path: Path | None = None, notifier: Notifier | None = None
    ) -> None:
        self.config = config
        self.config_path = config_path
        self.notifier = notifier or Notifier()
        # SimpleQueue, not Queue: its put() is reentrant, so a signal handler may call it while the main
        # loop sits in get() (a Queue's lock is not reentrant: a SIGTERM then deadlocked the daemon).
        self._signals: queue.SimpleQueue[int] = queue.SimpleQueue()
        prepare_database(config)
        self.engine = make_engine(config.database.url)
        self.sessions = session_factory(self.engine)
        self.wakeup = Wakeup()
        d = config.dispatch
        self.outbox = Outbox(
            self.engine,
            notify=self.wakeup.notify,
            retry=RetryPolicy(
                initial=timedelta(seconds=d.retry_initial_seconds),
                maximum=timedelta(seconds=d.retry_max_seconds),
                max_attempts=d.max_attempts,
            ),
        )
        hours = config.hours  # its time zone needs a restart: the recipient filter may keep it
        self.dispatcher = Dispatcher(
            self.outbox,
            build_policy(config.modems, config.dispatch, hours, self.engine),
            config.dispatch,
            config.text.policy,
            wakeup=self.wakeup,
            guard=send_guard(
                lambda: local_today(datetime.now(UTC), hours), operator_numbers=config.operator_numbers or None
            ),
            on_incoming=self._incoming,
        )
        self.scheduler = DailyScheduler(
            self.sessions, self.outbox, campaigns=config.campaigns, hours=hours, text=config.text
        )
        self.api: ApiServer | None = None

    def _receiver(self) -> Receiver:
        # Built per use from the configuration in force, which SIGHUP may have replaced.
        return Receiver(self.sessions, self.outbox, self.config.text, self.config.inbox.incomplete_after)

    def _incoming(self, sms: IncomingSms) -> None:
        result = self._receiver().receive(sms, datetime.now(UTC))
        if result is None:
            assert sms.part is not None
            event(log, "reply part stored", sender=sms.sender, part=f"{sms.part.number}/{sms.part.total}")
        else:
            event(log, "reply handled", sender=sms.sender, kind=result.kind)

    def _flush_incomplete_replies(self) -> None:
        for result in self._receiver().flush_incomplete(datetime.now(UTC)):
            event(log, "incomplete reply handled", level=logging.WARNING, sender=result.sender, kind=result.kind)

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        self._signals.put(signum)

    def install_signal_handlers(self) -> None:
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(signum, self._on_signal)

    def request_stop(self) -> None:
        self._signals.put(signal.SIGTERM)

    def reload(self) -> None:
        """SIGHUP: read the file again, apply what a reload applies, refuse (by name, in the log) the rest."""
        try:
            fresh = load_config(self.config_path)
        except ConfigError as exc:  # a bad file on SIGHUP must not stop a running gateway
            event(log, "reload refused: configuration invalid, keeping the running one", logging.ERROR, error=exc)
            return
        plan = plan_reload(self.config, fresh)
        for refused in plan.refused:
            event(
                log,
                "reload: this setting needs a restart, running value kept",
                logging.WARNING,
                key=refused.key,
                running=refused.running,
                file=refused.wanted,
                fix="systemctl restart vigicommerce-gateway",
            )
        self._apply(plan)
        event(
            log,
            "configuration reloaded",
            applied=plan.describe(),
            refused=",".join(r.key for r in plan.refused) or "-",
        )

    def _apply(self, plan: ReloadPlan) -> None:
        config = plan.config
        if plan.log_level_changed:
            configure(config.log_level)
        if plan.dispatcher_changed:
            self.dispatcher.reconfigure(
                config.modems, plan.modems, dispatch=config.dispatch, hours=config.hours, text_policy=config.text.policy
            )
        self.scheduler.reconfigure(hours=config.hours, text=config.text)
        if self.api is not None:
            self.api.context.config = config
        self.config = config  # the receiver of replies reads it per message

    def serve(self, until: Callable[[], bool] | None = None) -> int:
        """Run until SIGTERM/SIGINT (or ``until()`` turns true); return the exit code."""
        from gateway.api.server import bind_api  # noqa: PLC0415 - the web stack only where it serves

        api = self.api = bind_api(self)  # before any send: a busy port or a foreign address stops the daemon here
        self.dispatcher.start(self.config.modems)
        wake_path = wake.socket_path(self.config.database.url, self.config.dispatch.wake_socket)
        listener = wake.WakeListener(wake_path, self.wakeup.notify) if wake_path is not None else None
        if listener is not None:
            listener.start()  # commands in other processes (vigicommerce alert send) wake the workers
        api.start()
        # Every minute, and once at start: a long reply whose last parts never came still reaches the inbox.
        self.scheduler.every_minute(self._flush_incomplete_replies, "incomplete-replies")
        self.scheduler.start()
        self.notifier.ready(self.dispatcher.summary())
        event(log, "gateway started", modems=len(self.config.modems), database=mask_passwords(self.config.database.url))
        beat = watchdog_interval() or 5.0
        last_status = 0.0
        try:
            while until is None or not until():
                try:
                    signum = self._signals.get(timeout=min(beat, 1.0))
                except queue.Empty:
                    signum = None
                if signum in (signal.SIGTERM, signal.SIGINT):
                    break
                if signum == signal.SIGHUP:
                    self.notifier.send("RELOADING=1")
                    self.reload()
                    self.notifier.ready(self.dispatcher.summary())
                if self.dispatcher.alive():
                    self.notifier.watchdog()  # only while the dispatcher is alive: systemd restarts a stuck one
                if time.monotonic() - last_status > STATUS_EVERY_SECONDS:
                    last_status = time.monotonic()
                    self.notifier.status(self.dispatcher.summary())
        finally:
            api.stop()  # first: no new alert is taken while the rest shuts down
            self.notifier.stopping()
            event(log, "gateway stopping")
            self.scheduler.shutdown()
            if listener is not None:
                listener.stop()
            self.dispatcher.stop()
            self.engine.dispose()
            event(log, "gateway stopped")
        return 0


def run(config_path: Path | None = None) -> int:
    """Entry point of ``vigicommerce run``: the signal handlers need the main thread."""
    stop_requested: list[int] = []
    if threading.current_thread() is threading.main_thread():
        # Until the daemon's own handlers are in place, a SIGTERM during start-up still means a clean exit.
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda n, _f: stop_requested.append(n))
    config = load_config(config_path)
    configure(config.log_level)
    # Held while the daemon lives: `vigicommerce db restore` refuses to replace the database under it.
    with runlock.held(config.database.url, exclusive=False):
        daemon = Daemon(config, config_path)
        if threading.current_thread() is threading.main_thread():
            daemon.install_signal_handlers()
        if stop_requested:
            daemon.request_stop()
        code = daemon.serve()
    if threading.current_thread() is threading.main_thread():
        # Stopped and about to exit: a further SIGTERM/SIGINT (an impatient operator, a supervisor repeating
        # itself) must not turn exit 0 into death by signal. The interpreter's exit restores default actions
        # for Python handlers, not for ignored signals.
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(signum, signal.SIG_IGN)
    return code
