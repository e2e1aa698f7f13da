"""Tables of the member register: reference lists (zones, streets, categories), members and their numbers.

A member is an *establishment* (a shop, a hotel, a restaurant: one place, one SIRET) with its own street,
zone, category and numbers; establishments sharing a SIREN belong to one business. The business holds
nothing of its own: it is the group of its establishments. An establishment the CCISM knows by SIREN only
(its older files) has no SIRET; a business has at most one such establishment.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Boolean, Date, Enum, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gateway.storage.base import Base, UTCDateTime


class MemberStatus(enum.StrEnum):
    """Where a registration stands. Only ``active`` members whose ``expires_on`` is not past get alerts."""

    ACTIVE = "active"
    EXPIRED = "expired"
    SUSPENDED = "suspended"
    WITHDRAWN = "withdrawn"


class Zone(Base):
    """A quartier used as an alert zone; ``id`` is a stable slug (``marigot``)."""

    __tablename__ = "registry_zone"

    id: Mapped[str] = mapped_column(String(60), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))


class Street(Base):
    """A street in one zone; its name is unique within the zone."""

    __tablename__ = "registry_street"
    __table_args__ = (UniqueConstraint("zone_id", "name", name="uq_registry_street_zone_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    zone_id: Mapped[str] = mapped_column(ForeignKey("registry_zone.id", onupdate="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(160))


class Category(Base):
    """An activity category that alerts can target; ``id`` is a stable slug (``bijouterie``)."""

    __tablename__ = "registry_category"

    id: Mapped[str] = mapped_column(String(60), primary_key=True)
    label: Mapped[str] = mapped_column(String(120))


class Member(Base):
    """A registered establishment. ``expires_on`` is the last day the registration is valid (inclusive).

    ``siret`` is unique when known; ``siren`` is its first nine digits, shared by the business's other
    establishments. :attr:`key` is how operators name it (the SIRET, or the SIREN when there is none).
    """

    __tablename__ = "registry_member"
    __table_args__ = (
        # Targeting filters on status and expiry first, then place and category; this index also serves
        # status-only queries, so status has no index of its own.
        Index("ix_registry_member_target", "status", "expires_on", "zone_id", "category_id"),
        # One establishment without SIRET per business: a SIREN alone must name one establishment.
        Index(
            "uq_registry_member_siren_without_siret",
            "siren",
            unique=True,
            sqlite_where=text("siret IS NULL"),
            postgresql_where=text("siret IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    siren: Mapped[str] = mapped_column(String(9), index=True)
    siret: Mapped[str | None] = mapped_column(String(14), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    category_id: Mapped[str] = mapped_column(ForeignKey("registry_category.id", onupdate="CASCADE"), index=True)
    address: Mapped[str] = mapped_column(String(300), default="")
    street_id: Mapped[int | None] = mapped_column(ForeignKey("registry_street.id"), index=True)
    zone_id: Mapped[str] = mapped_column(ForeignKey("registry_zone.id", onupdate="CASCADE"), index=True)
    contact: Mapped[str] = mapped_column(String(200), default="")
    registered_on: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[MemberStatus] = mapped_column(
        Enum(
            MemberStatus,
            name="member_status",
            native_enum=False,
            create_constraint=True,
            length=16,
            values_callable=lambda e: [m.value for m in e],
        ),
    )
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    phones: Mapped[list[MemberPhone]] = relationship(
        back_populates="member", order_by="MemberPhone.position", cascade="all, delete-orphan"
    )
    street: Mapped[Street | None] = relationship()

    @property
    def key(self) -> str:
        """The establishment's identifier for operators: its SIRET, or its SIREN when it has no SIRET."""
        return self.siret or self.siren

    def __repr__(self) -> str:
        return f"Member({self.key} {self.name!r} {self.status.value} until {self.expires_on})"


class MemberPhone(Base):
    """A mobile number of a member, E.164. The same number may belong to several members (two shops).

    ``withdrawn_at`` is set when that number asked to stop (STOP reply): the member may keep other numbers.
    """

    __tablename__ = "registry_member_phone"
    __table_args__ = (UniqueConstraint("member_id", "e164", name="uq_registry_member_phone_member_e164"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("registry_member.id", ondelete="CASCADE"))
    e164: Mapped[str] = mapped_column(String(20), index=True)
    is_test: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    member: Mapped[Member] = relationship(back_populates="phones")
