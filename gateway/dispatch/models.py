"""Persistent SIM budget counters: who each SIM texted this month, how much it sent each day.

Months and days are local (America/Marigot): the operators' plans count in local calendar time.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from gateway.storage.base import Base, UTCDateTime


class SimRecipient(Base):
    """A distinct number a SIM texted in a month; also the sticky recipient -> SIM assignment."""

    __tablename__ = "sim_recipient"

    imsi: Mapped[str] = mapped_column(String(16), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # "2025-03"
    number: Mapped[str] = mapped_column(String(16), primary_key=True, index=True)
    first_sent_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SimUsage(Base):
    """Messages (segments) a SIM sent on one local day."""

    __tablename__ = "sim_usage"

    imsi: Mapped[str] = mapped_column(String(16), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
