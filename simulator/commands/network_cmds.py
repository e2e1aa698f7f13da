"""Network commands of 3GPP TS 27.007: signal quality, registration, operator."""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator.commands.registry import Command, Kind, command, int_param, params
from simulator.errors import CmeError, PlainError

if TYPE_CHECKING:
    from simulator.modem import VirtualModem


@command("+CSQ", needs_sim=False)
def csq(modem: VirtualModem, cmd: Command) -> list[str]:
    if cmd.kind is Kind.TEST:
        return ["+CSQ: (0-31,99),(0-7,99)"]
    if cmd.kind is not Kind.EXEC:
        raise PlainError()
    if modem.faults.active("signal_drop") is not None or modem.cfun != 1:
        return ["+CSQ: 99,99"]
    return [f"+CSQ: {modem.config.signal},99"]


def registration_stat(modem: VirtualModem) -> int:
    """27.007 <stat>: 1 registered (home), 0 not registered and not searching."""
    return 1 if modem.registered else 0


def creg_line(modem: VirtualModem, *, unsolicited: bool) -> str:
    """+CREG: [<n>,]<stat>[,<lac>,<ci>]; the URC has no <n>."""
    n = modem.settings.creg
    stat = registration_stat(modem)
    head = "+CREG: " if unsolicited else f"+CREG: {n},"
    if n == 2 and stat == 1:
        return f'{head}{stat},"{modem.config.lac}","{modem.config.cell_id}"'
    return f"{head}{stat}"


@command("+CREG")
def creg(modem: VirtualModem, cmd: Command) -> list[str]:
    if cmd.kind is Kind.READ:
        return [creg_line(modem, unsolicited=False)]
    if cmd.kind is Kind.TEST:
        return ["+CREG: (0-2)"]
    if cmd.kind is Kind.EXEC:
        modem.settings.creg = 0
        return []
    (value,) = params(cmd, 1, 1)
    modem.settings.creg = int_param(value, 0, 2)
    return []


@command("+COPS")
def cops(modem: VirtualModem, cmd: Command) -> list[str]:
    c = modem.config
    if cmd.kind is Kind.READ:
        if not modem.registered:
            return ["+COPS: 0"]
        fmt = modem.settings.cops_format
        name = (c.operator, c.operator_short, c.operator_numeric)[fmt]
        return [f'+COPS: 0,{fmt},"{name}",2']
    if cmd.kind is Kind.TEST:
        if modem.cfun != 1:
            raise CmeError(30)
        return [f'+COPS: (2,"{c.operator}","{c.operator_short}","{c.operator_numeric}",2),,(0-4),(0-2)']
    if cmd.kind is Kind.EXEC:
        raise PlainError()
    values = params(cmd, 1, 4)
    mode = int_param(values[0], 0, 4)
    if len(values) >= 2 and values[1] != "":
        modem.settings.cops_format = int_param(values[1], 0, 2)
    if mode in (1, 4) and len(values) >= 3:
        wanted = values[2].strip('"')
        if wanted not in (c.operator, c.operator_short, c.operator_numeric):
            raise CmeError(32 if mode == 1 else 30)
    return []
