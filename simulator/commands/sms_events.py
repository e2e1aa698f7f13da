"""Network-originated events: incoming SMS (+CMTI / +CMT), status reports (+CDS / +CDSI), +CREG URCs."""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import TYPE_CHECKING

from simulator import storage
from simulator.charset import encode_te
from simulator.commands.network_cmds import creg_line
from simulator.commands.sms_store import pdu_length, scts
from simulator.network import OUTCOME_STATUS
from simulator.pdu import Concat, PduError, encode_deliver, encode_status_report, split_deliver_text

if TYPE_CHECKING:
    from simulator.modem import VirtualModem

#: Sender of the SMS that the "urc" fault (kind cmti) makes arrive.
FAULT_SENDER = "+33639980099"

# Concatenation references of incoming multipart SMS (one counter for all modems; 8 bits used).
_CONCAT_REFERENCES = itertools.count(1)


def incoming(
    modem: VirtualModem, sender: str, text: str, now: datetime, *, flush: bool = True, reverse: bool = False
) -> int | None:
    """An SMS arrives for the modem's SIM; returns the storage index of its first part (None when shown
    with +CMT or lost).

    A text longer than one SMS-DELIVER arrives as a concatenated message, one PDU (and one +CMTI or +CMT)
    per part, as an SMSC delivers it; ``reverse`` delivers the parts last first, as networks sometimes do.
    Raises simulator.pdu.PduError when the text cannot be encoded (e.g. over 255 parts).
    """
    parts = split_deliver_text(text)
    if len(parts) > 0xFF:
        raise PduError(f"text needs {len(parts)} parts, a concatenated SMS holds at most 255")
    reference = next(_CONCAT_REFERENCES) & 0xFF
    modem.events(
        {
            "event": "incoming",
            "time": now.isoformat(),
            "modem": modem.name,
            "sender": sender,
            "text": text,
            "parts": len(parts),
        }
    )
    order = range(len(parts) - 1, -1, -1) if reverse else range(len(parts))
    indexes = []
    for position, i in enumerate(order):
        concat = Concat(reference, len(parts), i + 1, 8) if len(parts) > 1 else None
        pdu = encode_deliver(
            sender=sender,
            text=parts[i],
            smsc=modem.csca[0],
            timestamp=now,
            concat=concat,
            more=position < len(parts) - 1,
        )
        indexes.append(_deliver_part(modem, sender, parts[i], pdu, now, flush=flush))
    return indexes[0]


def _deliver_part(modem: VirtualModem, sender: str, text: str, pdu: str, now: datetime, *, flush: bool) -> int | None:
    """Route one SMS-DELIVER per AT+CNMI <mt>: 2/3 -> +CMT, 1 -> stored and +CMTI, 0 -> stored silently."""
    mode, mt = modem.settings.cnmi[0], modem.settings.cnmi[1]
    if mt in (2, 3) and mode != 0:
        if modem.settings.cmgf == 1:
            header = f'+CMT: "{encode_te(sender, modem.settings.cscs)}",,"{scts(now)}"'
            _urc(modem, [header, encode_te(text, modem.settings.cscs)], flush)
        else:
            _urc(modem, [f"+CMT: ,{pdu_length(pdu)}", pdu], flush)
        return None
    mem = modem.cpms[2]
    message = storage.StoredMessage(0, storage.REC_UNREAD, pdu, "deliver", sender, text, now)
    index = modem.store.add(mem, message)
    if index is not None and mt in (1, 2, 3) and mode != 0:
        _urc(modem, [f'+CMTI: "{mem}",{index}'], flush)
    return index


def _urc(modem: VirtualModem, lines: list[str], flush: bool) -> None:
    if flush:
        modem.urc(lines)
    else:
        modem.queue_urc(lines)


def schedule_report(modem: VirtualModem, reference: int, recipient: str, submitted: datetime) -> None:
    """Status report after the configured delay, with the outcome configured at submit time."""
    delays = modem.network.delays
    outcome = delays.report_outcome
    modem.scheduler.call_later(
        delays.report, lambda: status_report(modem, reference, recipient, submitted, outcome=outcome, now=modem.now())
    )


def status_report(
    modem: VirtualModem,
    reference: int,
    recipient: str,
    submitted: datetime,
    *,
    outcome: str,
    now: datetime,
    flush: bool = True,
) -> None:
    """Route a status report per AT+CNMI <ds>: 1 -> +CDS, 2 -> stored in "SR" and +CDSI, 0 -> dropped."""
    status = OUTCOME_STATUS[outcome]
    pdu = encode_status_report(
        message_reference=reference,
        recipient=recipient,
        smsc=modem.csca[0],
        submitted=submitted,
        discharged=now,
        status=status,
    )
    mode, ds = modem.settings.cnmi[0], modem.settings.cnmi[3]
    routed = "none"
    if ds == 1 and mode != 0:
        routed = "cds"
        if modem.settings.cmgf == 1:
            line = f'+CDS: 6,{reference},"{recipient}",145,"{scts(submitted)}","{scts(now)}",{status}'
            _urc(modem, [line], flush)
        else:
            _urc(modem, [f"+CDS: {pdu_length(pdu)}", pdu], flush)
    elif ds == 2:
        message = storage.StoredMessage(
            0, storage.REC_UNREAD, pdu, "report", recipient, "", submitted, reference, status, now
        )
        index = modem.store.add("SR", message)
        if index is not None:
            routed = "cdsi"
            if mode != 0:
                _urc(modem, [f'+CDSI: "SR",{index}'], flush)
    modem.events(
        {
            "event": "status_report",
            "time": now.isoformat(),
            "modem": modem.name,
            "message_reference": reference,
            "recipient": recipient,
            "outcome": outcome,
            "status": status,
            "routed": routed,
        }
    )


def inject_mid_command(modem: VirtualModem, kind: str) -> None:
    """The "urc" fault: queue a URC of that kind so that it lands before the final result code."""
    now = modem.now()
    if kind == "creg":
        modem.queue_urc([creg_line(modem, unsolicited=True)])
    elif kind == "cmti":
        incoming(modem, FAULT_SENDER, "Message arrived mid-command", now, flush=False)
    else:
        last = modem.last_submit
        reference = last["message_reference"] if last else 0
        recipient = last["destination"] if last else FAULT_SENDER
        status_report(modem, reference, recipient, now, outcome="delivered", now=now, flush=False)
