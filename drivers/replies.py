"""Parsers for the information lines of the AT answers the driver uses. Pure functions."""

from __future__ import annotations

import re

_INT = re.compile(r"-?\d+")


def _fields(line: str) -> list[str]:
    """``'+CREG: 2,1,"00AB"'`` -> ``['2', '1', '00AB']``."""
    body = line.split(":", 1)[1] if ":" in line else line
    return [f.strip().strip('"') for f in body.split(",")]


def _find(lines: list[str], prefix: str) -> str | None:
    return next((ln for ln in lines if ln.upper().startswith(prefix)), None)


def identity(lines: list[str]) -> str:
    """The value of AT+CGMI/CGMM/CGMR/CGSN/CIMI, with any ``+CGMI:`` style prefix and quotes removed."""
    for line in lines:
        value = line.split(":", 1)[1] if line[:1] in "+^" and ":" in line else line
        value = value.strip().strip('"').strip()
        if value:
            return value
    return ""


def csq_rssi(lines: list[str]) -> int | None:
    """``+CSQ: 20,99`` -> 20; 99 (unknown) or a missing line -> None."""
    line = _find(lines, "+CSQ:")
    if line is None:
        return None
    try:
        rssi = int(_fields(line)[0])
    except ValueError:
        return None
    return rssi if 0 <= rssi <= 31 else None


def creg_status(line: str, *, unsolicited: bool) -> int | None:
    """Registration status from ``+CREG:``: the 1st field of an URC, the 2nd of an AT+CREG? answer."""
    fields = _fields(line)
    index = 0 if unsolicited else 1
    if len(fields) <= index or not fields[index].isdigit():
        # "+CREG: 1" in answer to AT+CREG? from a modem that omits <n>: take the only field.
        return int(fields[0]) if not unsolicited and len(fields) == 1 and fields[0].isdigit() else None
    return int(fields[index])


def is_registered(status: int | None) -> bool:
    """1 = home network, 5 = roaming."""
    return status in (1, 5)


def creg_query(lines: list[str]) -> int | None:
    """Status from the answer to AT+CREG?."""
    line = _find(lines, "+CREG:")
    return None if line is None else creg_status(line, unsolicited=False)


def cpin_state(lines: list[str]) -> str:
    """``+CPIN: SIM PIN`` -> ``SIM PIN``; ``""`` when absent."""
    line = _find(lines, "+CPIN:")
    return "" if line is None else line.split(":", 1)[1].strip().upper()


def cops_operator(lines: list[str]) -> str | None:
    """``+COPS: 0,0,"Orange F",7`` -> ``Orange F``; None when not registered."""
    line = _find(lines, "+COPS:")
    if line is None:
        return None
    fields = _fields(line)
    return fields[2] if len(fields) >= 3 and fields[2] else None


def cmgs_reference(lines: list[str]) -> int | None:
    """``+CMGS: 12`` (optionally ``,<scts>``) -> 12."""
    line = _find(lines, "+CMGS:")
    if line is None:
        return None
    match = _INT.search(line.split(":", 1)[1])
    return int(match.group()) if match else None


def storage_index(line: str) -> int | None:
    """``+CMTI: "SM",3`` / ``+CDSI: "SR",3`` -> 3."""
    fields = _fields(line)
    return int(fields[-1]) if fields and fields[-1].isdigit() else None


def cmgr_pdu(lines: list[str]) -> str | None:
    """The PDU line that follows the ``+CMGR:`` header."""
    for i, line in enumerate(lines):
        if line.upper().startswith("+CMGR:") and i + 1 < len(lines):
            return lines[i + 1]
    return None


def cmgl_entries(lines: list[str]) -> list[tuple[int, str]]:
    """``+CMGL: <index>,<stat>,,<len>`` + PDU pairs -> ``[(index, pdu), ...]``."""
    entries: list[tuple[int, str]] = []
    for i, line in enumerate(lines):
        if line.upper().startswith("+CMGL:") and i + 1 < len(lines):
            first = _fields(line)[0]
            if first.isdigit():
                entries.append((int(first), lines[i + 1]))
    return entries
