"""Phone numbers: parse what operators type, keep E.164, accept only numbers that can receive SMS.

Saint-Martin belongs to the French integrated numbering plan: from a Saint-Martin phone, ``06 …`` reaches
a metropolitan mobile and ``0690 …`` a +590 mobile. So a number written the national way is tried in the
default region first and then in the other regions of that plan.

ARCEP reserves +33 6 39 98 00 00 – 99 99 for fiction; ``phonenumbers`` rightly calls those numbers
invalid, but demo data, tests and benchmarks use only them. Numbers inside a configured test range are
therefore accepted and flagged ``is_test``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType, ValidationResult

from gateway.registry.errors import InvalidPhoneError

# Inclusive (first, last) E.164 ranges of numbers that are accepted without being valid in the real plan.
TestRange = tuple[str, str]
FICTION_BLOCK: TestRange = ("+33639980000", "+33639989999")
DEFAULT_TEST_RANGES: tuple[TestRange, ...] = (FICTION_BLOCK,)
DEFAULT_REGION = "MF"

# Regions whose national format ("0" + 9 digits) is dialled the same way from any of them.
FRENCH_PLAN_REGIONS = ("MF", "GP", "BL", "FR", "MQ", "GF", "RE", "YT", "PM")

# Template rather than a sample number: a real-looking number in a message could end up being dialled.
HINT = "écrivez-le au format 0690 XX XX XX ou +590 690 XX XX XX (métropole : +33 6 XX XX XX XX)"

MOBILE_HINT = "donnez un numéro de portable (0690 XX XX XX ou +590 690 XX XX XX)"

_SMS_TYPES = frozenset({PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE})


@dataclass(frozen=True, slots=True)
class ParsedPhone:
    """A number ready to store: E.164 text, its region (``"MF"``, ``"FR"``, ``"SX"`` …) and test flag."""

    e164: str
    region: str
    is_test: bool


def in_test_ranges(e164: str, test_ranges: Sequence[TestRange] = DEFAULT_TEST_RANGES) -> bool:
    """True when ``e164`` lies in one of the inclusive ``test_ranges``."""
    digits = e164.lstrip("+")
    for first, last in test_ranges:
        low, high = first.lstrip("+"), last.lstrip("+")
        if len(digits) == len(low) == len(high) and low <= digits <= high:
            return True
    return False


def _parse(text: str, region: str | None) -> phonenumbers.PhoneNumber | None:
    try:
        return phonenumbers.parse(text, region)
    except NumberParseException:
        return None


def _candidates(text: str, default_region: str) -> list[phonenumbers.PhoneNumber]:
    """Every reading of ``text``: the international one, or national readings region by region."""
    stripped = text.strip()
    if stripped.startswith("+"):
        number = _parse(stripped, None)
        return [number] if number is not None else []
    regions = [default_region]
    if default_region in FRENCH_PLAN_REGIONS:
        regions += [r for r in FRENCH_PLAN_REGIONS if r != default_region]
    found = []
    for region in regions:
        number = _parse(stripped, region)
        if number is not None:
            found.append(number)
    return found


def _e164(number: phonenumbers.PhoneNumber) -> str:
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def parse_phone(
    text: str,
    *,
    default_region: str = DEFAULT_REGION,
    test_ranges: Sequence[TestRange] = DEFAULT_TEST_RANGES,
) -> ParsedPhone:
    """Parse one number as an operator wrote it and return it in E.164.

    Raises :class:`InvalidPhoneError` (message in French: what is wrong, what to write) when the number is
    empty, not a number, too short or too long, does not exist, or is not a mobile (an SMS gateway cannot
    text a landline).
    """
    if not text or not text.strip():
        raise InvalidPhoneError(text, "numéro vide", HINT)
    if any(ch.isalpha() for ch in text):
        raise InvalidPhoneError(text, "il contient des lettres", HINT)
    candidates = _candidates(text, default_region)
    if not candidates:
        raise InvalidPhoneError(text, "ce n'est pas un numéro de téléphone", HINT)
    for number in candidates:
        e164 = _e164(number)
        if in_test_ranges(e164, test_ranges):
            return ParsedPhone(e164, "FR" if e164.startswith("+33") else _region(number), is_test=True)
    for number in candidates:
        if phonenumbers.is_valid_number(number):
            kind = phonenumbers.number_type(number)
            if kind in _SMS_TYPES:
                return ParsedPhone(_e164(number), _region(number), is_test=False)
            if kind == PhoneNumberType.FIXED_LINE:
                raise InvalidPhoneError(
                    text, "c'est un numéro de téléphone fixe, qui ne peut pas recevoir de SMS", MOBILE_HINT
                )
            raise InvalidPhoneError(text, "ce n'est pas un numéro de portable", MOBILE_HINT)
    raise InvalidPhoneError(text, _why_invalid(candidates[0]), HINT)


def _region(number: phonenumbers.PhoneNumber) -> str:
    region = phonenumbers.region_code_for_number(number)
    return str(region) if region else "ZZ"


def _why_invalid(number: phonenumbers.PhoneNumber) -> str:
    reason = phonenumbers.is_possible_number_with_reason(number)
    if reason == ValidationResult.TOO_SHORT:
        return "trop court"
    if reason in (ValidationResult.TOO_LONG, ValidationResult.INVALID_LENGTH):
        return "trop long" if reason == ValidationResult.TOO_LONG else "nombre de chiffres incorrect"
    if reason == ValidationResult.INVALID_COUNTRY_CODE:
        return "indicatif de pays inconnu"
    return "ce numéro n'existe pas dans le plan de numérotation"


def parse_phone_list(
    text: str,
    *,
    default_region: str = DEFAULT_REGION,
    test_ranges: Sequence[TestRange] = DEFAULT_TEST_RANGES,
) -> list[ParsedPhone]:
    """Parse a ``;``-separated list (the CSV ``phones`` column), dropping duplicates, keeping order."""
    parts = [part for part in text.split(";") if part.strip()]
    if not parts:
        raise InvalidPhoneError(text, "aucun numéro", HINT)
    result: list[ParsedPhone] = []
    seen: set[str] = set()
    for part in parts:
        parsed = parse_phone(part, default_region=default_region, test_ranges=test_ranges)
        if parsed.e164 not in seen:
            seen.add(parsed.e164)
            result.append(parsed)
    return result


def mask(e164: str) -> str:
    """The number with its last four digits hidden, for the audit trail (logs use ``gateway.logs.mask_number``)."""
    return e164[:-4] + "****" if len(e164) > 4 else "****"
