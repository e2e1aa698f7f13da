"""SMS configuration and sending commands of 3GPP TS 27.005 (§3.2-3.5)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator import storage
from simulator.charset import decode_number, encode_te
from simulator.commands import sms_store  # noqa: F401 - registers CMGL/CMGR/CMGD
from simulator.commands.registry import Command, Kind, Prompt, command, int_param, params, str_param
from simulator.errors import CmsError, PlainError

if TYPE_CHECKING:
    from simulator.modem import VirtualModem

#: Longest TPDU (octets after the SMSC field) a SMS-SUBMIT can have.
MAX_TPDU = 164


def _number_setting(
    modem: VirtualModem, cmd: Command, attr: str, high: int, label: str, *, choices: str | None = None
) -> list[str]:
    if cmd.kind is Kind.READ:
        return [f"{label}: {getattr(modem.settings, attr)}"]
    if cmd.kind is Kind.TEST:
        return [f"{label}: {choices or f'(0-{high})'}"]
    if cmd.kind is Kind.EXEC:
        raise PlainError()
    (value,) = params(cmd, 1, 1, sms=True)
    setattr(modem.settings, attr, int_param(value, 0, high, sms=True))
    return []


@command("+CMGF", sms=True, needs_sim=False)
def cmgf(modem: VirtualModem, cmd: Command) -> list[str]:
    return _number_setting(modem, cmd, "cmgf", 1, "+CMGF", choices="(0,1)")


@command("+CSDH", sms=True, needs_sim=False)
def csdh(modem: VirtualModem, cmd: Command) -> list[str]:
    if cmd.kind is Kind.READ:
        return ["+CSDH: 0"]
    if cmd.kind is Kind.TEST:
        return ["+CSDH: (0,1)"]
    if cmd.kind is Kind.SET:
        int_param(params(cmd, 1, 1, sms=True)[0], 0, 1, sms=True)
    return []


@command("+CMMS", sms=True)
def cmms(modem: VirtualModem, cmd: Command) -> list[str]:
    result = _number_setting(modem, cmd, "cmms", 2, "+CMMS")
    if cmd.kind is Kind.SET:
        modem.cmms_last = None
    return result


@command("+CSMS", sms=True, needs_sim=False)
def csms(modem: VirtualModem, cmd: Command) -> list[str]:
    if cmd.kind is Kind.READ:
        return ["+CSMS: 0,1,1,1"]
    if cmd.kind is Kind.TEST:
        return ["+CSMS: (0,1)"]
    if cmd.kind is Kind.EXEC:
        raise PlainError()
    int_param(params(cmd, 1, 1, sms=True)[0], 0, 1, sms=True)
    return ["+CSMS: 1,1,1"]


@command("+CNMA", sms=True)
def cnma(modem: VirtualModem, cmd: Command) -> list[str]:
    if cmd.kind is Kind.TEST:
        return ["+CNMA: (0-2)"] if modem.settings.cmgf == 0 else []
    # With AT+CSMS=0 (phase 2) nothing is waiting for an acknowledgement.
    raise CmsError(340)


@command("+CSCA", sms=True)
def csca(modem: VirtualModem, cmd: Command) -> list[str]:
    if cmd.kind is Kind.READ:
        number, toa = modem.csca
        return [f'+CSCA: "{encode_te(number, modem.settings.cscs)}",{toa}']
    if cmd.kind is Kind.TEST:
        return []
    if cmd.kind is Kind.EXEC:
        raise PlainError()
    values = params(cmd, 1, 2, sms=True)
    number = decode_number(str_param(values[0], sms=True), modem.settings.cscs)
    toa = int_param(values[1], 0, 255, sms=True) if len(values) == 2 else (145 if number.startswith("+") else 129)
    modem.csca = (number, toa)
    return []


@command("+CSMP", sms=True, needs_sim=False)
def csmp(modem: VirtualModem, cmd: Command) -> list[str]:
    if cmd.kind is Kind.READ:
        return ["+CSMP: " + ",".join(str(v) for v in modem.settings.csmp)]
    if cmd.kind is Kind.TEST:
        return []
    if cmd.kind is Kind.EXEC:
        raise PlainError()
    values = params(cmd, 1, 4, sms=True)
    current = list(modem.settings.csmp)
    for i, value in enumerate(values):
        if value != "":
            current[i] = int_param(value, 0, 255, sms=True)
    modem.settings.csmp = (current[0], current[1], current[2], current[3])
    return []


@command("+CNMI", sms=True)
def cnmi(modem: VirtualModem, cmd: Command) -> list[str]:
    if cmd.kind is Kind.READ:
        return ["+CNMI: " + ",".join(str(v) for v in modem.settings.cnmi)]
    if cmd.kind is Kind.TEST:
        return ["+CNMI: (0-2),(0-3),(0,2),(0-2),(0,1)"]
    if cmd.kind is Kind.EXEC:
        raise PlainError()
    values = params(cmd, 1, 5, sms=True)
    highs = (2, 3, 2, 2, 1)
    parsed = [0, 0, 0, 0, 0]
    for i, value in enumerate(values):
        if value != "":
            parsed[i] = int_param(value, 0, highs[i], sms=True)
    if parsed[2] == 1:
        raise CmsError(303)  # cell broadcast routing class 1 is not supported, as on most USB modems
    modem.settings.cnmi = (parsed[0], parsed[1], parsed[2], parsed[3], parsed[4])
    return []


def _mems(choices: tuple[str, ...]) -> str:
    return "(" + ",".join(f'"{m}"' for m in choices) + ")"


@command("+CPMS", sms=True)
def cpms(modem: VirtualModem, cmd: Command) -> list[str]:
    if cmd.kind is Kind.TEST:
        return [f"+CPMS: {_mems(storage.READABLE)},{_mems(storage.WRITABLE)},{_mems(storage.WRITABLE)}"]
    if cmd.kind is Kind.READ:
        parts = []
        for mem in modem.cpms:
            used, total = modem.store.usage(mem)
            parts.append(f'"{mem}",{used},{total}')
        return ["+CPMS: " + ",".join(parts)]
    if cmd.kind is Kind.EXEC:
        raise PlainError()
    values = params(cmd, 1, 3, sms=True)
    chosen = list(modem.cpms)
    for i, value in enumerate(values):
        if value == "":
            continue
        mem = str_param(value, sms=True).upper()
        if mem not in (storage.READABLE if i == 0 else storage.WRITABLE):
            raise CmsError(302)
        chosen[i] = mem
    modem.cpms = chosen
    usage = [modem.store.usage(mem) for mem in chosen]
    return ["+CPMS: " + ",".join(f"{used},{total}" for used, total in usage)]


@command("+CMGS", sms=True)
def cmgs(modem: VirtualModem, cmd: Command) -> Prompt | list[str]:
    if cmd.kind is Kind.TEST:
        return []
    if cmd.kind is not Kind.SET:
        raise PlainError()
    values = params(cmd, 1, 2, sms=True)
    if modem.settings.cmgf == 0:
        if len(values) != 1:
            raise CmsError(304)
        try:
            length = int(values[0])
        except ValueError as exc:
            raise CmsError(304) from exc
        if not 7 <= length <= MAX_TPDU:
            raise CmsError(304)
        return Prompt(text_mode=False, length=length)
    try:
        destination = decode_number(str_param(values[0], sms=True), modem.settings.cscs)
    except CmsError as exc:
        raise CmsError(305) from exc
    digits = destination[1:] if destination.startswith("+") else destination
    if not digits or len(digits) > 20 or not digits.isdigit():
        raise CmsError(305)
    toda = 145 if destination.startswith("+") else 129
    if len(values) == 2:
        toda = int_param(values[1], 0, 255, sms=True)
    return Prompt(text_mode=True, destination=destination, toda=toda)
