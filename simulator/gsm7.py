"""GSM 03.38 (3GPP TS 23.038) default 7-bit alphabet, its extension table, and septet packing.

Written from the specification rather than borrowed from ``gsmmodem.pdu`` on purpose: the simulator
checks what the gateway's encoder produces, so the two must not share a table or a bug.
"""

from __future__ import annotations

ESCAPE = 0x1B

# Index = septet value. 0x1B is the escape to the extension table; it never stands for a character.
_DEFAULT = (
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
if len(_DEFAULT) != 128:  # a mistyped table must fail at import, not corrupt messages
    raise RuntimeError(f"GSM 7-bit table has {len(_DEFAULT)} entries, not 128")

DEFAULT_ALPHABET: str = _DEFAULT
EXTENSION_TABLE: dict[int, str] = {
    0x0A: "\f",
    0x14: "^",
    0x28: "{",
    0x29: "}",
    0x2F: "\\",
    0x3C: "[",
    0x3D: "~",
    0x3E: "]",
    0x40: "|",
    0x65: "€",
}

_ENCODE_DEFAULT: dict[str, int] = {ch: i for i, ch in enumerate(_DEFAULT) if i != ESCAPE}
_ENCODE_EXTENSION: dict[str, int] = {ch: code for code, ch in EXTENSION_TABLE.items()}


def is_gsm7(text: str) -> bool:
    """True when every character of ``text`` exists in the default alphabet or its extension table."""
    return all(ch in _ENCODE_DEFAULT or ch in _ENCODE_EXTENSION for ch in text)


def septet_length(text: str) -> int:
    """Number of septets ``text`` takes in GSM 7-bit (extension characters count twice)."""
    return len(encode_gsm7(text))


def encode_gsm7(text: str) -> bytes:
    """Map ``text`` to septet values (one byte per septet, 0..127); extension characters become ESC + code.

    Raises ValueError naming the first character that the alphabet cannot represent. No folding
    (ç is not silently turned into Ç): the simulator must see exactly what was sent.
    """
    out = bytearray()
    for index, ch in enumerate(text):
        code = _ENCODE_DEFAULT.get(ch)
        if code is not None:
            out.append(code)
            continue
        ext = _ENCODE_EXTENSION.get(ch)
        if ext is None:
            raise ValueError(f"character {ch!r} (U+{ord(ch):04X}) at index {index} is not in the GSM 7-bit alphabet")
        out += bytes((ESCAPE, ext))
    return bytes(out)


def decode_gsm7(septets: bytes) -> str:
    """Map septet values (one byte each, 0..127) to text, resolving ESC sequences.

    As TS 23.038 asks of a receiver: ESC followed by a code absent from the extension table shows the
    default-table character for that code, and an ESC with nothing after it shows as a space.
    Raises ValueError for a value above 127 (it cannot be a septet).
    """
    chars: list[str] = []
    i = 0
    while i < len(septets):
        value = septets[i]
        if value > 0x7F:
            raise ValueError(f"value 0x{value:02X} at index {i} is not a septet")
        if value != ESCAPE:
            chars.append(_DEFAULT[value])
            i += 1
            continue
        if i + 1 >= len(septets):
            chars.append(" ")
            break
        nxt = septets[i + 1]
        if nxt > 0x7F:
            raise ValueError(f"value 0x{nxt:02X} at index {i + 1} is not a septet")
        if nxt == ESCAPE:
            # ESC ESC is reserved for a future extension table: show a space, re-read the second ESC.
            chars.append(" ")
            i += 1
            continue
        chars.append(EXTENSION_TABLE.get(nxt, _DEFAULT[nxt]))
        i += 2
    return "".join(chars)


def pack_septets(septets: bytes, fill_bits: int = 0) -> bytes:
    """Pack septets LSB-first into octets, after ``fill_bits`` zero bits (0..6).

    The fill bits align the first character on a septet boundary after a user data header.
    """
    if not 0 <= fill_bits <= 6:
        raise ValueError(f"fill_bits must be 0..6, not {fill_bits}")
    acc = 0
    for i, value in enumerate(septets):
        if value > 0x7F:
            raise ValueError(f"value 0x{value:02X} at index {i} is not a septet")
        acc |= value << (fill_bits + 7 * i)
    total_bits = fill_bits + 7 * len(septets)
    return acc.to_bytes((total_bits + 7) // 8, "little")


def unpack_septets(data: bytes, count: int, fill_bits: int = 0) -> bytes:
    """Read ``count`` septets from ``data``, skipping ``fill_bits`` leading bits (0..6).

    Raises ValueError when ``data`` holds fewer than ``fill_bits + 7 * count`` bits.
    """
    if not 0 <= fill_bits <= 6:
        raise ValueError(f"fill_bits must be 0..6, not {fill_bits}")
    if count < 0:
        raise ValueError(f"septet count must not be negative, not {count}")
    needed = fill_bits + 7 * count
    if needed > 8 * len(data):
        raise ValueError(f"{count} septets need {(needed + 7) // 8} octets, only {len(data)} given")
    acc = int.from_bytes(data, "little") >> fill_bits
    return bytes((acc >> (7 * i)) & 0x7F for i in range(count))
