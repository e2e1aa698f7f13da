"""The inbox table: one row per incoming SMS (multipart texts already joined by the driver)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, Index, Integer, String, Text
from sqlalchemy import Enum as SAEnum
from sqlalchemy.orm import Mapped, mapped_column

from gateway.storage.base import Base, UTCDateTime


class InboxKind(StrEnum):
    REPLY = "reply"
    STOP = "stop"


class InboxMessage(Base):
    __tablename__ = "inbox_message"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    modem_id: Mapped[str] = mapped_column(String(32))
    sender: Mapped[str] = mapped_column(String(32))  # E.164 or an alphanumeric originator
    text: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)  # SMSC timestamp
    stored_at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[InboxKind] = mapped_column(
        SAEnum(InboxKind, native_enum=False, create_constraint=False, length=8,
               values_callable=lambda enum: [m.value for m in enum])
    )  # fmt: skip
    handled: Mapped[bool] = mapped_column(Boolean, default=False)
    # The latest alert sent to this sender, when there is one: the reply is probably about it.
    linked_alert_id: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (
        Index("ix_inbox_message_pending", "handled", "stored_at"),
        Index("ix_inbox_message_sender", "sender"),
    )
