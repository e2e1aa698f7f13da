"""Use cases of the member register (establishments): search, show, create, update, renew, withdraw, suspend,
reactivate, rejoin, personal data, import and export. See :mod:`gateway.usecases` for the convention."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from typing import IO, Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway import audit
from gateway.privacy.export import export_member_data
from gateway.registry import members as registry
from gateway.registry.csv_io import ImportReport, import_members
from gateway.registry.errors import InvalidMemberError
from gateway.registry.exporting import export_members
from gateway.registry.models import Member, MemberPhone, MemberStatus
from gateway.registry.phones import parse_phone
from gateway.registry.records import MemberInput
from gateway.registry.reference import ReferenceIndex, reference_index
from gateway.registry.settings import RegistrySettings
from gateway.registry.words import STATUS_LABELS, phone_state, receives_alerts, why_not
from gateway.usecases import Store

ExportFormat = Literal["csv", "xlsx"]


@dataclass(frozen=True, slots=True)
class PhoneView:
    """One number of an establishment; ``state`` in French, as operators read it."""

    e164: str
    is_test: bool
    withdrawn_at: datetime | None
    receives_alerts: bool
    state: str


@dataclass(frozen=True, slots=True)
class MemberView:
    """An establishment as every face shows it. ``receives_alerts``: an alert sent today reaches it (the
    targeting rule); ``not_receiving_because`` says why not, in French."""

    key: str
    siren: str
    siret: str | None
    name: str
    category: str
    category_label: str
    zone: str
    zone_name: str
    street: str | None
    address: str
    contact: str
    status: MemberStatus
    registered_on: date
    expires_on: date
    consent_at: datetime | None
    withdrawn_at: datetime | None
    receives_alerts: bool
    not_receiving_because: str
    phones: tuple[PhoneView, ...] = field(default=())

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: codes for scripts, with the French labels beside them."""
        return {
            "key": self.key,
            "siren": self.siren,
            "siret": self.siret,
            "name": self.name,
            "category": self.category,
            "category_label": self.category_label,
            "zone": self.zone,
            "zone_name": self.zone_name,
            "street": self.street,
            "address": self.address,
            "contact": self.contact,
            "status": self.status.value,
            "status_label": self.status_label,
            "registered_on": self.registered_on.isoformat(),
            "expires_on": self.expires_on.isoformat(),
            "consent_at": self.consent_at.isoformat() if self.consent_at else None,
            "withdrawn_at": self.withdrawn_at.isoformat() if self.withdrawn_at else None,
            "receives_alerts": self.receives_alerts,
            "phones": [
                {
                    "e164": p.e164,
                    "is_test": p.is_test,
                    "withdrawn_at": p.withdrawn_at.isoformat() if p.withdrawn_at else None,
                    "receives_alerts": p.receives_alerts,
                    "state": p.state,
                }
                for p in self.phones
            ],
        }


def view(member: Member, index: ReferenceIndex, today: date) -> MemberView:
    """The view of a loaded establishment (its numbers and street are read here, inside the session)."""
    receives = receives_alerts(member.status, member.expires_on, today)
    reason = why_not(member.status, member.expires_on, today)
    return MemberView(
        key=member.key,
        siren=member.siren,
        siret=member.siret,
        name=member.name,
        category=member.category_id,
        category_label=index.categories.get(member.category_id, member.category_id),
        zone=member.zone_id,
        zone_name=index.zones.get(member.zone_id, member.zone_id),
        street=member.street.name if member.street is not None else None,
        address=member.address,
        contact=member.contact,
        status=member.status,
        registered_on=member.registered_on,
        expires_on=member.expires_on,
        consent_at=member.consent_at,
        withdrawn_at=member.withdrawn_at,
        receives_alerts=receives,
        not_receiving_because=reason,
        phones=tuple(
            PhoneView(
                e164=p.e164,
                is_test=p.is_test,
                withdrawn_at=p.withdrawn_at,
                receives_alerts=receives and p.withdrawn_at is None,
                state=phone_state(p.withdrawn_at, reason),
            )
            for p in member.phones
        ),
    )


