"""Reading and deleting stored messages: AT+CMGL, AT+CMGR, AT+CMGD (27.005 §3.4, §3.5.4)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from simulator import storage
from simulator.charset import encode_te
from simulator.commands.registry import Command, Kind, command, int_param, params, str_param
from simulator.errors import CmsError, PlainError
from simulator.pdu import PduError, tpdu_length

if TYPE_CHECKING:
    from simulator.modem import VirtualModem
    from simulator.storage import StoredMessage


def scts(moment: datetime) -> str:
    """Text-mode time stamp "yy/MM/dd,hh:mm:ss+zz" (zz in quarters of an hour)."""
    offset = moment.utcoffset() or timedelta(0)
    quarters = int(offset.total_seconds() // 900)
    sign = "-" if quarters < 0 else "+"
    return moment.strftime("%y/%m/%d,%H:%M:%S") + f"{sign}{abs(quarters):02d}"


def pdu_length(pdu_hex: str) -> int:
    try:
        return tpdu_length(pdu_hex)
    except PduError:
        return len(pdu_hex) // 2


def text_header(modem: VirtualModem, message: StoredMessage, stat_text: str) -> str:
    """The text-mode fields after <stat>, for a deliver or a status report."""
    if message.kind == "report":
        discharged = message.discharged or message.timestamp
        return (
            f'{stat_text},6,{message.message_reference},"{message.sender}",145,'
            f'"{scts(message.timestamp)}","{scts(discharged)}",{message.report_status}'
        )
    number = encode_te(message.sender, modem.settings.cscs)
    return f'{stat_text},"{number}",,"{scts(message.timestamp)}"'


def _mem1(modem: VirtualModem) -> str:
    return modem.cpms[0]


@command("+CMGR", sms=True)
def cmgr(modem: VirtualModem, cmd: Command) -> list[str]:
    if cmd.kind is Kind.TEST:
        return []
    if cmd.kind is not Kind.SET:
        raise PlainError()
    (value,) = params(cmd, 1, 1, sms=True)
    index = int_param(value, 0, 65535, sms=True)
    message = modem.store.get(_mem1(modem), index)
    if message is None:
        raise CmsError(321)
    modem.store.mark_read(_mem1(modem), index)
    if modem.settings.cmgf == 0:
        return [f"+CMGR: {message.stat},,{pdu_length(message.pdu)}", message.pdu]
    header = text_header(modem, message, f'"{storage.STAT_TEXT[message.stat]}"')
    if message.kind == "report":
        return [f"+CMGR: {header}"]
    return [f"+CMGR: {header}", encode_te(message.text, modem.settings.cscs)]


@command("+CMGL", sms=True)
def cmgl(modem: VirtualModem, cmd: Command) -> list[str]:  # noqa: PLR0912 - one branch per 27.005 case
    text_mode = modem.settings.cmgf == 1
    if cmd.kind is Kind.TEST:
        if text_mode:
            return ['+CMGL: ("REC UNREAD","REC READ","STO UNSENT","STO SENT","ALL")']
        return ["+CMGL: (0-4)"]
    if cmd.kind not in (Kind.SET, Kind.EXEC):
        raise PlainError()
    if cmd.kind is Kind.EXEC:
        stat = storage.REC_UNREAD
    else:
        (value,) = params(cmd, 1, 1, sms=True)
        if text_mode:
            name = str_param(value, sms=True).upper()
            if name not in storage.STAT_FROM_TEXT:
                raise CmsError(302)
            stat = storage.STAT_FROM_TEXT[name]
        else:
            if value.startswith('"'):
                raise CmsError(304)  # PDU mode wants <stat> as an integer
            stat = int_param(value, 0, 4, sms=True)
    lines: list[str] = []
    for message in modem.store.list(_mem1(modem), stat):
        if text_mode:
            stat_text = '"' + storage.STAT_TEXT[message.stat] + '"'
            lines.append(f"+CMGL: {message.index},{text_header(modem, message, stat_text)}")
            if message.kind != "report":
                lines.append(encode_te(message.text, modem.settings.cscs))
        else:
            lines.append(f"+CMGL: {message.index},{message.stat},,{pdu_length(message.pdu)}")
            lines.append(message.pdu)
        modem.store.mark_read(_mem1(modem), message.index)
    return lines


@command("+CMGD", sms=True)
def cmgd(modem: VirtualModem, cmd: Command) -> list[str]:
    if cmd.kind is Kind.TEST:
        indexes = ",".join(str(m.index) for m in modem.store.list(_mem1(modem), storage.ALL))
        return [f"+CMGD: ({indexes}),(0-4)"]
    if cmd.kind is not Kind.SET:
        raise PlainError()
    values = params(cmd, 1, 2, sms=True)
    index = int_param(values[0], 0, 65535, sms=True)
    flag = int_param(values[1], 0, 4, sms=True) if len(values) == 2 and values[1] != "" else 0
    if flag:
        modem.store.delete_many(_mem1(modem), flag)
        return []
    _, capacity = modem.store.usage(_mem1(modem))
    if not 1 <= index <= capacity:
        raise CmsError(321)
    modem.store.delete(_mem1(modem), index)
    return []
