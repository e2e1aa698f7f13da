"""Tables of alerts: the alert itself and the numbers it was fanned out to."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Enum, ForeignKey, Index, Integer, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gateway.storage.base import Base, UTCDateTime


class AlertStatus(enum.StrEnum):
    """CAP 1.2 ``status``: actual alerts go to members; exercises too, marked EXERCICE; tests to operators only."""

    ACTUAL = "actual"
    EXERCISE = "exercise"
    TEST = "test"


class AlertType(enum.StrEnum):
    """CAP 1.2 ``msgType``: an update or a cancel (end of alert) refers to an earlier alert."""

    ALERT = "alert"
    UPDATE = "update"
    CANCEL = "cancel"


def _enum(cls: type[enum.StrEnum], name: str) -> Enum:
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=16,
        values_callable=lambda e: [m.value for m in e],
    )


class Alert(Base):
    """One alert as the operator sent it. ``text`` is exactly what every SMS of the alert says."""

    __tablename__ = "alert"
    __table_args__ = (Index("ix_alert_created_at", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    text_fr: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text)
    encoding: Mapped[str] = mapped_column(String(8))
    segments: Mapped[int] = mapped_column(SmallInteger)
    status: Mapped[AlertStatus] = mapped_column(_enum(AlertStatus, "alert_status"))
    msg_type: Mapped[AlertType] = mapped_column(_enum(AlertType, "alert_type"))
    # "references" is an SQL keyword: the column gets an explicit name.
    references_id: Mapped[int | None] = mapped_column("references_alert_id", ForeignKey("alert.id"), index=True)
    target_zones: Mapped[list[str]] = mapped_column(JSON, default=list)
    target_streets: Mapped[list[Any]] = mapped_column(JSON, default=list)
    target_categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    whole_territory: Mapped[bool] = mapped_column(Boolean, default=False)
    sender: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    members_count: Mapped[int] = mapped_column(Integer, default=0)
    numbers_count: Mapped[int] = mapped_column(Integer, default=0)
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    # The template it was written from (None: typed by hand), for the statistics by type.
    template: Mapped[str | None] = mapped_column(String(64))
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_by: Mapped[str | None] = mapped_column(String(120))

    def __repr__(self) -> str:
        return f"Alert({self.id} {self.msg_type.value}/{self.status.value} to {self.numbers_count} numbers)"


class AlertRecipient(Base):
    """A number an alert was fanned out to: updates and cancels go to exactly these numbers."""

    __tablename__ = "alert_recipient"

    alert_id: Mapped[int] = mapped_column(ForeignKey("alert.id", ondelete="CASCADE"), primary_key=True)
    e164: Mapped[str] = mapped_column(String(20), primary_key=True)
    message_id: Mapped[int | None] = mapped_column(Integer)
    # The establishments (member ids) this number stood for when the alert was sent: the report says which shops
    # got the alert even after a number changed hands or a member left. None for alerts sent before it was kept.
    member_ids: Mapped[list[int] | None] = mapped_column(JSON)

    __table_args__ = (Index("ix_alert_recipient_e164", "e164", "alert_id"),)
