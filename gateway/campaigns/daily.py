"""The daily job: expire registrations, send due reminders, purge old data. Idempotent; catches up.

Each step is its own transaction, so a failing purge never undoes the expiries and reminders already
committed. A ``daily_run`` row per local day records that the job ran (the scheduler uses it at start-up to
catch up after downtime); running again the same day is harmless: every step finds nothing more to do.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from gateway.alerts.settings import TextSettings
from gateway.campaigns.daytime import local_today
from gateway.campaigns.models import DailyRun
from gateway.campaigns.reminders import ReminderReport, send_due_reminders
from gateway.campaigns.settings import CampaignSettings
from gateway.dispatch.hours import DaytimeWindow
from gateway.outbox.store import Outbox
from gateway.privacy.purge import PurgeReport, purge
from gateway.registry.members import expire_due


@dataclass(frozen=True, slots=True)
class DailyReport:
    day: date
    expired: int
    reminders: ReminderReport
    purged: PurgeReport


def last_run_day(session: Session) -> date | None:
    """The latest local day on which the daily job finished, or None."""
    return session.scalar(select(func.max(DailyRun.day)).where(DailyRun.finished_at.is_not(None)))


def run_daily(
    session_factory: sessionmaker[Session],
    outbox: Outbox,
    now: datetime,
    *,
    campaigns: CampaignSettings,
    hours: DaytimeWindow,
    text: TextSettings,
    actor: str = "system",
) -> DailyReport:
    """Run the three steps for the local day of ``now`` and record the run; returns the counts."""
    today = local_today(now, hours)
    with session_factory() as session:
        expired = expire_due(session, today=today, now=now, actor=actor)
        session.commit()
    with session_factory() as session:
        reminders = send_due_reminders(
            session,
            outbox,
            now=now,
            today=today,
            reminder_days=campaigns.reminder_days,
            hours=hours,
            text_settings=text,
            actor=actor,
        )
        session.commit()
    with session_factory() as session:
        purged = purge(session, now=now, retention_days=campaigns.retention_days, actor=actor)
        session.commit()
    report = DailyReport(today, expired, reminders, purged)
    with session_factory() as session:
        run = session.get(DailyRun, today)
        summary = {"expired": expired, "reminders": asdict(reminders), "purged": asdict(purged)}
        if run is None:
            session.add(DailyRun(day=today, started_at=now, finished_at=now, report=summary))
        else:
            run.finished_at, run.report = now, summary
        session.commit()
    return report
