"""Tables of campaigns: each sending run, the reminders already sent, and the daily job's runs."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, Enum, ForeignKey, Index, Integer, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gateway.storage.base import Base, UTCDateTime


class CampaignKind(enum.StrEnum):
    REMINDER = "reminder"
    REREGISTRATION = "reregistration"


class Campaign(Base):
    """One sending run to members (a day's reminders, or a re-registration campaign launched by the CCISM).

    Outbox rows carry its id in ``campaign_id``. ``text`` is the campaign's text (reminders: the French
    template, since each reminder names its member).
    """

    __tablename__ = "campaign"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[CampaignKind] = mapped_column(
        Enum(
            CampaignKind,
            name="campaign_kind",
            native_enum=False,
            create_constraint=True,
            length=16,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(120))
    text: Mapped[str] = mapped_column(Text, default="")
    ends_from: Mapped[date | None] = mapped_column(Date)
    ends_to: Mapped[date | None] = mapped_column(Date)
    window_from: Mapped[date | None] = mapped_column(Date)
    window_to: Mapped[date | None] = mapped_column(Date)
    members_count: Mapped[int] = mapped_column(Integer, default=0)
    messages_count: Mapped[int] = mapped_column(Integer, default=0)


class ReminderSent(Base):
    """A reminder sent to a member for one expiry date at one threshold (days before expiry).

    The unique constraint is what makes the daily job idempotent: the same reminder cannot be recorded twice,
    even by two jobs racing. A renewal changes ``expires_on`` and so starts a new cycle of reminders.
    """

    __tablename__ = "reminder_sent"
    __table_args__ = (
        UniqueConstraint("member_id", "expires_on", "threshold_days", name="uq_reminder_sent_member_expiry_days"),
        Index("ix_reminder_sent_expires_on", "expires_on"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("registry_member.id", ondelete="CASCADE"))
    expires_on: Mapped[date] = mapped_column(Date)
    threshold_days: Mapped[int] = mapped_column(SmallInteger)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"))
    numbers: Mapped[int] = mapped_column(SmallInteger, default=0)


class DailyRun(Base):
    """One run of the daily job per local day: lets a restarted daemon know whether today's run happened."""

    __tablename__ = "daily_run"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    report: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
