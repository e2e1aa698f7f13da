"""Domain operations on members (establishments). Each takes a Session and the current date/time, flushes,
never commits.

Every operation names its establishment with a *key* (:func:`find_member`): a SIRET, or a SIREN, which names
the business's establishment without SIRET if it has one, else its only establishment.

The caller owns the transaction, so that an operation and its audit row are committed together.
Targeting (``recipients``, ``count_target``, ``is_number_allowed``) lives in :mod:`.targeting` and is
re-exported here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from sqlalchemy import exists, func, or_, select, update
from sqlalchemy.orm import Session, selectinload

from gateway import audit
from gateway.audit.models import AuditEntry
from gateway.registry.errors import (
    AmbiguousMemberError,
    InvalidMemberError,
    InvalidTransitionError,
    MemberNotFoundError,
)
from gateway.registry.models import Member, MemberPhone, MemberStatus
from gateway.registry.phones import ParsedPhone, mask, parse_phone
from gateway.registry.records import (
    MemberInput,
    ValidMember,
    add_years,
    expiry_for,
    is_expired,
    status_for_dates,
    validate_member,
)
from gateway.registry.reference import reference_index
from gateway.registry.settings import DEFAULT_SETTINGS, RegistrySettings
from gateway.registry.siren import parse_key
from gateway.registry.targeting import Recipient, TargetCount, count_target, is_number_allowed, recipients
from gateway.registry.words import STATUS_LABELS as STATUS_WORDS

__all__ = [
    "MemberInput",
    "Recipient",
    "TargetCount",
    "count_target",
    "create_member",
    "expire_due",
    "find_member",
    "get_member",
    "is_number_allowed",
    "reactivate",
    "recipients",
    "rejoin",
    "renew",
    "search_members",
    "suspend",
    "update_member",
    "withdraw_member",
    "withdraw_number",
]


def _set_phones(member: Member, phones: Sequence[ParsedPhone]) -> None:
    """Make ``member.phones`` match ``phones`` in order, keeping existing rows (and their opt-outs)."""
    existing = {p.e164: p for p in member.phones}
    wanted = [p.e164 for p in phones]
    for row in list(member.phones):
        if row.e164 not in wanted:
            member.phones.remove(row)
    for position, parsed in enumerate(phones):
        kept = existing.get(parsed.e164)
        if kept is None:
            member.phones.append(MemberPhone(e164=parsed.e164, is_test=parsed.is_test, position=position))
        else:
            kept.position = position
            kept.is_test = parsed.is_test


def create_member(
    session: Session,
    data: MemberInput,
    *,
    now: datetime,
    actor: str,
    consent_at: datetime | None = None,
    settings: RegistrySettings = DEFAULT_SETTINGS,
) -> Member:
    """Register a new member; its status follows from ``registered_on`` (expired if more than three years)."""
    valid = validate_member(data, reference_index(session), settings)
    same = (
        Member.siret == valid.siret
        if valid.siret is not None
        else (Member.siren == valid.siren) & Member.siret.is_(None)
    )
    existing = session.scalar(select(Member).where(same))
    if existing is not None:
        if existing.status == MemberStatus.WITHDRAWN:
            raise InvalidTransitionError(
                f"l'établissement {existing.key} est inscrit mais s'est retiré ; pour le réinscrire avec son "
                f"accord : vigicommerce members rejoin {existing.key} --consent JJ/MM/AAAA "
                f"(API : POST /members/{existing.key}/rejoin)"
            )
        if valid.siret is not None:
            raise InvalidMemberError(f"le SIRET {valid.siret} est déjà inscrit ; modifiez l'établissement existant")
        raise InvalidMemberError(
            f"le SIREN {valid.siren} est déjà inscrit sans SIRET ; modifiez cet établissement, "
            "ou donnez le SIRET du nouvel établissement"
        )
    expires_on = expiry_for(valid.registered_on, settings)
    member = Member(
        siren=valid.siren,
        siret=valid.siret,
        name=valid.name,
        category_id=valid.category_id,
        zone_id=valid.zone_id,
        street_id=valid.street_id,
        address=valid.address,
        contact=valid.contact,
        registered_on=valid.registered_on,
        expires_on=expires_on,
        status=status_for_dates(expires_on, now.date()),
        consent_at=consent_at if consent_at is not None else now,
        created_at=now,
        updated_at=now,
        phones=[],
    )
    _set_phones(member, valid.phones)
    session.add(member)
    session.flush()
    audit.record(session, actor, "member.create", subject(member), 1, now=now)
    return member


def subject(member: Member) -> str:
    """The audit log's subject for an establishment."""
    return f"member:{member.key}"


def find_member(session: Session, key: str) -> Member | None:
    """The establishment named by ``key`` (spaces and dots allowed), or None.

    A SIRET names its establishment. A SIREN names the business's establishment without SIRET if it has
    one, else its only establishment; a business with several establishments that all have a SIRET raises
    :class:`AmbiguousMemberError` (listing them), and an invalid key :class:`InvalidSirenError`.
    """
    parsed = parse_key(key)
    query = select(Member).options(selectinload(Member.phones))
    if parsed.siret is not None:
        return session.scalar(query.where(Member.siret == parsed.siret))
    found = list(session.scalars(query.where(Member.siren == parsed.siren).order_by(Member.id)))
    without_siret = [m for m in found if m.siret is None]
    if without_siret:
        return without_siret[0]
    if len(found) > 1:
        raise AmbiguousMemberError(parsed.siren, [(m.key, m.name) for m in found])
    return found[0] if found else None