def _view(session: Session, member: Member, today: date) -> MemberView:
    session.refresh(member, ["street"])  # street_id may have changed under a loaded relationship
    return view(member, reference_index(session), today)


def search(
    store: Store,
    *,
    today: date,
    settings: RegistrySettings,
    text: str | None = None,
    siren: str | None = None,
    phone: str | None = None,
    zone: str | None = None,
    status: MemberStatus | None = None,
    limit: int = 100,
) -> list[MemberView]:
    """Establishments matching every criterion (zone by id or name, phone as typed), sorted by name."""
    with store.read_sessions.begin() as session:
        found = registry.search_members(
            session, text=text, siren=siren, phone=phone, zone=zone, status=status, limit=limit, settings=settings
        )
        index = reference_index(session)
        return [view(m, index, today) for m in found]


def show(store: Store, key: str, *, today: date) -> MemberView:
    """One establishment by SIRET (or SIREN: see :func:`gateway.registry.members.find_member`)."""
    with store.read_sessions.begin() as session:
        return view(registry.get_member(session, key), reference_index(session), today)


def create(
    store: Store, data: MemberInput, *, actor: str, now: datetime, today: date, settings: RegistrySettings
) -> MemberView:
    """Register a new establishment (audited)."""
    with store.sessions.begin() as session:
        member = registry.create_member(session, data, now=now, actor=actor, settings=settings)
        return _view(session, member, today)


def update(
    store: Store,
    key: str,
    changes: dict[str, Any],
    *,
    actor: str,
    now: datetime,
    today: date,
    settings: RegistrySettings,
) -> MemberView:
    """Change the given fields (see :func:`gateway.registry.members.update_member`); audited."""
    with store.sessions.begin() as session:
        member = registry.update_member(session, key, now=now, actor=actor, settings=settings, **changes)
        return _view(session, member, today)


@dataclass(frozen=True, slots=True)
class Renewal:
    """``renewed`` is False when the registration had already been renewed today and nothing was done."""

    member: MemberView
    old_expires_on: date
    renewed: bool


def renew(
    store: Store,
    key: str,
    *,
    actor: str,
    now: datetime,
    today: date,
    settings: RegistrySettings,
    force: bool = False,
) -> Renewal:
    """Extend a registration once a day; ``force`` extends again the same day (audited either way it acts)."""
    with store.sessions.begin() as session:
        outcome = registry.renew(session, key, today=today, now=now, actor=actor, settings=settings, force=force)
        return Renewal(_view(session, outcome.member, today), outcome.old_expires_on, outcome.renewed)


@dataclass(frozen=True, slots=True)
class Change:
    """A status change: ``changed`` is False when the establishment was already in that state."""

    member: MemberView
    changed: bool


def withdraw(store: Store, key: str, *, actor: str, now: datetime, today: date, reason: str = "") -> Change:
    """The establishment leaves the scheme: no more messages to any of its numbers, from now on."""
    with store.sessions.begin() as session:
        before = registry.get_member(session, key).status
        member = registry.withdraw_member(session, key, now=now, actor=actor, reason=reason)
        return Change(_view(session, member, today), before is not MemberStatus.WITHDRAWN)


def suspend(store: Store, key: str, *, actor: str, now: datetime, today: date, reason: str = "") -> Change:
    """Stop alerts for now without ending the registration."""
    with store.sessions.begin() as session:
        before = registry.get_member(session, key).status
        member = registry.suspend(session, key, now=now, actor=actor, reason=reason)
        return Change(_view(session, member, today), before is not MemberStatus.SUSPENDED)


def reactivate(store: Store, key: str, *, actor: str, now: datetime, today: date) -> MemberView:
    """End a suspension."""
    with store.sessions.begin() as session:
        member = registry.reactivate(session, key, today=today, now=now, actor=actor)
        return _view(session, member, today)


