"""Text policy: which encoding a text needs, how many segments it costs, and GSM folding. Pure.

The alphabet is python-gsmmodem's GSM 03.38 table, the very one its PDU encoder uses, so the
encoding chosen here is the one that goes on the air.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from gsmmodem.pdu import GSM7_BASIC, GSM7_EXTENDED

Encoding = Literal["gsm7", "ucs2"]
Policy = Literal["exact", "gsm-folded"]

GSM7_SINGLE_PART = 160
GSM7_MULTI_PART = 153  # 7 septets go to the concatenation user data header
UCS2_SINGLE_PART = 70
UCS2_MULTI_PART = 67

_BASIC = frozenset(GSM7_BASIC)
# python-gsmmodem maps chr(0xFF) to the form feed escape; 'ÿ' is not a GSM character, so it is
# left out here (and folded to 'y' by fold_gsm).
_EXTENDED = frozenset(c for c in GSM7_EXTENDED if c != "\xff")

# Only foldings where a French or English reader loses no meaning. Characters GSM 03.38 has
# (é è ù ì ò à Ç É Ä Ö Ñ Ü ä ö ñ ü å Å æ Æ ø Ø ß § ¿ ¡ £ ¥ €) are left alone.
_FOLD: dict[str, str] = {
    "\u2019": "'",
    "\u2018": "'",
    "\u201a": "'",
    "\u2032": "'",
    "\u02bc": "'",
    "\u00ab": '"',
    "\u00bb": '"',
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u2033": '"',
    "\u2026": "...",
    "\u2013": "-",
    "\u2014": "-",
    "\u2010": "-",
    "\u2011": "-",
    "\u2012": "-",
    "\u2212": "-",
    "\u00a0": " ",
    "\u202f": " ",
    "\u2009": " ",
    "\u2007": " ",
    "\u200a": " ",
    "\u0153": "oe",
    "\u0152": "OE",
    "ê": "e",
    "â": "a",
    "î": "i",
    "ô": "o",
    "û": "u",
    "ë": "e",
    "ï": "i",
    "ç": "c",
    "ÿ": "y",
    "á": "a",
    "í": "i",
    "ó": "o",
    "ú": "u",
    "À": "A",
    "Â": "A",
    "Á": "A",
    "È": "E",
    "Ê": "E",
    "Ë": "E",
    "Î": "I",
    "Ï": "I",
    "Í": "I",
    "Ô": "O",
    "Ó": "O",
    "Ù": "U",
    "Û": "U",
    "Ú": "U",
    "Ÿ": "Y",
}


@dataclass(frozen=True)
class TextInfo:
    """What will be sent for a text and what it costs.

    ``text`` is the text after the policy (folded or not); ``length`` counts encoded units:
    septets for gsm7 (extension characters count 2), UTF-16 code units for ucs2;
    ``ucs2_forced_by`` lists, once each and in order, the characters that are not GSM 03.38;
    ``folded`` lists, once each and in order, what folding changed (``("’", "'")``), empty when the text
    goes exact, so that a preview can show it.
    """

    text: str
    encoding: Encoding
    segments: int
    ucs2_forced_by: tuple[str, ...]
    length: int
    folded: tuple[tuple[str, str], ...] = ()


def fold_gsm(text: str) -> str:
    """Replace typographic characters by GSM 03.38 ones where the meaning survives."""
    return "".join(_FOLD.get(c, c) for c in text)


def is_gsm7(char: str) -> bool:
    """True when ``char`` is in the GSM 03.38 default alphabet or its extension table."""
    return char in _BASIC or char in _EXTENDED


def _count_parts(costs: list[int], single: int, multi: int) -> int:
    total = sum(costs)
    if total <= single:
        return 1
    # Greedy fill; an item (escape pair, surrogate pair) is never split across parts.
    parts, used = 1, 0
    for cost in costs:
        if used + cost > multi:
            parts += 1
            used = 0
        used += cost
    return parts


def folding(text: str) -> tuple[tuple[str, str], ...]:
    """What ``fold_gsm`` would change in ``text``: (character, replacement) pairs, once each, in order."""
    return tuple(dict.fromkeys((c, _FOLD[c]) for c in text if c in _FOLD))


def analyse(text: str, policy: Policy = "exact") -> TextInfo:
    """Encoding, segment count (3GPP TS 23.040) and offending characters for ``text`` under ``policy``.

    ``gsm-folded`` folds only when it helps: when the folded text fits GSM 03.38. A text that needs UCS-2
    anyway (an emoji, a Greek letter) goes exact, since folding would lose its exact wording for nothing.
    """
    if policy not in ("exact", "gsm-folded"):
        raise ValueError(f"unknown text policy {policy!r}")
    if policy == "gsm-folded":
        folded = fold_gsm(text)
        if all(is_gsm7(c) for c in folded):
            return _measure(folded, folding(text))
    return _measure(text, ())


def _measure(text: str, folded: tuple[tuple[str, str], ...]) -> TextInfo:
    forced = tuple(dict.fromkeys(c for c in text if not is_gsm7(c)))
    if not forced:
        septets = [2 if c in _EXTENDED and c not in _BASIC else 1 for c in text]
        parts = _count_parts(septets, GSM7_SINGLE_PART, GSM7_MULTI_PART)
        return TextInfo(text, "gsm7", parts, (), sum(septets), folded)
    units = [2 if ord(c) > 0xFFFF else 1 for c in text]
    return TextInfo(text, "ucs2", _count_parts(units, UCS2_SINGLE_PART, UCS2_MULTI_PART), forced, sum(units))