def get_member(session: Session, key: str) -> Member:
    """The establishment named by ``key`` (see :func:`find_member`); raises :class:`MemberNotFoundError`."""
    member = find_member(session, key)
    if member is None:
        raise MemberNotFoundError(key.strip())
    return member


def update_member(
    session: Session,
    key: str,
    *,
    now: datetime,
    actor: str,
    name: str | None = None,
    category: str | None = None,
    zone: str | None = None,
    street: str | None = None,
    address: str | None = None,
    contact: str | None = None,
    phones: Sequence[str] | None = None,
    registered_on: date | None = None,
    siret: str | None = None,
    settings: RegistrySettings = DEFAULT_SETTINGS,
) -> Member:
    """Change the given fields (None = unchanged; ``street=""`` removes the street).

    Changing ``zone`` without ``street`` drops a street that belongs to the old zone. Changing
    ``registered_on`` recomputes the expiry (a renewal does not change ``registered_on``). ``siret`` gives
    (or corrects) the establishment's SIRET, which must belong to its business (same SIREN).
    """
    member = get_member(session, key)
    current = MemberInput(
        siren=member.siren,
        siret=member.siret or "",
        name=member.name,
        category=member.category_id,
        zone=member.zone_id,
        street=member.street.name if member.street is not None else "",
        address=member.address,
        contact=member.contact,
        phones=[p.e164 for p in member.phones],
        registered_on=member.registered_on,
    )
    if zone is not None and zone != member.zone_id and street is None:
        street = ""
    wanted = MemberInput(
        siren=member.siren,
        siret=current.siret if siret is None else siret,
        name=current.name if name is None else name,
        category=current.category if category is None else category,
        zone=current.zone if zone is None else zone,
        street=current.street if street is None else street,
        address=current.address if address is None else address,
        contact=current.contact if contact is None else contact,
        phones=current.phones if phones is None else phones,
        registered_on=current.registered_on if registered_on is None else registered_on,
    )
    changes = sorted(f for f in MemberInput.__dataclass_fields__ if getattr(wanted, f) != getattr(current, f))
    valid = validate_member(wanted, reference_index(session), settings)
    if valid.siret != member.siret:
        _check_new_siret(session, member, valid.siret)
    old_subject = subject(member)
    _apply(member, valid, today=now.date(), settings=settings)
    member.updated_at = now
    session.flush()
    details: dict[str, object] = {"fields": changes}
    if subject(member) != old_subject:
        details["previously"] = old_subject
    audit.record(session, actor, "member.update", subject(member), 1, details, now=now)
    return member


def _check_new_siret(session: Session, member: Member, siret: str | None) -> None:
    if siret is None:
        raise InvalidMemberError("un SIRET ne s'efface pas ; corrigez-le en donnant le bon SIRET")
    if session.scalar(select(Member.id).where(Member.siret == siret, Member.id != member.id)) is not None:
        raise InvalidMemberError(f"le SIRET {siret} est déjà celui d'un autre établissement")


def _apply(member: Member, valid: ValidMember, *, today: date, settings: RegistrySettings) -> None:
    member.siret = valid.siret
    member.name = valid.name
    member.category_id = valid.category_id
    member.zone_id = valid.zone_id
    member.street_id = valid.street_id
    member.address = valid.address
    member.contact = valid.contact
    if valid.registered_on != member.registered_on:
        member.registered_on = valid.registered_on
        member.expires_on = expiry_for(valid.registered_on, settings)
        if member.status in (MemberStatus.ACTIVE, MemberStatus.EXPIRED):
            member.status = status_for_dates(member.expires_on, today)
    _set_phones(member, valid.phones)


def search_members(
    session: Session,
    *,
    text: str | None = None,
    siren: str | None = None,
    phone: str | None = None,
    zone: str | None = None,
    status: MemberStatus | None = None,
    limit: int = 100,
    settings: RegistrySettings = DEFAULT_SETTINGS,
) -> list[Member]:
    """Members matching every given criterion: ``text`` in name or contact (case-insensitive), SIREN or
    SIRET prefix, a phone number (as typed: it is parsed), zone (id or name), status. Sorted by name."""
    query = select(Member).options(selectinload(Member.phones)).order_by(Member.name, Member.id)
    if text:
        pattern = f"%{text.strip().lower()}%"
        query = query.where(or_(func.lower(Member.name).like(pattern), func.lower(Member.contact).like(pattern)))
    if siren:
        prefix = "".join(siren.split())
        column = Member.siren if len(prefix) <= len("123456789") else Member.siret
        query = query.where(column.startswith(prefix))
    if phone:
        e164 = parse_phone(phone, default_region=settings.default_region, test_ranges=settings.test_ranges).e164
        query = query.where(exists().where(MemberPhone.member_id == Member.id, MemberPhone.e164 == e164))
    if zone:
        query = query.where(Member.zone_id == reference_index(session).check_zone(zone))
    if status is not None:
        query = query.where(Member.status == status)
    return list(session.scalars(query.limit(limit)))


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
