"""Wiring the daily job into APScheduler 3.

A ``BackgroundScheduler`` with an in-memory job store and a cron trigger at ``[campaigns] daily_job_time``
(station time zone), ``coalesce=True`` and a day-long ``misfire_grace_time``: a run missed while the process
was busy happens once, late. Restarts and days of downtime are covered by the persisted ``daily_run``
marker instead of a persisted job store (whose pickled job would have to carry the engine): at start-up,
if today's run is missing and its time has passed, the job runs at once. The job being idempotent, an
extra run is harmless.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy.orm import Session, sessionmaker

from gateway.alerts.settings import TextSettings
from gateway.campaigns.daily import DailyReport, last_run_day, run_daily
from gateway.campaigns.daytime import local_today
from gateway.campaigns.settings import CampaignSettings
from gateway.dispatch.hours import DaytimeWindow
from gateway.outbox.store import Outbox

JOB_ID = "vigicommerce-daily"
log = logging.getLogger(__name__)


def catch_up_due(last_day: date | None, now: datetime, campaigns: CampaignSettings, hours: DaytimeWindow) -> bool:
    """Whether the start-up must run the job now: today's run is missing and its time has passed, or
    (before today's time) yesterday's run is missing too."""
    today = local_today(now, hours)
    if last_day == today:
        return False
    local_time = now.astimezone(hours.tz).time()
    return last_day is None or local_time >= campaigns.daily_job_time or last_day < today - timedelta(days=1)


class DailyScheduler:
    """Owns the APScheduler instance; ``start`` catches up, then schedules the daily run."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        outbox: Outbox,
        *,
        campaigns: CampaignSettings,
        hours: DaytimeWindow,
        text: TextSettings,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._sessions = session_factory
        self._outbox = outbox
        self._campaigns, self._hours, self._text = campaigns, hours, text
        self._clock = clock
        self.scheduler = BackgroundScheduler(timezone=hours.tz)

    def reconfigure(self, *, hours: DaytimeWindow, text: TextSettings) -> None:
        """The daytime window and text settings of the next runs (a reload). The job's time and the time zone
        of its trigger are kept: changing them needs a restart."""
        self._hours, self._text = hours, text

    def run_once(self) -> DailyReport:
        """One run of the daily job now (also what the cron trigger calls)."""
        report = run_daily(
            self._sessions, self._outbox, self._clock(), campaigns=self._campaigns, hours=self._hours, text=self._text
        )
        log.info(
            "daily job day=%s expired=%d reminders=%d purged_messages=%d",
            report.day,
            report.expired,
            report.reminders.messages,
            report.purged.messages,
        )
        return report

    def start(self) -> None:
        with self._sessions() as session:
            last = last_run_day(session)
        if catch_up_due(last, self._clock(), self._campaigns, self._hours):
            self.scheduler.add_job(self.run_once, id=JOB_ID + "-catch-up", coalesce=True, misfire_grace_time=24 * 3600)
        at = self._campaigns.daily_job_time
        self.scheduler.add_job(
            self.run_once,
            CronTrigger(hour=at.hour, minute=at.minute, timezone=self._hours.tz),
            id=JOB_ID,
            coalesce=True,
            misfire_grace_time=24 * 3600,
            max_instances=1,
            replace_existing=True,
        )
        self.scheduler.start()

    def every_minute(self, job: Callable[[], object], job_id: str) -> None:
        """Run ``job`` now and then every minute on the same scheduler thread (housekeeping of other packages)."""
        self.scheduler.add_job(
            job,
            "interval",
            minutes=1,
            id=job_id,
            next_run_time=self._clock(),
            coalesce=True,
            max_instances=1,
            replace_existing=True,
        )

    def shutdown(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
