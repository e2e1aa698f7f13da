"""Domain operations on members (establishments). Each takes a Session and the current date/time, flushes,
never commits.

Every operation names its establishment with a *key* (:func:`find_member`): a SIRET, or a SIREN, which names
the business's establishment without SIRET if it has one, else its only establishment.

The caller owns the transaction, so that an operation and its audit row are committed together.
Looking an establishment up lives in :mod:`.lookup`, its registration's life (renew, withdraw, suspend,
rejoin, expire) in :mod:`.lifecycle`, targeting (``recipients``, ``count_target``, ``is_number_allowed``) in
:mod:`.targeting`; all are re-exported here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session, selectinload

from gateway import audit
from gateway.registry.errors import (
    InvalidMemberError,
    InvalidTransitionError,
)
from gateway.registry.lifecycle import (
    RenewOutcome,
    expire_due,
    reactivate,
    rejoin,
    renew,
    renewed_on,
    suspend,
    withdraw_member,
    withdraw_number,
)
from gateway.registry.lookup import find_member, get_member, subject
from gateway.registry.models import Member, MemberPhone, MemberStatus
from gateway.registry.phones import ParsedPhone, parse_phone
from gateway.registry.records import (
    MemberInput,
    ValidMember,
    expiry_for,
    status_for_dates,
    validate_member,
)
from gateway.registry.reference import reference_index
from gateway.registry.settings import DEFAULT_SETTINGS, RegistrySettings
from gateway.registry.targeting import Recipient, TargetCount, count_target, is_number_allowed, recipients

__all__ = [
    "MemberInput",
    "Recipient",
    "RenewOutcome",
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
    "renewed_on",
    "search_members",
    "subject",
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
