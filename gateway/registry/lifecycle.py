"""A registration's life: renewal (once a day), withdrawal of an establishment or of a number, suspension,
re-admission through the CCISM, and the daily expiry. Each takes a Session and the current date/time,
flushes, never commits (the caller commits the change and its audit row together)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gateway import audit
from gateway.audit.models import AuditEntry
from gateway.registry.errors import InvalidMemberError, InvalidTransitionError
from gateway.registry.lookup import get_member, subject
from gateway.registry.models import Member, MemberPhone, MemberStatus
from gateway.registry.phones import mask, parse_phone
from gateway.registry.records import add_years, expiry_for, is_expired, status_for_dates
from gateway.registry.settings import DEFAULT_SETTINGS, RegistrySettings
from gateway.registry.words import STATUS_LABELS as STATUS_WORDS


@dataclass(frozen=True, slots=True)
class RenewOutcome:
    """``renewed`` is False when the registration was already renewed today and ``force`` was not given."""

    member: Member
    old_expires_on: date
    renewed: bool


def renewed_on(session: Session, member: Member) -> date | None:
    """The local day of this establishment's last renewal, from the audit log (its record of renewals)."""
    details = session.scalar(
        select(AuditEntry.details)
        .where(AuditEntry.action == "member.renew", AuditEntry.subject == subject(member))
        .order_by(AuditEntry.id.desc())
        .limit(1)
    )
    day = (details or {}).get("on")
    return date.fromisoformat(day) if day else None


def renew(
    session: Session,
    key: str,
    *,
    today: date,
    now: datetime,
    actor: str,
    settings: RegistrySettings = DEFAULT_SETTINGS,
    force: bool = False,
) -> RenewOutcome:
    """Extend a registration by ``registration_years``: from the old expiry, or from today if already
    expired. An expired member becomes active; a suspended one stays suspended; a withdrawn one cannot
    be renewed (it withdrew its consent: :func:`rejoin` re-admits it with a new consent).

    Once a day: a second renewal on the same local day (a double click, a retried request) changes
    nothing unless ``force`` (then it is audited as forced).
    """
    member = get_member(session, key)
    if member.status == MemberStatus.WITHDRAWN:
        raise InvalidTransitionError(
            f"l'adhérent {member.key} s'est retiré ; il ne peut pas être renouvelé : réinscrivez-le avec son "
            f"accord (vigicommerce members rejoin {member.key} --consent JJ/MM/AAAA)"
        )
    old = member.expires_on
    if not force and renewed_on(session, member) == today:
        return RenewOutcome(member, old, renewed=False)
    base = today if is_expired(old, today) else old
    member.expires_on = add_years(base, settings.registration_years)
    if member.status == MemberStatus.EXPIRED:
        member.status = MemberStatus.ACTIVE
    member.updated_at = now
    session.flush()
    details: dict[str, object] = {
        "old_expires_on": old.isoformat(),
        "expires_on": member.expires_on.isoformat(),
        "on": today.isoformat(),
    }
    if force:
        details["forced"] = True
    audit.record(session, actor, "member.renew", subject(member), 1, details, now=now)
    return RenewOutcome(member, old, renewed=True)


def rejoin(
    session: Session,
    key: str,
    *,
    consent_on: date,
    numbers: Sequence[str] = (),
    today: date,
    now: datetime,
    actor: str,
    settings: RegistrySettings = DEFAULT_SETTINGS,
) -> Member:
    """Re-admit an establishment (or numbers of it) through the CCISM, with the consent given on ``consent_on``.

    * A withdrawn establishment registers anew: registered on ``consent_on``, expiring three years later,
      active (or expired if that is already past), its withdrawal cleared.
    * ``numbers`` (as typed) are re-admitted: a number that said STOP comes back only when listed here;
      a listed number it did not have is added. Numbers not listed keep their state.
    * An establishment that is not withdrawn can re-admit numbers; its registration dates are unchanged.

    The new consent time is recorded and the whole is audited (``member.rejoin``).
    """
    member = get_member(session, key)
    parsed = [parse_phone(n, default_region=settings.default_region, test_ranges=settings.test_ranges) for n in numbers]
    was_withdrawn = member.status == MemberStatus.WITHDRAWN
    if not was_withdrawn and not parsed:
        raise InvalidTransitionError(
            f"l'adhérent {member.key} n'est pas retiré (statut {STATUS_WORDS[member.status]}) ; pour réinscrire un "
            "numéro qui a dit STOP, indiquez-le (--number)"
        )
    by_e164 = {p.e164: p for p in member.phones}
    readmitted: list[str] = []
    for phone in parsed:
        row = by_e164.get(phone.e164)
        if row is None:
            row = MemberPhone(e164=phone.e164, is_test=phone.is_test, position=len(member.phones))
            member.phones.append(row)
            by_e164[phone.e164] = row
            readmitted.append(phone.e164)
        elif row.withdrawn_at is not None:
            row.withdrawn_at = None
            readmitted.append(phone.e164)
    if not any(p.withdrawn_at is None for p in member.phones):
        raise InvalidMemberError(
            f"aucun numéro en service pour {member.key} : ses numéros ont dit STOP ; indiquez ceux qui "
            "acceptent de nouveau les alertes (--number)"
        )
    if was_withdrawn:
        member.registered_on = consent_on
        member.expires_on = expiry_for(consent_on, settings)
        member.status = status_for_dates(member.expires_on, today)
        member.withdrawn_at = None
    member.consent_at = datetime.combine(consent_on, time(), UTC) if consent_on < now.date() else now
    member.updated_at = now
    session.flush()
    audit.record(
        session,
        actor,
        "member.rejoin",
        subject(member),
        1,
        {
            "consent_on": consent_on.isoformat(),
            "numbers": [mask(e) for e in readmitted],
            "registration": "new" if was_withdrawn else "unchanged",
            "expires_on": member.expires_on.isoformat(),
        },
        now=now,
    )
    return member


