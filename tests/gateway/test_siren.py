"""SIREN validation: nine digits and a Luhn key, with messages that tell the operator what to do."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.registry.errors import InvalidSirenError
from gateway.registry.siren import is_valid_siren, luhn_ok, normalize_siren

VALID = "246341275"  # from data/members-sample.csv


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
def test_luhn_matches_reference(digits: str) -> None:
    assert luhn_ok(digits) == _luhn_reference(digits)


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
