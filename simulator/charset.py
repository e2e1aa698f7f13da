"""TE character sets of AT+CSCS ("GSM", "IRA", "UCS2") for text-mode strings and messages."""

from __future__ import annotations

from simulator.gsm7 import decode_gsm7, encode_gsm7


class CharsetError(ValueError):
    """A string that is not valid in the selected TE character set."""


def decode_te(data: bytes, charset: str) -> str:
    """Bytes typed by the terminal -> text, per AT+CSCS."""
    if charset == "UCS2":
        try:
            raw = bytes.fromhex(data.decode("ascii"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise CharsetError("UCS2 strings are hex, 4 digits per character") from exc
        if len(raw) % 2:
            raise CharsetError("UCS2 string of odd length")
        return raw.decode("utf-16-be", "surrogatepass")
    if charset == "GSM":
        if any(byte > 0x7F for byte in data):
            raise CharsetError("GSM 7-bit values are 0-127")
        return decode_gsm7(data)
    if any(byte > 0x7F for byte in data):
        raise CharsetError("IRA (T.50) is 7-bit")
    return data.decode("ascii")


def encode_te(text: str, charset: str) -> str:
    """Text -> what the modem prints for the terminal, per AT+CSCS."""
    if charset == "UCS2":
        return text.encode("utf-16-be", "surrogatepass").hex().upper()
    if charset == "GSM":
        try:
            return encode_gsm7(text).decode("latin-1")
        except ValueError:
            return "?" * len(text)
    return text.encode("ascii", "replace").decode("ascii")


def decode_number(param: str, charset: str) -> str:
    """A quoted phone number parameter (quotes removed) in the TE character set."""
    if charset == "UCS2" and len(param) % 4 == 0 and param and all(c in "0123456789abcdefABCDEF" for c in param):
        return decode_te(param.encode("ascii"), charset)
    return param
