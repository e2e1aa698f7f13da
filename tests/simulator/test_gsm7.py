"""GSM 03.38 tables and septet packing of simulator.gsm7."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator.gsm7 import (
    DEFAULT_ALPHABET,
    ESCAPE,
    EXTENSION_TABLE,
    decode_gsm7,
    encode_gsm7,
    is_gsm7,
    pack_septets,
    septet_length,
    unpack_septets,
)

DEFAULT_CHARS = [ch for i, ch in enumerate(DEFAULT_ALPHABET) if i != ESCAPE]
GSM7_CHARS = DEFAULT_CHARS + list(EXTENSION_TABLE.values())


@pytest.mark.parametrize("code", [c for c in range(128) if c != ESCAPE])
def test_every_default_character_round_trips(code: int) -> None:
    ch = DEFAULT_ALPHABET[code]
    assert encode_gsm7(ch) == bytes([code])
    assert decode_gsm7(bytes([code])) == ch


@pytest.mark.parametrize(("code", "ch"), sorted(EXTENSION_TABLE.items()))
def test_every_extension_character_round_trips(code: int, ch: str) -> None:
    assert encode_gsm7(ch) == bytes([ESCAPE, code])
    assert decode_gsm7(bytes([ESCAPE, code])) == ch


def test_table_landmarks_from_the_specification() -> None:
    # Spot checks against TS 23.038 table 6.2.1 (catches a shifted row, e.g. '`' instead of '§').
    assert DEFAULT_ALPHABET[0x00] == "@"
    assert DEFAULT_ALPHABET[0x02] == "$"
    assert DEFAULT_ALPHABET[0x24] == "¤"
    assert DEFAULT_ALPHABET[0x40] == "¡"
    assert DEFAULT_ALPHABET[0x5F] == "§"
    assert DEFAULT_ALPHABET[0x60] == "¿"
    assert DEFAULT_ALPHABET[0x7F] == "à"
    assert set(EXTENSION_TABLE.values()) == set("^{}\\[~]|€\f")


def test_unrepresentable_character_is_named() -> None:
    with pytest.raises(ValueError, match=r"'Œ' \(U\+0152\) at index 3"):
        encode_gsm7("abcŒ")
    assert not is_gsm7("tête")
    assert is_gsm7("été à Marigot €")
    assert septet_length("€[x") == 5


def test_unknown_escape_shows_the_default_character_and_lone_escape_a_space() -> None:
    assert decode_gsm7(bytes([ESCAPE, 0x41])) == "A"
    assert decode_gsm7(bytes([0x41, ESCAPE])) == "A "
    assert decode_gsm7(bytes([ESCAPE, ESCAPE, 0x65])) == " €"


def test_decode_refuses_non_septets() -> None:
    with pytest.raises(ValueError, match="0x80 at index 1"):
        decode_gsm7(bytes([0x41, 0x80]))


def test_classic_hellohello_packing() -> None:
    septets = encode_gsm7("hellohello")
    packed = pack_septets(septets)
    assert packed.hex().upper() == "E8329BFD4697D9EC37"
    assert unpack_septets(packed, 10) == septets


def test_eight_septets_fill_seven_octets_exactly() -> None:
    packed = pack_septets(encode_gsm7("12345678"))
    assert len(packed) == 7
    assert decode_gsm7(unpack_septets(packed, 8)) == "12345678"


@pytest.mark.parametrize("fill", range(7))
def test_fill_bits_are_leading_zero_bits(fill: int) -> None:
    septets = encode_gsm7("Alerte vol")
    packed = pack_septets(septets, fill)
    assert len(packed) == (fill + 7 * len(septets) + 7) // 8
    assert int.from_bytes(packed, "little") & ((1 << fill) - 1) == 0
    assert int.from_bytes(packed, "little") >> fill == int.from_bytes(pack_septets(septets), "little")
    assert unpack_septets(packed, len(septets), fill) == septets


def test_unpack_needs_enough_bits() -> None:
    with pytest.raises(ValueError, match="3 septets need 3 octets, only 2 given"):
        unpack_septets(b"\x00\x00", 3)
    with pytest.raises(ValueError, match=r"fill_bits must be 0\.\.6"):
        pack_septets(b"\x00", 7)


@given(st.text(alphabet=st.sampled_from(GSM7_CHARS), max_size=200), st.integers(0, 6))
def test_text_round_trips_through_packing(text: str, fill: int) -> None:
    septets = encode_gsm7(text)
    assert decode_gsm7(unpack_septets(pack_septets(septets, fill), len(septets), fill)) == text
