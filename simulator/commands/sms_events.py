"""Network-originated events: incoming SMS (+CMTI / +CMT), status reports (+CDS / +CDSI), +CREG URCs."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from simulator import storage
from simulator.charset import encode_te
from simulator.commands.network_cmds import creg_line
from simulator.commands.sms_store import pdu_length, scts
from simulator.network import OUTCOME_STATUS
from simulator.pdu import encode_deliver, encode_status_report

if TYPE_CHECKING:
    from simulator.modem import VirtualModem

#: Sender of the SMS that the "urc" fault (kind cmti) makes arrive.
FAULT_SENDER = "+33639980099"


def incoming(modem: VirtualModem, sender: str, text: str, now: datetime, *, flush: bool = True) -> int | None:
    """An SMS arrives for the modem's SIM; returns its storage index (None when shown with +CMT or lost).

    Raises simulator.pdu.PduError when the text does not fit one SMS-DELIVER.
    """
    pdu = encode_deliver(sender=sender, text=text, smsc=modem.csca[0], timestamp=now)
    mode, mt = modem.settings.cnmi[0], modem.settings.cnmi[1]
    text_mode = modem.settings.cmgf == 1
    modem.events({"event": "incoming", "time": now.isoformat(), "modem": modem.name, "sender": sender, "text": text})
    if mt in (2, 3) and mode != 0:
        if text_mode:
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