def rejoin(
    store: Store,
    key: str,
    *,
    consent_on: date,
    numbers: Sequence[str] = (),
    actor: str,
    now: datetime,
    today: date,
    settings: RegistrySettings,
) -> MemberView:
    """Re-admit a withdrawn establishment, or numbers of it that said STOP, with a new consent (audited);
    see :func:`gateway.registry.members.rejoin`."""
    if consent_on > today:
        raise InvalidMemberError(f"date de consentement {consent_on:%d/%m/%Y} dans le futur")
    with store.sessions.begin() as session:
        member = registry.rejoin(
            session, key, consent_on=consent_on, numbers=numbers, now=now, today=today, actor=actor, settings=settings
        )
        return _view(session, member, today)


@dataclass(frozen=True, slots=True)
class NumberHolders:
    """Who holds a number: every establishment (``known``), and those for which it is still in service."""

    e164: str
    known: bool
    active: tuple[tuple[str, str], ...]  # (key, name)


def number_holders(store: Store, number: str, *, settings: RegistrySettings) -> NumberHolders:
    """The establishments holding ``number`` (as typed), to confirm a withdrawal."""
    e164 = parse_phone(number, default_region=settings.default_region, test_ranges=settings.test_ranges).e164
    with store.read_sessions.begin() as session:
        rows = session.execute(
            select(Member.siret, Member.siren, Member.name, MemberPhone.withdrawn_at)
            .join(Member, Member.id == MemberPhone.member_id)
            .where(MemberPhone.e164 == e164)
            .order_by(Member.id)
        ).all()
    active = tuple((siret or siren, name) for siret, siren, name, withdrawn_at in rows if withdrawn_at is None)
    return NumberHolders(e164, bool(rows), active)


@dataclass(frozen=True, slots=True)
class NumberWithdrawal:
    e164: str
    members: tuple[str, ...]  # keys of the establishments the number was withdrawn from
    withdrawn_members: tuple[str, ...]  # those left without any number, hence withdrawn


def withdraw_number(
    store: Store, number: str, *, actor: str, now: datetime, settings: RegistrySettings, reason: str = ""
) -> NumberWithdrawal:
    """A number stops receiving anything, from every establishment that holds it."""
    e164 = parse_phone(number, default_region=settings.default_region, test_ranges=settings.test_ranges).e164
    with store.sessions.begin() as session:
        touched = registry.withdraw_number(session, e164, now=now, actor=actor, reason=reason)
        return NumberWithdrawal(
            e164,
            tuple(m.key for m in touched),
            tuple(m.key for m in touched if m.status is MemberStatus.WITHDRAWN),
        )


def personal_data(store: Store, key: str, *, actor: str, now: datetime) -> dict[str, Any]:
    """Everything held about one establishment (right of access); the consultation itself is audited."""
    with store.sessions.begin() as session:
        held = export_member_data(session, key)
        member = registry.get_member(session, key)
        audit.record(session, actor, "member.data_export", registry.subject(member), 1, now=now)
        return held


def import_register(
    store: Store,
    data: bytes,
    *,
    source: str,
    actor: str,
    now: datetime,
    today: date,
    settings: RegistrySettings,
    dry_run: bool = False,
    partial: bool = False,
    on_progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Import a spreadsheet (CSV as Excel writes it, or .xlsx) given as bytes; all or nothing unless
    ``partial``. ``source`` names it in the audit log."""
    with store.sessions() as session:
        return import_members(
            session,
            data,
            source=source,
            today=today,
            now=now,
            actor=actor,
            dry_run=dry_run,
            partial=partial,
            on_progress=on_progress,
            settings=settings,
        )


def export_register(
    store: Store,
    out: IO[bytes],
    *,
    today: date,
    tz: tzinfo,
    fmt: ExportFormat = "csv",
    statuses: Sequence[MemberStatus] | None = None,
) -> int:
    """Write the register (or the establishments with these statuses) in the import format, with status,
    expiry and each number's state (withdrawals dated in ``tz``); returns how many establishments."""
    with store.read_sessions.begin() as session:
        return export_members(session, out, fmt=fmt, statuses=statuses, today=today, tz=tz)
