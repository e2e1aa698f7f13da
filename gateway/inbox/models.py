"""The inbox tables: one row per incoming SMS (a concatenated SMS once all its parts are in), and the parts
of concatenated SMS still waiting for the others."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, Index, Integer, LargeBinary, SmallInteger, String, Text, false
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
        SAEnum(
            InboxKind,
            native_enum=False,
            create_constraint=False,
            length=8,
            values_callable=lambda enum: [m.value for m in enum],
        )
    )
    handled: Mapped[bool] = mapped_column(Boolean, default=False)
    # The latest alert sent to this sender, when there is one: the reply is probably about it.
    linked_alert_id: Mapped[int | None] = mapped_column(Integer)
    # Who marked it handled, and when (a STOP is handled by the gateway itself: both None).
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    handled_by: Mapped[str | None] = mapped_column(String(120))
    # Looks like an opt-out with more words ("STOP svp"): nobody was withdrawn, a person decides.
    stop_suspected: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # When it was pushed by SMS to the duty numbers (None: not pushed), so that it is pushed once.
    forwarded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_inbox_message_pending", "handled", "stored_at"),
        Index("ix_inbox_message_sender", "sender"),
    )


class InboxFragment(Base):
    """One part of a concatenated incoming SMS, kept until the whole message is in the inbox.

    Parts can arrive minutes apart, in any order, across a restart of the daemon: they wait here, durably.
    Consumed parts stay a while longer so that a part the modem hands over twice (read again from the
    SIM after a crash) is recognised as a duplicate rather than as the start of a new message.
    """

    __tablename__ = "inbox_fragment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    modem_id: Mapped[str] = mapped_column(String(32))
    sender: Mapped[str] = mapped_column(String(32))  # as the modem gave it: the same for every part
    reference: Mapped[int] = mapped_column(Integer)  # concatenation reference, 8 or 16 bits
    total: Mapped[int] = mapped_column(SmallInteger)
    number: Mapped[int] = mapped_column(SmallInteger)  # 1-based
    # UTF-16-BE code units: a part may end with half of a surrogate pair that the next part completes.
    units: Mapped[bytes] = mapped_column(LargeBinary)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)  # SMSC timestamp
    stored_at: Mapped[datetime] = mapped_column(UTCDateTime)
    consumed: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (Index("ix_inbox_fragment_message", "modem_id", "sender", "reference", "total"),)
