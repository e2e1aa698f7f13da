"""Tables of the outbox: one row per message to one number, one row per submitted part (for reports)."""

from __future__ import annotations

from datetime import datetime
from enum import IntEnum

from sqlalchemy import Boolean, ForeignKey, Index, Integer, SmallInteger, String, Text
from sqlalchemy import Enum as SAEnum
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from gateway.outbox.states import MessageState
from gateway.storage.base import Base, UTCDateTime


class Priority(IntEnum):
    """Lower sends first: an alert overtakes everything queued."""

    ALERT = 0
    OPERATIONAL = 1
    REMINDER = 2


class PriorityType(TypeDecorator[Priority]):
    """Stored as a small integer so that ``ORDER BY priority`` is the sending order."""

    impl = SmallInteger
    cache_ok = True

    def process_bind_param(self, value: Priority | int | None, dialect: Dialect) -> int | None:
        return None if value is None else int(Priority(value))

    def process_result_value(self, value: int | None, dialect: Dialect) -> Priority | None:
        return None if value is None else Priority(value)


STATE_TYPE = SAEnum(
    MessageState,
    native_enum=False,
    create_constraint=False,
    length=16,
    values_callable=lambda enum: [member.value for member in enum],
)


class OutboxMessage(Base):
    """A text to one E.164 number. Only ``gateway.outbox.store`` changes ``state``."""

    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recipient: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    priority: Mapped[Priority] = mapped_column(PriorityType)
    state: Mapped[MessageState] = mapped_column(STATE_TYPE, default=MessageState.QUEUED)
    not_before: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    modem_id: Mapped[str | None] = mapped_column(String(32))
    worker_id: Mapped[str | None] = mapped_column(String(128))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when a cancel arrives while a worker holds the row: the worker's report decides (see store.cancel).
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    message_refs: Mapped[str | None] = mapped_column(String(200))
    segments: Mapped[int | None] = mapped_column(SmallInteger)
    encoding: Mapped[str | None] = mapped_column(String(8))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    alert_id: Mapped[int | None] = mapped_column(Integer)
    campaign_id: Mapped[int | None] = mapped_column(Integer)
    # Nearest first, within one alert: 0 on a street the alert names, 1 elsewhere in a quartier it names, 2 the
    # others (gateway.registry.targeting.rank); 0 for every other message. Written once, at the fan-out.
    rank: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")

    __table_args__ = (
        # The claim: queued rows by priority, then alert by alert in the order they were dropped (their rows
        # share the fan-out's created_at), nearest first within an alert.
        Index("ix_outbox_message_claim", "state", "priority", "created_at", "rank", "id"),
        # Stale-claim recovery and release by worker.
        Index("ix_outbox_message_worker", "state", "worker_id", "claimed_at"),
        Index("ix_outbox_message_expiry", "state", "expires_at"),
        Index("ix_outbox_message_alert_id", "alert_id"),
        Index("ix_outbox_message_campaign_id", "campaign_id"),
        Index("ix_outbox_message_recipient", "recipient", "sent_at"),
    )


class SubmittedPart(Base):
    """One SMS segment accepted by a modem, with the reference (0..255) its delivery report will carry."""

    __tablename__ = "outbox_part"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("outbox_message.id", ondelete="CASCADE"))
    part_no: Mapped[int] = mapped_column(SmallInteger)
    modem_id: Mapped[str] = mapped_column(String(32))
    reference: Mapped[int] = mapped_column(SmallInteger)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # None until a report arrives; then delivered or not, and whether that report was final.
    delivered: Mapped[bool | None] = mapped_column(Boolean)
    final: Mapped[bool] = mapped_column(Boolean, default=False)
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_outbox_part_match", "modem_id", "reference", "submitted_at"),
        Index("ix_outbox_part_message_id", "message_id"),
    )
