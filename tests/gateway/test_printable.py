"""The one printable-text rule: which characters may reach a phone, and what the refusal says."""

from __future__ import annotations

import pytest

from gateway.printable import _FORBIDDEN, UnprintableTextError, printable, refusal

# (character, refused?, reason) - one row per class of the rule, and the neighbours that must pass.
TABLE: list[tuple[str, str | None]] = [
    ("\x00", "caractère de contrôle"),  # NUL
    ("\x07", "caractère de contrôle"),  # BEL
    ("\x09", "caractère de contrôle"),  # TAB: not in GSM 03.38, shown differently by each phone
    ("\x1b", "caractère de contrôle"),  # ESC
    ("\x1f", "caractère de contrôle"),
    ("\n", None),  # the one control a phone shows: a line break
    ("\x7f", "caractère de contrôle"),  # DEL
    ("\x80", "caractère de contrôle"),  # C1
    ("\x85", "caractère de contrôle"),  # NEL
    ("\x9f", "caractère de contrôle"),
    ("\xa0", None),  # no-break space: printable (folded to a space under gsm-folded)
    ("\ud800", "moitié de paire UTF-16 isolée"),
    ("\udfff", "moitié de paire UTF-16 isolée"),
    ("\ufdd0", "non-caractère Unicode"),
    ("\ufdef", "non-caractère Unicode"),
    ("\ufffe", "non-caractère Unicode"),
    ("\uffff", "non-caractère Unicode"),
    ("\U0001fffe", "non-caractère Unicode"),
    ("\U0010ffff", "non-caractère Unicode"),
    ("\ufffd", None),  # the replacement character is a character
    ("\u202a", "contrôle de direction du texte"),  # LRE
    ("\u202e", "contrôle de direction du texte"),  # RLO: "a text that reads backwards"
    ("\u2066", "contrôle de direction du texte"),  # LRI
    ("\u2069", "contrôle de direction du texte"),  # PDI
    ("\u2029", None),
    ("\u206a", None),
    ("é", None),
    ("€", None),
    ("’", None),
    ("😀", None),
    ("ж", None),
]


@pytest.mark.parametrize(("char", "reason"), TABLE, ids=[f"U+{ord(c):04X}" for c, _ in TABLE])
def test_each_class_of_character(char: str, reason: str | None) -> None:
    assert refusal(char) == reason
    text = f"Vol{char}nul"
    if reason is None:
        assert printable(text) == text
    else:
        with pytest.raises(UnprintableTextError) as caught:
            printable(text, "text_fr")
        assert (caught.value.char, caught.value.position, caught.value.field) == (char, 4, "text_fr")
        assert f"U+{ord(char):04X}" in str(caught.value) and "position 4" in str(caught.value)


def test_the_fast_search_and_the_rule_agree_on_every_code_point() -> None:
    # The regex searched in C must refuse exactly what ``refusal`` names (CR aside: normalised, not refused).
    disagree = [
        code
        for code in range(0x110000)
        if code != 0x0D and (refusal(chr(code)) is not None) != bool(_FORBIDDEN.fullmatch(chr(code)))
    ]
    assert disagree == []


def test_cr_and_crlf_become_lf() -> None:
    assert printable("Vol\r\nrue\rKennedy\n") == "Vol\nrue\nKennedy\n"


def test_the_message_names_the_character_and_its_position_in_french() -> None:
    with pytest.raises(UnprintableTextError) as caught:
        printable("Alerte\r\n : vol \u202erue")
    message = str(caught.value)
    # Position counted in the text as given (the CRLF counts two).
    assert message.startswith("caractère interdit en position 16 : U+202E RIGHT-TO-LEFT OVERRIDE")
    assert "contrôle de direction" in message and "retirez-le" in message
    with pytest.raises(UnprintableTextError, match="U\\+0007 BEL"):
        printable("\x07")
