"""Glue to python-gsmmodem's PDU codec: SMS-SUBMIT out, SMS-DELIVER and SMS-STATUS-REPORT in.

Only the codec is used (not ``GsmModem``): see the package README. Library exceptions become
``InvalidMessage`` here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from gsmmodem.exceptions import EncodingError
from gsmmodem.pdu import Concatenation, decodeSmsPdu, encodeGsm7, encodeSmsSubmitPdu

from drivers.base import DeliveryReport, IncomingSms, MessagePart, utf16_text
from drivers.errors import InvalidMessage

_UCS2_SINGLE = 70  # UTF-16 units in a one-part UCS-2 message
_UCS2_MULTI = 67  # per part, after the 6-octet concatenation header


@dataclass(frozen=True)
class SubmitPdu:
    """One segment ready for ``AT+CMGS=<tpdu_length>``; ``hex`` includes the SMSC field."""

    tpdu_length: int
    hex: str


def _utf16_units(text: str) -> str:
    # The library encodes UCS-2 with ord(c) >> 8, which fails on characters outside the BMP;
    # giving it UTF-16 code units (surrogates as separate chars) makes it emit proper UTF-16.
    # Identity for BMP text, hence for every GSM 7-bit text.
    raw = text.encode("utf-16-be")
    return "".join(chr(int.from_bytes(raw[i : i + 2], "big")) for i in range(0, len(raw), 2))


def encode_submit(
    number: str, text: str, *, concat_reference: int, smsc: str | None, status_report: bool
) -> list[SubmitPdu]:
    """Encode ``text`` for ``number`` as one or more SMS-SUBMIT PDUs (GSM 7-bit when possible).

    ``concat_reference`` (0-255) tells a handset which segments belong together: vary it per
    message, and keep it to resend missing segments of the same message (the handset then joins them).
    The TP-MR in the PDU is the same value; modems replace it with their own counter. The same arguments
    always give the same PDUs.
    """
    digits = number[1:] if number.startswith("+") else number
    if not digits.isdigit() or not 3 <= len(digits) <= 20:
        raise InvalidMessage(f"not a dialable number: {number!r}")
    units = _utf16_units(text)
    try:
        if len(units) > _UCS2_SINGLE and not _fits_gsm7(units):
            return _ucs2_concatenated(number, units, concat_reference & 0xFF, smsc, status_report)
        pdus = encodeSmsSubmitPdu(
            number, units, reference=concat_reference & 0xFF, smsc=smsc, requestStatusReport=status_report
        )
    except (ValueError, EncodingError, TypeError) as exc:
        raise InvalidMessage(f"cannot encode message for {number!r}: {exc}") from exc
    return [_submit_pdu(bytes(p.data)) for p in pdus]


def _submit_pdu(data: bytes) -> SubmitPdu:
    # The TPDU length excludes the SMSC field (its length octet, then that many octets). The library counts
    # only the length octet, which is wrong as soon as an SMSC is given (the modem then answers 304).
    return SubmitPdu(len(data) - 1 - data[0], data.hex().upper())


def _fits_gsm7(text: str) -> bool:
    try:
        encodeGsm7(text)
    except ValueError:
        return False
    return True


def ucs2_parts(units: str) -> list[str]:
    """UTF-16 code units cut into segments of at most 67, never between the two halves of a surrogate pair
    (the library cuts every 67 units, and a phone that gets half an emoji in each part may show neither)."""
    parts: list[str] = []
    start = 0
    while start < len(units):
        end = min(start + _UCS2_MULTI, len(units))
        if end < len(units) and "\ud800" <= units[end - 1] <= "\udbff":  # a high half: keep it with its pair
            end -= 1
        parts.append(units[start:end])
        start = end
    return parts


def _ucs2_concatenated(
    number: str, units: str, reference: int, smsc: str | None, status_report: bool
) -> list[SubmitPdu]:
    """A long UCS-2 text, cut by ``ucs2_parts``. The library builds the fields before the user data (SMSC,
    TP-MTI, TP-DA, TP-DCS = UCS-2 ...) for a one-character UCS-2 message; each segment is that head, the TP-UDHI
    flag, and its own user data: a concatenation header (8-bit reference) then the segment's UTF-16."""
    (probe,) = encodeSmsSubmitPdu(number, "ж", reference=reference, smsc=smsc, requestStatusReport=status_report)
    head = bytearray(probe.data[:-3])  # minus TP-UDL and the two octets of "ж"
    head[1 + head[0]] |= 0x40  # TP-UDHI: the user data starts with a header
    parts = ucs2_parts(units)
    pdus = []
    for number_in_message, part in enumerate(parts, start=1):
        header = bytes([5, 0, 3, reference, len(parts), number_in_message])
        body = part.encode("utf-16-be", "surrogatepass")
        pdus.append(_submit_pdu(bytes(head) + bytes([len(header) + len(body)]) + header + body))
    return pdus


def _utc(value: object) -> datetime | None:
    return value.astimezone(UTC) if isinstance(value, datetime) else None


def _concatenation(elements: list[object]) -> MessagePart | None:
    """The concatenation IE (8- or 16-bit reference) of a user data header; None for a one-part message.

    A header that announces an impossible part (0 parts, number outside 1..total) is ignored, as
    handsets do: the text is shown as a message of its own rather than dropped.
    """
    for element in elements:
        if isinstance(element, Concatenation):
            total, number = int(element.parts), int(element.number)
            if total > 1 and 1 <= number <= total:
                return MessagePart(int(element.reference), total, number)
    return None


def decode_received(pdu_hex: str, modem_id: str) -> IncomingSms | DeliveryReport:
    """Decode a PDU read from storage (AT+CMGR/AT+CMGL) or pushed (+CMT/+CDS).

    Raises ``InvalidMessage`` when the PDU cannot be decoded or is an SMS-SUBMIT.
    """
    try:
        data = decodeSmsPdu(pdu_hex.strip())
    except (EncodingError, ValueError, StopIteration, IndexError, KeyError, TypeError) as exc:
        raise InvalidMessage(f"undecodable PDU {pdu_hex[:40]!r}...: {exc}") from exc
    kind = data.get("type")
    if kind == "SMS-DELIVER":
        received = _utc(data.get("time")) or datetime.now(UTC)
        # The library decodes UCS-2 unit by unit: a part keeps its units as they are (the next part may
        # complete a surrogate pair); a whole message gets its pairs joined back into characters now.
        raw = str(data.get("text") or "")
        part = _concatenation(data.get("udh") or [])
        text = raw if part is not None else utf16_text([raw])
        return IncomingSms(modem_id, str(data.get("number") or ""), text, received, part)
    if kind == "SMS-STATUS-REPORT":
        status = int(data["status"])
        return DeliveryReport(
            modem_id=modem_id,
            reference=int(data["reference"]),
            recipient=str(data.get("number") or ""),
            delivered=status < 0x20,
            # 0x20-0x3F: temporary error, the SMSC is still trying; every other value is final.
            final=not 0x20 <= status < 0x40,
            status=status,
            discharged_at=_utc(data.get("discharge")),
        )
    raise InvalidMessage(f"unexpected PDU type {kind!r}")