def withdraw_member(session: Session, key: str, *, now: datetime, actor: str, reason: str = "") -> Member:
    """The member leaves the scheme: no more messages to any of its numbers, from now on."""
    member = get_member(session, key)
    if member.status != MemberStatus.WITHDRAWN:
        member.status = MemberStatus.WITHDRAWN
        member.withdrawn_at = now
        member.updated_at = now
        session.flush()
        audit.record(session, actor, "member.withdraw", subject(member), 1, {"reason": reason}, now=now)
    return member


def withdraw_number(session: Session, e164: str, *, now: datetime, actor: str, reason: str = "STOP") -> list[Member]:
    """A number asks to stop (e.g. an SMS STOP): it is withdrawn from every member that holds it.

    A member left without any number in service is withdrawn too. Returns the members concerned
    (empty if the number is unknown). Idempotent.
    """
    rows = session.scalars(
        select(MemberPhone).where(MemberPhone.e164 == e164, MemberPhone.withdrawn_at.is_(None))
    ).all()
    touched: list[Member] = []
    for row in rows:
        row.withdrawn_at = now
        member = row.member
        member.updated_at = now
        if member.status != MemberStatus.WITHDRAWN and all(p.withdrawn_at is not None for p in member.phones):
            member.status = MemberStatus.WITHDRAWN
            member.withdrawn_at = now
        touched.append(member)
    if touched:
        session.flush()
        audit.record(
            session,
            actor,
            "number.withdraw",
            f"phone:{mask(e164)}",
            len(touched),
            {"members": [m.key for m in touched], "reason": reason},
            now=now,
        )
    return touched


def suspend(session: Session, key: str, *, now: datetime, actor: str, reason: str = "") -> Member:
    """Stop alerts to a member for now (e.g. shop closed for works) without ending its registration."""
    member = get_member(session, key)
    if member.status == MemberStatus.WITHDRAWN:
        raise InvalidTransitionError(
            f"l'adhérent {member.key} s'est retiré ; il ne peut pas être suspendu (pour le réinscrire : "
            f"vigicommerce members rejoin {member.key} --consent JJ/MM/AAAA)"
        )
    if member.status != MemberStatus.SUSPENDED:
        member.status = MemberStatus.SUSPENDED
        member.updated_at = now
        session.flush()
        audit.record(session, actor, "member.suspend", subject(member), 1, {"reason": reason}, now=now)
    return member


def reactivate(session: Session, key: str, *, today: date, now: datetime, actor: str) -> Member:
    """End a suspension; the member becomes active, or expired if its registration ran out meanwhile."""
    member = get_member(session, key)
    if member.status != MemberStatus.SUSPENDED:
        raise InvalidTransitionError(
            f"l'adhérent {member.key} n'est pas suspendu (statut {STATUS_WORDS[member.status]})"
        )
    member.status = status_for_dates(member.expires_on, today)
    member.updated_at = now
    session.flush()
    audit.record(session, actor, "member.reactivate", subject(member), 1, now=now)
    return member


def expire_due(session: Session, *, today: date, now: datetime, actor: str = "system") -> int:
    """Mark expired every active member whose last valid day is before ``today``; returns how many.

    Idempotent: a second run the same day finds nothing. Targeting also checks ``expires_on`` itself, so
    a day on which this job did not run never lets an expired member receive an alert.
    """
    result = session.execute(
        update(Member)
        .where(Member.status == MemberStatus.ACTIVE, Member.expires_on < today)
        .values(status=MemberStatus.EXPIRED, updated_at=now)
    )
    count = int(result.rowcount or 0)  # type: ignore[attr-defined]
    if count:
        audit.record(session, actor, "member.expire", f"date:{today.isoformat()}", count, now=now)
    return count
