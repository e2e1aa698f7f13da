"""Reminders (idempotent, catching up, daytime), re-registration campaigns, the daily job and its scheduler."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, JobExecutionEvent
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from gateway.alerts.settings import TextSettings
from gateway.audit import entries
from gateway.campaigns.daily import last_run_day, run_daily
from gateway.campaigns.daytime import local_today
from gateway.campaigns.errors import CampaignError
from gateway.campaigns.models import ReminderSent
from gateway.campaigns.reminders import due_threshold, send_due_reminders
from gateway.campaigns.reregistration import launch_reregistration
from gateway.campaigns.scheduler import DailyScheduler, catch_up_due
from gateway.campaigns.settings import CampaignSettings
from gateway.dispatch.hours import DaytimeWindow
from gateway.outbox.models import OutboxMessage, Priority
from gateway.outbox.store import Outbox
from gateway.registry import members as m
from gateway.registry.models import Member, MemberStatus
from gateway.registry.records import MemberInput, add_years
from gateway.registry.reference import load_reference
from gateway.storage import migrate
from gateway.storage.db import make_engine, session_factory

DATA = Path(__file__).resolve().parents[2] / "data"
NOW = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)  # 11:00 in Saint-Martin
TODAY = date(2026, 11, 27)
HOURS, TEXT, CAMPAIGNS = DaytimeWindow(), TextSettings(), CampaignSettings()
DAYS = [60, 30, 7]


@pytest.fixture
def factory(database_url: str) -> Iterator[sessionmaker[Session]]:
    url = database_url
    migrate.upgrade(url)
    engine = make_engine(url)
    sessions = session_factory(engine)
    with sessions() as s:
        load_reference(s, DATA)
        s.commit()
    yield sessions
    engine.dispose()


@pytest.fixture
def outbox(factory: sessionmaker[Session]) -> Outbox:
    bind = factory.kw["bind"]
    return Outbox(bind)


def member(s: Session, siren: str, expires_on: date, phones: list[str]) -> None:
    registered = add_years(expires_on, -3)
    m.create_member(
        s,
        MemberInput(
            siren=siren,
            name=f"Boutique {siren}",
            category="bijouterie",
            zone="marigot",
            phones=phones,
            registered_on=registered,
        ),
        now=NOW,
        actor="ccism",
    )
    s.commit()


def reminders(s: Session, outbox: Outbox, day: date, now: datetime | None = None) -> int:
    moment = now or datetime.combine(day, time(15), UTC)
    report = send_due_reminders(s, outbox, now=moment, today=day, reminder_days=DAYS, hours=HOURS, text_settings=TEXT)
    s.commit()
    return report.messages


def rows(s: Session) -> list[OutboxMessage]:
    return list(s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


@pytest.mark.parametrize(
    ("days_left", "expected"),
    [(61, None), (60, 60), (45, 60), (31, 60), (30, 30), (29, 30), (8, 30), (7, 7), (0, 7), (-1, None)],
)
def test_due_threshold(days_left: int, expected: int | None) -> None:
    assert due_threshold(days_left, DAYS) == expected


def test_reminders_at_60_30_7_days_once_each(factory: sessionmaker[Session], outbox: Outbox) -> None:
    with factory() as s:
        member(s, "246341275", TODAY + timedelta(days=60), ["+33639980001", "+33639980002"])
        sent = {}
        for offset in range(0, 61):
            day = TODAY + timedelta(days=offset)
            sent[offset] = reminders(s, outbox, day)
            assert reminders(s, outbox, day) == 0  # run twice the same day: nothing more
        assert {k: v for k, v in sent.items() if v} == {0: 2, 30: 2, 53: 2}
        got = rows(s)
        assert {r.priority for r in got} == {Priority.REMINDER}
        assert all(r.campaign_id is not None for r in got)
        assert "prend fin le 26/01/2027" in got[0].text and "Boutique 246341275" in got[0].text
        assert "\n---\nVigicommerce: the registration" in got[0].text
        thresholds = sorted(s.scalars(select(ReminderSent.threshold_days)))
        assert thresholds == [7, 30, 60]
        assert len(entries(s, action="campaign.reminders")) == 3


def test_catch_up_after_days_off_sends_one_reminder_not_three(factory: sessionmaker[Session], outbox: Outbox) -> None:
    with factory() as s:
        member(s, "246341275", TODAY + timedelta(days=29), ["+33639980001"])
        # The server was off from day 61 to day 30 before expiry: one reminder (the 30-day one).
        assert reminders(s, outbox, TODAY) == 1
        assert reminders(s, outbox, TODAY + timedelta(days=3)) == 0
        assert reminders(s, outbox, TODAY + timedelta(days=22)) == 1  # the 7-day one
        assert sorted(s.scalars(select(ReminderSent.threshold_days))) == [7, 30]


def test_renewal_starts_a_new_cycle_and_withdrawn_numbers_get_nothing(
    factory: sessionmaker[Session], outbox: Outbox
) -> None:
    with factory() as s:
        member(s, "246341275", TODAY + timedelta(days=7), ["+33639980001", "+33639980002"])
        m.withdraw_number(s, "+33639980002", now=NOW, actor="sms")
        s.commit()
        assert reminders(s, outbox, TODAY) == 1
        assert [r.recipient for r in rows(s)] == ["+33639980001"]
        m.renew(s, "246341275", today=TODAY, now=NOW, actor="ccism")
        s.commit()
        assert reminders(s, outbox, TODAY + timedelta(days=1)) == 0


def test_reminders_queued_at_night_are_held_by_the_window_not_by_the_row(
    factory: sessionmaker[Session], outbox: Outbox
) -> None:
    """The workers apply the daytime window when they claim (a reload may change it): the row itself carries no
    ``not_before`` that an old window would have fixed."""
    night = datetime(2026, 11, 27, 6, 0, tzinfo=UTC)  # 02:00 local
    late = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)  # 21:00 local on the 27th
    assert local_today(late, HOURS) == date(2026, 11, 27)
    with factory() as s:
        member(s, "246341275", TODAY + timedelta(days=30), ["+33639980001"])
        reminders(s, outbox, TODAY, now=night)
        (row,) = rows(s)
        assert row.not_before is None and row.priority == Priority.REMINDER
        assert row.expires_at is not None and row.expires_at.date() == TODAY + timedelta(days=31)
    assert outbox.claim("w", "m0", limit=5, now=night, priorities=frozenset({Priority.ALERT})) == []
    assert len(outbox.claim("w", "m0", limit=5, now=night, priorities=frozenset(Priority))) == 1


def test_a_reminder_that_could_only_go_after_its_expiry_is_not_queued(
    factory: sessionmaker[Session], outbox: Outbox
) -> None:
    evening = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)  # 21:00 local on the 27th: next daytime is the 28th
    with factory() as s:
        member(s, "246341275", TODAY, ["+33639980001"])  # expires today: the reminder could never go
        assert reminders(s, outbox, TODAY, now=evening) == 0
        member(s, "078984705", TODAY + timedelta(days=1), ["+33639980002"])
        assert reminders(s, outbox, TODAY, now=evening) == 1


def test_reregistration_campaign_one_message_per_distinct_number(
    factory: sessionmaker[Session], outbox: Outbox
) -> None:
    with factory() as s:
        member(s, "246341275", date(2027, 1, 10), ["+33639980001", "+33639980002"])
        member(s, "078984705", date(2027, 1, 20), ["+33639980001"])  # same owner, same number
        member(s, "682734884", date(2027, 3, 1), ["+33639980003"])  # outside the period
        member(s, "110904349", date(2027, 1, 15), ["+33639980004"])
        m.withdraw_member(s, "110904349", now=NOW, actor="ccism")
        s.commit()
        report = launch_reregistration(
            s,
            outbox,
            ends_from=date(2027, 1, 1),
            ends_to=date(2027, 1, 31),
            window_from=date(2026, 12, 1),
            window_to=date(2026, 12, 31),
            now=NOW,
            actor="ccism.martin",
            text_settings=TEXT,
        )
        assert (report.members, report.messages) == (2, 2)
        got = rows(s)
        assert [r.recipient for r in got] == ["+33639980001", "+33639980002"]
        assert all(r.campaign_id == report.campaign_id and r.priority is Priority.REMINDER for r in got)
        assert "du 01/12/2026 au 31/12/2026" in got[0].text
        (audit_row,) = entries(s, action="campaign.reregistration")
        assert (audit_row.actor, audit_row.count, audit_row.details["members"]) == ("ccism.martin", 2, 2)
        with pytest.raises(CampaignError):
            launch_reregistration(
                s,
                outbox,
                ends_from=date(2027, 2, 1),
                ends_to=date(2027, 1, 1),
                window_from=TODAY,
                window_to=TODAY,
                now=NOW,
                actor="x",
                text_settings=TEXT,
            )


def test_daily_job_expires_reminds_purges_and_is_idempotent(factory: sessionmaker[Session], outbox: Outbox) -> None:
    with factory() as s:
        member(s, "246341275", TODAY - timedelta(days=1), ["+33639980001"])  # expired yesterday
        member(s, "078984705", TODAY + timedelta(days=7), ["+33639980002"])
        s.commit()
        s.execute(update(Member).values(status=MemberStatus.ACTIVE))  # as if nobody had run the job
        s.commit()
    first = run_daily(factory, outbox, NOW, campaigns=CAMPAIGNS, hours=HOURS, text=TEXT)
    assert (first.day, first.expired, first.reminders.messages) == (TODAY, 1, 1)
    second = run_daily(factory, outbox, NOW + timedelta(hours=1), campaigns=CAMPAIGNS, hours=HOURS, text=TEXT)
    assert (second.expired, second.reminders.messages, second.purged.messages) == (0, 0, 0)
    with factory() as s:
        assert last_run_day(s) == TODAY
        assert len(rows(s)) == 1
        assert m.get_member(s, "246341275").status is MemberStatus.EXPIRED


def test_catch_up_rule() -> None:
    six = CampaignSettings(daily_job_time=time(6, 0))
    morning = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)  # 05:00 local, before the job time
    assert catch_up_due(None, NOW, six, HOURS)
    assert not catch_up_due(TODAY, NOW, six, HOURS)
    assert catch_up_due(TODAY - timedelta(days=1), NOW, six, HOURS)  # 11:00 local, today's run missing
    assert not catch_up_due(TODAY - timedelta(days=1), morning, six, HOURS)  # today's run is still to come
    assert catch_up_due(TODAY - timedelta(days=4), morning, six, HOURS)  # off for days


def test_scheduler_catches_up_at_start(factory: sessionmaker[Session], outbox: Outbox) -> None:
    with factory() as s:
        member(s, "246341275", TODAY + timedelta(days=7), ["+33639980001"])
    daily = DailyScheduler(factory, outbox, campaigns=CAMPAIGNS, hours=HOURS, text=TEXT, clock=lambda: NOW)
    done = threading.Event()
    failures: list[BaseException] = []

    def listener(event: JobExecutionEvent) -> None:
        if event.exception is not None:
            failures.append(event.exception)
        done.set()

    daily.scheduler.add_listener(listener, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    daily.start()
    try:
        assert done.wait(10), "the catch-up run did not happen"
        assert failures == []
        assert daily.scheduler.get_job("vigicommerce-daily") is not None
    finally:
        daily.shutdown()
    with factory() as s:
        assert last_run_day(s) == TODAY
        assert len(rows(s)) == 1
