"""The simulator's own SMS PDU codec (3GPP TS 23.040): decode SMS-SUBMIT, encode SMS-DELIVER and
SMS-STATUS-REPORT.

Independent of ``gsmmodem.pdu`` (which the gateway uses to encode) so that a bug in one cannot hide
on both sides of the serial line. Decoding is strict like a modem's: anything malformed raises
:class:`PduError` with a message that says what is wrong, and no other exception type escapes for
any input.

Conventions callers rely on:

* 8-bit user data is returned as text decoded with latin-1 (one character per octet, reversible
  with ``text.encode("latin-1")``).
* UCS-2 user data is decoded 16 bits at a time; a surrogate pair inside one segment is joined, a
  half pair (split across segments) is kept as a lone surrogate so that reassembly can join it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import IntEnum
from typing import Literal

from simulator.gsm7 import decode_gsm7, encode_gsm7, is_gsm7, pack_septets, unpack_septets

Encoding = Literal["gsm7", "8bit", "ucs2"]
_ALPHABETS: tuple[Encoding, Encoding, Encoding] = ("gsm7", "8bit", "ucs2")  # TP-DCS bits 3-2

_MAX_USER_DATA_OCTETS = 140
_MAX_SEPTETS = 160
_MAX_ADDRESS_DIGITS = 20
_MAX_SMSC_OCTETS = 11  # TOA + 10 octets of digits (TS 24.011 RP address)
_SEMI_OCTET_DIGITS = "0123456789*#abc"  # nibble values 0..14; 15 is the filler


class PduError(ValueError):
    """A PDU that a modem would refuse; the message says which field is wrong and how."""


class ReportStatus(IntEnum):
    """TP-Status values (TS 23.040 9.2.3.15) the simulator's network model reports."""

    DELIVERED = 0x00  # short message received by the SME
    FORWARDED_UNCONFIRMED = 0x01
    CONGESTION_STILL_TRYING = 0x20  # temporary error, SC still trying (not final)
    SME_BUSY_STILL_TRYING = 0x21
    REJECTED = 0x41  # permanent: incompatible destination
    CONNECTION_REJECTED = 0x42  # permanent: connection rejected by SME
    NOT_OBTAINABLE = 0x43  # permanent
    EXPIRED = 0x46  # permanent: SM validity period expired


DELIVERED = ReportStatus.DELIVERED
EXPIRED = ReportStatus.EXPIRED
REJECTED = ReportStatus.REJECTED


@dataclass(frozen=True)
class Concat:
    """Concatenation information element: IEI 0x00 (8-bit reference) or 0x08 (16-bit reference)."""

    reference: int
    total: int
    sequence: int
    ref_bits: int  # 8 or 16


@dataclass(frozen=True)
class SubmitPdu:
    """One decoded SMS-SUBMIT, i.e. one segment as a client hands it to AT+CMGS."""

    smsc: str | None  # None when the SMSC field is "00" (use the SIM's default)
    message_reference: int  # TP-MR as sent; the modem replaces it with its own counter
    destination: str  # "+33639980001" for international numbers (TON 1), digits otherwise
    status_report_requested: bool
    reject_duplicates: bool
    validity_minutes: int | None  # relative TP-VP only; absolute and enhanced formats give None
    pid: int
    dcs: int
    encoding: Encoding
    concat: Concat | None
    text: str  # this segment's user data (without the header); see module docstring for 8-bit
    tpdu_length: int  # octets after the SMSC field: what AT+CMGS=<length> must state


