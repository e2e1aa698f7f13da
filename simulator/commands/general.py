"""V.250 basic commands and the general commands of 3GPP TS 27.007 (identification, CMEE, CPIN, CFUN...)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator.commands.registry import (
    REGISTRY,
    Command,
    Kind,
    command,
    int_param,
    params,
    str_param,
)
from simulator.errors import CmeError, PlainError

if TYPE_CHECKING:
    from simulator.modem import Settings, VirtualModem

PUK = "12345678"


def _flag(cmd: Command) -> int:
    """E, V, Q take 0 or 1; no digit means 0 (V.250)."""
    if cmd.args == "":
        return 0
    if cmd.args not in ("0", "1"):
        raise PlainError()
    return int(cmd.args)


@command("E", needs_sim=False)
def echo(modem: VirtualModem, cmd: Command) -> list[str]:
    modem.settings.echo = bool(_flag(cmd))
    return []


@command("V", needs_sim=False)
def verbose(modem: VirtualModem, cmd: Command) -> list[str]:
    modem.settings.verbose = bool(_flag(cmd))
    return []


@command("Q", needs_sim=False)
def quiet(modem: VirtualModem, cmd: Command) -> list[str]:
    modem.settings.quiet = bool(_flag(cmd))
    return []


def _reset_profile(modem: VirtualModem) -> None:
    from simulator.modem import Settings  # noqa: PLC0415 - modem imports this package

    fresh: Settings = Settings()
    modem.settings = fresh
    modem.cmms_last = None


@command("Z", "&F", needs_sim=False)
def reset_profile(modem: VirtualModem, cmd: Command) -> list[str]:
    if cmd.args not in ("", "0"):
        raise PlainError()
    _reset_profile(modem)
    return []


@command("&C", "&D", "&W", "&K", "X", "L", "M", needs_sim=False)
def accepted(modem: VirtualModem, cmd: Command) -> list[str]:
    """Line-control settings that have no meaning on a pty but that clients send."""
    return []


@command("H", needs_sim=False)
def hang_up(modem: VirtualModem, cmd: Command) -> list[str]:
    return []


@command("S", needs_sim=False)
def s_register(modem: VirtualModem, cmd: Command) -> list[str]:
    number = int(cmd.name[1:])
    if number > 255:
        raise PlainError()
    if cmd.kind is Kind.READ:
        return [f"{modem.settings.sregs.get(number, 0):03d}"]
    value = int(cmd.args)
    if value > 255:
        raise PlainError()
    modem.settings.sregs[number] = value
    return []


def _identification(modem: VirtualModem) -> list[str]:
    c = modem.config
    return [
        f"Manufacturer: {c.manufacturer}",
        f"Model: {c.model}",
        f"Revision: {c.revision}",
        f"IMEI: {c.imei}",
        "+GCAP: +CGSM,+DS,+ES",
    ]


@command("I", needs_sim=False)
def info(modem: VirtualModem, cmd: Command) -> list[str]:
    if cmd.args not in ("", "0"):
        raise PlainError()
    return _identification(modem)


def _simple(value: str, cmd: Command) -> list[str]:
    if cmd.kind is Kind.EXEC:
        return [value]
    if cmd.kind is Kind.TEST:
        return []
    raise PlainError()


@command("+CGMI", "+GMI", needs_sim=False)
def manufacturer(modem: VirtualModem, cmd: Command) -> list[str]:
    return _simple(modem.config.manufacturer, cmd)


@command("+CGMM", "+GMM", needs_sim=False)
def model(modem: VirtualModem, cmd: Command) -> list[str]:
    return _simple(modem.config.model, cmd)


@command("+CGMR", "+GMR", needs_sim=False)
def revision(modem: VirtualModem, cmd: Command) -> list[str]:
    return _simple(modem.config.revision, cmd)


@command("+CGSN", "+GSN", needs_sim=False)
def serial_number(modem: VirtualModem, cmd: Command) -> list[str]:
    return _simple(modem.config.imei, cmd)


@command("+CIMI")
def imsi(modem: VirtualModem, cmd: Command) -> list[str]:
    return _simple(modem.config.imsi, cmd)


@command("+GCAP", needs_sim=False)
def capabilities(modem: VirtualModem, cmd: Command) -> list[str]:
    return _simple("+GCAP: +CGSM,+DS,+ES", cmd)


def _setting(modem: VirtualModem, cmd: Command, attr: str, high: int, label: str) -> list[str]:
    """The common shape of a numeric setting: =n, ? -> "+X: n", =? -> "+X: (0-high)"."""
    current: Settings = modem.settings
    if cmd.kind is Kind.READ:
        return [f"{label}: {getattr(current, attr)}"]
    if cmd.kind is Kind.TEST:
        return [f"{label}: (0-{high})"]
    if cmd.kind is Kind.EXEC:
        setattr(current, attr, 0)
        return []
    (value,) = params(cmd, 1, 1)
    setattr(current, attr, int_param(value, 0, high))
    return []


@command("+CMEE", needs_sim=False)
def cmee(modem: VirtualModem, cmd: Command) -> list[str]:
    return _setting(modem, cmd, "cmee", 2, "+CMEE")


@command("+CLIP")
def clip(modem: VirtualModem, cmd: Command) -> list[str]:
    if cmd.kind is Kind.READ:
        return [f"+CLIP: {modem.settings.clip},1"]
    return _setting(modem, cmd, "clip", 1, "+CLIP")


@command("+CRC")
def crc(modem: VirtualModem, cmd: Command) -> list[str]:
    return _setting(modem, cmd, "crc", 1, "+CRC")


@command("+CVHU", needs_sim=False)
def cvhu(modem: VirtualModem, cmd: Command) -> list[str]:
    return _setting(modem, cmd, "cvhu", 1, "+CVHU")


@command("+CSCS")
def cscs(modem: VirtualModem, cmd: Command) -> list[str]:
    if cmd.kind is Kind.READ:
        return [f'+CSCS: "{modem.settings.cscs}"']
    if cmd.kind is Kind.TEST:
        return ['+CSCS: ("GSM","IRA","UCS2")']
    if cmd.kind is Kind.EXEC:
        raise PlainError()
    (value,) = params(cmd, 1, 1)
    charset = str_param(value).upper()
    if charset not in ("GSM", "IRA", "UCS2"):
        raise CmeError(4)
    modem.settings.cscs = charset
    return []


@command("+CFUN", needs_sim=False)
def cfun(modem: VirtualModem, cmd: Command) -> list[str]:
    if cmd.kind is Kind.READ:
        return [f"+CFUN: {modem.cfun}"]
    if cmd.kind is Kind.TEST:
        return ["+CFUN: (0,1,4),(0,1)"]
    if cmd.kind is Kind.EXEC:
        raise PlainError()
    values = params(cmd, 1, 2)
    fun = int_param(values[0], 0, 4)
    if fun not in (0, 1, 4):
        raise CmeError(50)
    if len(values) == 2 and int_param(values[1], 0, 1) == 1:
        # Reset: the SIM asks again for its PIN, the profile comes back.
        _reset_profile(modem)
        modem.sim.locked = modem.sim.pin is not None
    modem.cfun = fun
    return []


@command("+CPIN", needs_sim=False)
def cpin(modem: VirtualModem, cmd: Command) -> list[str]:
    sim = modem.sim
    if cmd.kind is Kind.READ:
        state = "SIM PUK" if sim.puk_locked else "SIM PIN" if sim.locked else "READY"
        return [f"+CPIN: {state}"]
    if cmd.kind is Kind.TEST:
        return []
    if cmd.kind is Kind.EXEC:
        raise PlainError()
    values = [str_param(v) for v in params(cmd, 1, 2)]
    if sim.puk_locked:
        if len(values) != 2 or values[0] != PUK:
            raise CmeError(16)
        sim.puk_locked = False
        sim.locked = False
        sim.pin = values[1]
        sim.attempts = 3
        return []
    if not sim.locked:
        raise CmeError(3)
    if values[0] != sim.pin:
        sim.attempts -= 1
        if sim.attempts <= 0:
            sim.puk_locked = True
            raise CmeError(12)
        raise CmeError(16)
    sim.locked = False
    sim.attempts = 3
    return []


@command("+CLAC", needs_sim=False)
def clac(modem: VirtualModem, cmd: Command) -> list[str]:
    if cmd.kind is Kind.TEST:
        return []
    if cmd.kind is not Kind.EXEC:
        raise PlainError()
    names = sorted(n for n in REGISTRY if n.startswith(("+", "^", "&")))
    return ["AT" + name for name in names]
