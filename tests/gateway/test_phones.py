"""Phone parsing. This is the ONE file allowed real-looking numbers: it tests the number plan itself.

None of these numbers is ever texted; nothing here touches a modem.
"""

from __future__ import annotations

import pytest

from gateway.registry.errors import InvalidPhoneError
from gateway.registry.phones import (
    FICTION_BLOCK,
    ParsedPhone,
    in_test_ranges,
    mask,
    parse_phone,
    parse_phone_list,
)


@pytest.mark.parametrize(
    ("text", "e164", "region"),
    [
        ("0690 12 34 56", "+590690123456", "GP"),  # Saint-Martin, written locally (+590 plan is shared)
        ("0690123456", "+590690123456", "GP"),
        ("+590 690 12 34 56", "+590690123456", "GP"),
        ("00590690123456", "+590690123456", "GP"),
        ("0691 28 00 00", "+590691280000", "GP"),  # Guadeloupe / Saint-Barthélemy mobiles, same plan
        ("+33 6 12 34 56 78", "+33612345678", "FR"),
        ("06 12 34 56 78", "+33612345678", "FR"),  # metropolitan mobile dialled from Saint-Martin
        ("+33 7 81 23 45 67", "+33781234567", "FR"),
        ("+1 721 520 1234", "+17215201234", "SX"),  # Sint Maarten
        ("+1-721-580-1234", "+17215801234", "SX"),
    ],
)
def test_real_mobiles_are_stored_in_e164(text: str, e164: str, region: str) -> None:
    assert parse_phone(text) == ParsedPhone(e164, region, is_test=False)


@pytest.mark.parametrize("text", ["+33639980000", "+33 6 39 98 00 01", "06 39 98 99 99", "0033639984321"])
def test_fiction_block_is_accepted_as_test_numbers(text: str) -> None:
    parsed = parse_phone(text)
    assert parsed.is_test
    assert parsed.region == "FR"
    assert in_test_ranges(parsed.e164, (FICTION_BLOCK,))


def test_just_outside_the_fiction_block_is_refused() -> None:
    # +33 6 39 99 ... is neither in the block nor a valid number for phonenumbers.
    with pytest.raises(InvalidPhoneError, match="n'existe pas"):
        parse_phone("+33639990000")


def test_test_ranges_are_configurable() -> None:
    with pytest.raises(InvalidPhoneError):
        parse_phone("+33639980001", test_ranges=())
    ranges = [("+33639990000", "+33639990009")]
    assert parse_phone("+33639990005", test_ranges=ranges).is_test
    assert not in_test_ranges("+336399900010", ranges)  # longer number: not in a same-length range


def test_default_region_changes_how_local_numbers_read() -> None:
    assert parse_phone("0690123456", default_region="GP").e164 == "+590690123456"
    assert parse_phone("721 520 1234", default_region="SX").e164 == "+17215201234"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("0690 12", "trop court"),
        ("0690 12 34 56 78 9", "trop long"),
        ("", "numéro vide"),
        ("   ", "numéro vide"),
        ("06 ab cd", "contient des lettres"),
        ("+999 123", "ce n'est pas un numéro"),
        ("0590 87 00 00", "numéro de téléphone fixe"),  # Saint-Martin landline: no SMS
        ("+33 1 45 67 89 00", "numéro de téléphone fixe"),
        ("0800 00 00 00", "ce n'est pas un numéro de portable"),
    ],
)
def test_bad_numbers_say_what_is_wrong_and_what_to_do(text: str, reason: str) -> None:
    with pytest.raises(InvalidPhoneError) as caught:
        parse_phone(text)
    message = str(caught.value)
    assert message.startswith(f"numéro invalide « {text} » : ")
    assert reason in message
    assert "0690 XX XX XX" in message  # the operator is told how to write it


def test_list_splits_on_semicolons_and_drops_duplicates() -> None:
    parsed = parse_phone_list("+33639980001; 06 39 98 00 02;+33 6 39 98 00 01;")
    assert [p.e164 for p in parsed] == ["+33639980001", "+33639980002"]
    with pytest.raises(InvalidPhoneError, match="aucun numéro"):
        parse_phone_list(" ; ")


def test_mask_hides_the_last_digits() -> None:
    assert mask("+33639980001") == "+3363998****"
