"""SIREN and SIRET validation (python-stdnum), with messages that tell the operator what to do."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.registry.errors import InvalidSirenError
from gateway.registry.siren import (
    EstablishmentKey,
    identify,
    normalize_siren,
    normalize_siret,
    parse_key,
)

VALID = "246341275"  # from data/members-sample.csv
SIRET = "24634127500013"  # VALID's establishment 0001
LA_POSTE = "35600000000001"  # La Poste's SIRETs follow their own key rule, which stdnum knows


def test_valid_siren_is_returned_compact() -> None:
    assert normalize_siren(VALID) == VALID
    assert normalize_siren(" 246 341 275 ") == VALID
    assert is_valid_siren(VALID)


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("", "SIREN manquant"),
        ("   ", "SIREN manquant"),
        ("24634127", "8 chiffres au lieu de 9"),
        ("2463412755", "10 chiffres au lieu de 9"),
        ("24634127A", "que des chiffres"),
        ("２４６３４１２７５", "que des chiffres"),  # full-width digits pass str.isdigit
        ("246341276", "clé de contrôle fausse"),
        ("24634127500012", "c'est un SIRET"),
    ],
)
def test_bad_siren_says_what_is_wrong(value: str, fragment: str) -> None:
    with pytest.raises(InvalidSirenError) as caught:
        normalize_siren(value)
    assert fragment in str(caught.value)
    assert str(caught.value).startswith(f"SIREN invalide « {value} »")
    assert not is_valid_siren(value)


def _luhn_reference(digits: str) -> bool:
    # An independent formulation: sum of digits of (digit * weight), weights 1,2,1,2... from the left
    # for an odd length.
    total = 0
    for i, ch in enumerate(digits):
        product = int(ch) * (2 if i % 2 == len(digits) % 2 else 1)
        total += product // 10 + product % 10
    return total % 10 == 0


@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_siren_key_is_luhn(digits: str) -> None:
    assert is_valid_siren(digits) == _luhn_reference(digits)


@given(st.text(alphabet="0123456789", min_size=8, max_size=8))
def test_exactly_one_key_digit_completes_a_siren(prefix: str) -> None:
    keys = [k for k in "0123456789" if is_valid_siren(prefix + k)]
    assert len(keys) == 1


def test_every_sample_siren_is_valid() -> None:
    path = Path(__file__).resolve().parents[2] / "data" / "members-sample.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        sirens = [row["siren"] for row in csv.DictReader(handle)]
    assert len(sirens) == 2000
    assert all(is_valid_siren(s) for s in sirens)


def test_valid_siret_and_its_siren() -> None:
    assert normalize_siret("246 341 275 00013") == SIRET
    assert normalize_siret(LA_POSTE) == LA_POSTE
    assert parse_key(SIRET) == EstablishmentKey(VALID, SIRET)
    assert parse_key("246.341.275") == EstablishmentKey(VALID, None)
    assert parse_key(SIRET).text == SIRET
    assert parse_key(VALID).text == VALID


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("", "SIRET manquant"),
        ("2463412750001A", "que des chiffres"),
        ("24634127500014", "clé de contrôle fausse"),
        ("2463412750001", "13 chiffres au lieu de 14"),
    ],
)
def test_bad_siret_says_what_is_wrong(value: str, fragment: str) -> None:
    with pytest.raises(InvalidSirenError) as caught:
        normalize_siret(value)
    assert fragment in str(caught.value)
    assert str(caught.value).startswith(f"SIRET invalide « {value} »")


def test_a_key_of_another_length_asks_for_a_siret_or_a_siren() -> None:
    with pytest.raises(InvalidSirenError, match=r"donnez le SIRET de l.établissement .14 chiffres. ou le SIREN"):
        parse_key("24634127500")


def test_identify_takes_a_siret_a_siren_or_both_when_they_agree() -> None:
    assert identify("", SIRET) == EstablishmentKey(VALID, SIRET)
    assert identify(VALID, SIRET) == EstablishmentKey(VALID, SIRET)
    assert identify(VALID, "") == EstablishmentKey(VALID, None)
    assert identify("", VALID) == EstablishmentKey(VALID, None)  # a SIREN in the SIRET column
    with pytest.raises(InvalidSirenError, match="appartient au SIREN 246341275, pas au SIREN 682734884"):
        identify("682734884", SIRET)


def is_valid_siren(value: str) -> bool:
    try:
        normalize_siren(value)
    except InvalidSirenError:
        return False
    return True
