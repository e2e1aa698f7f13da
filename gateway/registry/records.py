"""Validation of one member record and the date rules of a registration; pure functions, no database."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from gateway.registry.errors import InvalidMemberError
from gateway.registry.models import MemberStatus
from gateway.registry.phones import ParsedPhone, parse_phone
from gateway.registry.reference import ReferenceIndex
from gateway.registry.settings import DEFAULT_SETTINGS, RegistrySettings
from gateway.registry.siren import identify


@dataclass(frozen=True, slots=True)
class MemberInput:
    """A member as an operator or a CSV row gives it: raw text, not yet validated.

    ``siren`` and ``siret`` as typed: a SIRET alone is enough (its first nine digits are the SIREN); a SIREN
    alone names an establishment the CCISM knows without SIRET. ``street`` is a street name in ``zone`` or
    empty; ``phones`` are numbers as typed.
    """

    siren: str
    name: str
    category: str
    zone: str
    phones: Sequence[str]
    registered_on: date
    address: str = ""
    street: str = ""
    contact: str = ""
    siret: str = ""


@dataclass(frozen=True, slots=True)
class ValidMember:
    """A validated record: normalised SIREN and SIRET (None when not given), reference ids, numbers in E.164."""

    siren: str
    siret: str | None
    name: str
    category_id: str
    zone_id: str
    street_id: int | None
    address: str
    contact: str
    registered_on: date
    phones: tuple[ParsedPhone, ...] = field(default=())


def add_years(day: date, years: int) -> date:
    """``day`` moved by ``years``; 29 February becomes 28 February in a non-leap year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def expiry_for(registered_on: date, settings: RegistrySettings = DEFAULT_SETTINGS) -> date:
    """Last valid day of a registration made on ``registered_on``.

    A member registered exactly three years ago is still valid today and expired tomorrow: "registered
    more than three years ago" is what makes a member expired.
    """
    return add_years(registered_on, settings.registration_years)


def is_expired(expires_on: date, today: date) -> bool:
    """True when ``today`` is past the last valid day."""
    return today > expires_on


def status_for_dates(expires_on: date, today: date) -> MemberStatus:
    """Status of a member that is neither suspended nor withdrawn."""
    return MemberStatus.EXPIRED if is_expired(expires_on, today) else MemberStatus.ACTIVE


def validate_member(
    data: MemberInput, index: ReferenceIndex, settings: RegistrySettings = DEFAULT_SETTINGS
) -> ValidMember:
    """Check every field of ``data`` against the rules and the reference lists.

    Raises a :class:`~gateway.registry.errors.RegistryError` subclass whose message says what to fix.
    """
    key = identify(data.siren, data.siret)
    name = " ".join(data.name.split())
    if not name:
        raise InvalidMemberError("nom manquant ; indiquez le nom de l'établissement")
    category_id = index.check_category(data.category.strip())
    zone_id = index.check_zone(data.zone.strip())
    street = data.street.strip()
    street_id = index.street_id(zone_id, street) if street else None
    phones: list[ParsedPhone] = []
    seen: set[str] = set()
    for raw in data.phones:
        if not raw.strip():
            continue
        parsed = parse_phone(raw, default_region=settings.default_region, test_ranges=settings.test_ranges)
        if parsed.e164 not in seen:
            seen.add(parsed.e164)
            phones.append(parsed)
    if not phones:
        raise InvalidMemberError("aucun numéro de portable ; un membre doit avoir au moins un numéro")
    return ValidMember(
        siren=key.siren,
        siret=key.siret,
        name=name,
        category_id=category_id,
        zone_id=zone_id,
        street_id=street_id,
        address=data.address.strip(),
        contact=data.contact.strip(),
        registered_on=data.registered_on,
        phones=tuple(phones),
    )