class _Reader:
    """Cursor over the PDU octets that turns every short read into a PduError naming the field."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    @property
    def remaining(self) -> int:
        return len(self.data) - self.pos

    def octet(self, field: str) -> int:
        return self.take(1, field)[0]

    def take(self, count: int, field: str) -> bytes:
        if count > self.remaining:
            raise PduError(
                f"truncated PDU: {field} needs {count} octet(s) at offset {self.pos}, only {self.remaining} left"
            )
        chunk = self.data[self.pos : self.pos + count]
        self.pos += count
        return chunk


def _parse_hex(pdu_hex: object) -> bytes:
    if not isinstance(pdu_hex, str):
        raise PduError(f"PDU must be a hex string, not {type(pdu_hex).__name__}")
    if not pdu_hex:
        raise PduError("empty PDU")
    for index, ch in enumerate(pdu_hex):
        if ch not in "0123456789abcdefABCDEF":
            raise PduError(f"non-hex character {ch!r} at position {index}")
    if len(pdu_hex) % 2:
        raise PduError(f"odd number of hex digits ({len(pdu_hex)}): a PDU is whole octets")
    return bytes.fromhex(pdu_hex)


def _decode_digits(raw: bytes, digits: int, field: str) -> str:
    """Semi-octets, low nibble first; ``digits`` says how many nibbles are meaningful."""
    out: list[str] = []
    for i in range(digits):
        octet = raw[i // 2]
        nibble = octet >> 4 if i % 2 else octet & 0x0F
        if nibble == 0x0F:
            raise PduError(f"{field}: filler nibble F at digit {i + 1} of {digits}")
        out.append(_SEMI_OCTET_DIGITS[nibble])
    return "".join(out)


def _decode_smsc(reader: _Reader) -> str | None:
    length = reader.octet("SMSC length")
    if length == 0:
        return None
    if length > _MAX_SMSC_OCTETS:
        raise PduError(f"SMSC length {length} octets exceeds the maximum of {_MAX_SMSC_OCTETS}")
    toa = reader.octet("SMSC type of address")
    raw = reader.take(length - 1, "SMSC digits")
    digits = 2 * len(raw)
    if raw and raw[-1] >> 4 == 0x0F:
        digits -= 1  # odd number of digits: the last high nibble is the filler
    number = _decode_digits(raw, digits, "SMSC address")
    return _with_ton(number, toa)


def _with_ton(number: str, toa: int) -> str:
    return "+" + number if (toa >> 4) & 0x07 == 1 else number


def _decode_destination(reader: _Reader) -> str:
    digits = reader.octet("TP-DA length")
    if digits == 0:
        raise PduError("TP-DA is empty: no destination number")
    if digits > _MAX_ADDRESS_DIGITS:
        raise PduError(f"TP-DA length {digits} digits exceeds the maximum of {_MAX_ADDRESS_DIGITS}")
    toa = reader.octet("TP-DA type of address")
    if not toa & 0x80:
        raise PduError(f"TP-DA type of address 0x{toa:02X} lacks bit 7 (must be 1)")
    raw = reader.take((digits + 1) // 2, "TP-DA digits")
    if (toa >> 4) & 0x07 == 5:
        # Alphanumeric: the length counts useful semi-octets of packed GSM 7-bit.
        try:
            return decode_gsm7(unpack_septets(raw, digits * 4 // 7))
        except ValueError as exc:
            raise PduError(f"TP-DA alphanumeric address: {exc}") from exc
    return _with_ton(_decode_digits(raw, digits, "TP-DA"), toa)


def _relative_validity_minutes(vp: int) -> int:
    """TS 23.040 9.2.3.12.1: four ranges with different steps."""
    if vp <= 143:
        return (vp + 1) * 5
    if vp <= 167:
        return 12 * 60 + (vp - 143) * 30
    if vp <= 196:
        return (vp - 166) * 24 * 60
    return (vp - 192) * 7 * 24 * 60


def _decode_validity(reader: _Reader, vpf: int) -> int | None:
    if vpf == 0:
        return None
    if vpf == 2:
        return _relative_validity_minutes(reader.octet("TP-VP (relative)"))
    # Enhanced (1) and absolute (3) formats both take 7 octets; the simulator only skips them.
    reader.take(7, "TP-VP (enhanced)" if vpf == 1 else "TP-VP (absolute)")
    return None


def _alphabet(dcs: int) -> Encoding:
    """TS 23.038 section 4: the character set a TP-DCS value selects (or PduError)."""
    group = dcs >> 4
    if group <= 0x07:  # general data coding (0x0-0x3) and automatic deletion group (0x4-0x7)
        if dcs & 0x20:
            raise PduError(f"TP-DCS 0x{dcs:02X} announces compressed text, which is not supported")
        alphabet = (dcs >> 2) & 0x03
        if alphabet == 3:
            raise PduError(f"TP-DCS 0x{dcs:02X} selects the reserved alphabet 11")
        return _ALPHABETS[alphabet]
    if group in (0x0C, 0x0D):
        return "gsm7"  # message waiting indication, discard/store, GSM 7-bit
    if group == 0x0E:
        return "ucs2"  # message waiting indication, store, UCS-2
    if group == 0x0F:
        return "8bit" if dcs & 0x04 else "gsm7"
    raise PduError(f"TP-DCS 0x{dcs:02X} is in the reserved coding groups 1000-1011")


def _parse_header(header: bytes) -> Concat | None:
    """Walk the information elements of a user data header; return the concatenation IE if any."""
    concat: Concat | None = None
    pos = 0
    while pos < len(header):
        if pos + 2 > len(header):
            raise PduError(f"UDH truncated: information element at offset {pos} has no length octet")
        iei, length = header[pos], header[pos + 1]
        data = header[pos + 2 : pos + 2 + length]
        if len(data) < length:
            raise PduError(f"UDH truncated: IE 0x{iei:02X} says {length} octets, only {len(data)} left")
        pos += 2 + length
        if iei not in (0x00, 0x08):
            continue  # other IEs (ports, text formatting...) do not change what the handset keeps
        expected = 3 if iei == 0x00 else 4
        if length != expected:
            raise PduError(f"UDH concatenation IE 0x{iei:02X} has length {length}, expected {expected}")
        if concat is not None:
            raise PduError("UDH holds two concatenation information elements")
        ref = data[0] if iei == 0x00 else int.from_bytes(data[:2], "big")
        total, seq = data[-2], data[-1]
        if total == 0:
            raise PduError("UDH concatenation: total number of segments is 0")
        if not 1 <= seq <= total:
            raise PduError(f"UDH concatenation: sequence number {seq} is outside 1..{total}")
        concat = Concat(reference=ref, total=total, sequence=seq, ref_bits=8 if iei == 0x00 else 16)
    return concat


def _decode_ucs2(raw: bytes) -> str:
    # surrogatepass joins valid pairs and keeps lone halves (a pair split across two segments).
    return raw.decode("utf-16-be", "surrogatepass")


def _user_data_octets(encoding: Encoding, udl: int, remaining: int) -> int:
    """Octets TP-UDL announces, checked against the limits and against what actually follows."""
    unit, limit = ("septets", _MAX_SEPTETS) if encoding == "gsm7" else ("octets", _MAX_USER_DATA_OCTETS)
    if udl > limit:
        raise PduError(f"TP-UDL {udl} {unit} exceeds the maximum of {limit}")
    octets = (udl * 7 + 7) // 8 if encoding == "gsm7" else udl
    if octets > remaining:
        raise PduError(f"TP-UDL says {udl} {unit} but only {remaining} octets follow")
    if octets < remaining:
        raise PduError(f"TP-UDL says {udl} {unit} ({octets} octets) but {remaining} octets follow")
    return octets


def _split_header(user_data: bytes) -> tuple[int, Concat | None]:
    """Return (octets taken by UDHL + UDH, concatenation IE) of user data that starts with a header."""
    if not user_data:
        raise PduError("TP-UDHI is set but the user data is empty")
    udhl = user_data[0]
    if 1 + udhl > len(user_data):
        raise PduError(f"UDHL {udhl} is longer than the user data ({len(user_data) - 1} octets after it)")
    return 1 + udhl, _parse_header(user_data[1 : 1 + udhl])


def _decode_user_data(reader: _Reader, encoding: Encoding, udl: int, has_header: bool) -> tuple[Concat | None, str]:
    user_data = reader.take(_user_data_octets(encoding, udl, reader.remaining), "TP-UD")
    header_octets, concat = _split_header(user_data) if has_header else (0, None)
    body = user_data[header_octets:]
    if encoding == "gsm7":
        fill_bits = (7 - (header_octets * 8) % 7) % 7
        header_septets = (header_octets * 8 + fill_bits) // 7
        if header_septets > udl:
            raise PduError(f"UDHL {header_octets - 1} takes {header_septets} septets but TP-UDL is {udl}")
        try:
            text = decode_gsm7(unpack_septets(body, udl - header_septets, fill_bits))
        except ValueError as exc:  # unreachable after the length checks; kept so only PduError escapes
            raise PduError(f"TP-UD: {exc}") from exc
        return concat, text
    if encoding == "ucs2":
        if len(body) % 2:
            raise PduError(f"UCS-2 user data has an odd number of octets ({len(body)})")
        return concat, _decode_ucs2(body)
    return concat, body.decode("latin-1")


def decode_submit(pdu_hex: str, *, has_smsc: bool = True) -> SubmitPdu:
    """Decode one SMS-SUBMIT PDU given in hex as after AT+CMGS (raises PduError only).

    ``has_smsc=False`` for clients that omit the leading SMSC field entirely.
    """
    reader = _Reader(_parse_hex(pdu_hex))
    smsc = _decode_smsc(reader) if has_smsc else None
    tpdu_start = reader.pos
    first = reader.octet("first octet (TP-MTI)")
    mti = first & 0x03
    if mti != 1:
        names = {0: "SMS-DELIVER", 2: "SMS-COMMAND", 3: "reserved"}
        raise PduError(f"TP-MTI is {mti} ({names[mti]}), expected 1 (SMS-SUBMIT)")
    message_reference = reader.octet("TP-MR")
    destination = _decode_destination(reader)
    pid = reader.octet("TP-PID")
    dcs = reader.octet("TP-DCS")
    encoding = _alphabet(dcs)
    validity = _decode_validity(reader, (first >> 3) & 0x03)
    udl = reader.octet("TP-UDL")
    concat, text = _decode_user_data(reader, encoding, udl, bool(first & 0x40))
    return SubmitPdu(
        smsc=smsc,
        message_reference=message_reference,
        destination=destination,
        status_report_requested=bool(first & 0x20),
        reject_duplicates=bool(first & 0x04),
        validity_minutes=validity,
        pid=pid,
        dcs=dcs,
        encoding=encoding,
        concat=concat,
        text=text,
        tpdu_length=len(reader.data) - tpdu_start,
    )


def tpdu_length(pdu_hex: str) -> int:
    """Octets after the SMSC field of a PDU that starts with one: the <length> of +CMT, +CDS, AT+CMGS."""
    data = _parse_hex(pdu_hex)
    smsc_octets = 1 + data[0]
    if smsc_octets >= len(data):
        raise PduError(f"SMSC field takes {smsc_octets} octets, leaving no TPDU in {len(data)}")
    return len(data) - smsc_octets


# --- encoding (network -> client) ---------------------------------------------------------------


def _encode_address_digits(number: str, field: str) -> tuple[int, bytes]:
    """Return (type of address, semi-octets) for "+digits" (international) or plain digits."""
    international = number.startswith("+")
    digits = number[1:] if international else number
    if not digits or not all(ch in _SEMI_OCTET_DIGITS for ch in digits) or len(digits) > _MAX_ADDRESS_DIGITS:
        raise PduError(f"{field} {number!r} is not a phone number (up to 20 digits, optional leading +)")
    padded = digits + "F" if len(digits) % 2 else digits
    nibbles = [_SEMI_OCTET_DIGITS.index(ch) if ch != "F" else 0x0F for ch in padded]
    raw = bytes(nibbles[i] | nibbles[i + 1] << 4 for i in range(0, len(nibbles), 2))
    return (0x91 if international else 0x81), raw


def _encode_smsc(smsc: str) -> bytes:
    toa, raw = _encode_address_digits(smsc, "SMSC")
    if 1 + len(raw) > _MAX_SMSC_OCTETS:
        raise PduError(f"SMSC {smsc!r} is too long")
    return bytes((1 + len(raw), toa)) + raw


def _encode_originator(address: str) -> bytes:
    """TP-OA: a number, or an alphanumeric sender name (TON 5) such as an operator's."""
    if address.lstrip("+").isdigit():
        toa, raw = _encode_address_digits(address, "sender")
        return bytes((len(address.lstrip("+")), toa)) + raw
    try:
        septets = encode_gsm7(address)
    except ValueError as exc:
        raise PduError(f"alphanumeric sender {address!r}: {exc}") from exc
    if len(septets) > 11:
        raise PduError(f"alphanumeric sender {address!r} is longer than 11 septets")
    raw = pack_septets(septets)
    return bytes(((len(septets) * 7 + 3) // 4, 0xD0)) + raw


def _bcd_swapped(value: int) -> int:
    return (value % 10) << 4 | (value // 10)


def encode_timestamp(moment: datetime) -> bytes:
    """TP-SCTS / TP-DT: seven swapped semi-octets, local time of ``moment`` and its offset in quarter hours.

    ``moment`` must be timezone-aware with an offset that is a whole number of quarter hours.
    """
    offset = moment.utcoffset()
    if offset is None:
        raise PduError(f"timestamp {moment!r} has no timezone")
    if not 2000 <= moment.year <= 2099:
        raise PduError(f"timestamp year {moment.year} cannot be written with two digits")
    quarters, rest = divmod(abs(offset), timedelta(minutes=15))
    if rest or quarters > 79:
        raise PduError(f"timezone offset {offset} is not a whole number of quarter hours within ±19:45")
    fields = (moment.year % 100, moment.month, moment.day, moment.hour, moment.minute, moment.second)
    tz = _bcd_swapped(quarters) | (0x08 if offset < timedelta(0) else 0)  # sign: bit 3 of the octet
    return bytes(_bcd_swapped(v) for v in fields) + bytes((tz,))


def encode_deliver(
    *, sender: str, text: str, smsc: str, timestamp: datetime, concat: Concat | None = None, more: bool = False
) -> str:
    """SMS-DELIVER PDU in hex, with its SMSC field, for +CMT and AT+CMGR in PDU mode.

    GSM 7-bit when every character allows it, else UCS-2. ``concat`` makes it one part of a
    concatenated message (8-bit reference IE); ``more`` sets "more messages to send" (TP-MMS=0), as
    the SMSC does between the parts. Text over one PDU's capacity raises PduError: split it first with
    :func:`split_deliver_text`.
    """
    header = b""
    if concat is not None:
        if not (0 <= concat.reference <= 0xFF and 1 <= concat.sequence <= concat.total <= 0xFF):
            raise PduError(f"concatenation {concat} is not a valid 8-bit reference IE")
        header = bytes((5, 0x00, 3, concat.reference, concat.total, concat.sequence))
    if is_gsm7(text):
        fill_bits = (7 - (len(header) * 8) % 7) % 7
        header_septets = (len(header) * 8 + fill_bits) // 7
        septets = encode_gsm7(text)
        if header_septets + len(septets) > _MAX_SEPTETS:
            raise PduError(f"text takes {len(septets)} septets, one SMS-DELIVER holds {_MAX_SEPTETS - header_septets}")
        # The header's octets, then the septets shifted past the fill bits; the header's last octet
        # and the fill bits never overlap because the fill starts on an octet boundary.
        dcs, udl = 0x00, header_septets + len(septets)
        user_data = header + pack_septets(septets, fill_bits)
    else:
        body = text.encode("utf-16-be", "surrogatepass")
        if len(header) + len(body) > _MAX_USER_DATA_OCTETS:
            raise PduError(
                f"text takes {len(body) // 2} UCS-2 units, one SMS-DELIVER holds "
                f"{(_MAX_USER_DATA_OCTETS - len(header)) // 2}"
            )
        dcs, user_data = 0x08, header + body
        udl = len(user_data)
    first = 0x00 if more else 0x04  # SMS-DELIVER; TP-MMS=1 (0x04): no more messages waiting
    if header:
        first |= 0x40  # TP-UDHI: the user data starts with a header
    tpdu = (
        bytes((first,))
        + _encode_originator(sender)
        + bytes((0x00, dcs))
        + encode_timestamp(timestamp)
        + bytes((udl,))
        + user_data
    )
    return (_encode_smsc(smsc) + tpdu).hex().upper()


def split_deliver_text(text: str) -> list[str]:
    """The texts of the parts an SMSC cuts ``text`` into: one part when it fits a single SMS-DELIVER,
    else 153 septets (GSM 7-bit) or 67 UCS-2 units per part, never splitting an escape sequence or a
    surrogate pair (what real handsets and SMSCs avoid too)."""
    if is_gsm7(text):
        if len(encode_gsm7(text)) <= _MAX_SEPTETS:
            return [text]
        return _split_by(text, 153, lambda ch: len(encode_gsm7(ch)))
    if len(text.encode("utf-16-be", "surrogatepass")) <= _MAX_USER_DATA_OCTETS:
        return [text]
    return _split_by(text, 67, lambda ch: len(ch.encode("utf-16-be", "surrogatepass")) // 2)


def _split_by(text: str, capacity: int, cost: Callable[[str], int]) -> list[str]:
    parts: list[str] = []
    current, used = "", 0
    for ch in text:
        size = cost(ch)
        if used + size > capacity:
            parts.append(current)
            current, used = "", 0
        current += ch
        used += size
    parts.append(current)
    return parts


def encode_status_report(
    *,
    message_reference: int,
    recipient: str,
    smsc: str,
    submitted: datetime,
    discharged: datetime,
    status: int,
) -> str:
    """SMS-STATUS-REPORT PDU in hex, with its SMSC field, for +CDS and AT+CMGR.

    ``message_reference`` is the TP-MR the modem returned in +CMGS; ``status`` a TP-ST octet (see
    :class:`ReportStatus`).
    """
    if not 0 <= message_reference <= 255:
        raise PduError(f"message reference {message_reference} is outside 0..255")
    if not 0 <= status <= 255:
        raise PduError(f"status {status} is outside 0..255")
    toa, raw = _encode_address_digits(recipient, "recipient")
    address = bytes((len(recipient.lstrip("+")), toa)) + raw
    first = 0x06  # SMS-STATUS-REPORT, TP-MMS=1, TP-SRQ=0 (reports on an SMS-SUBMIT)
    tpdu = (
        bytes((first, message_reference))
        + address
        + encode_timestamp(submitted)
        + encode_timestamp(discharged)
        + bytes((status,))
    )
    return (_encode_smsc(smsc) + tpdu).hex().upper()
