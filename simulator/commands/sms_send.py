"""What happens at Ctrl-Z after AT+CMGS: check the PDU or text, wait for the network, hand it over.

Order of checks follows real modems: the PDU or text is validated first (+CMS ERROR 304/305 at once),
then registration (331 at once), then the radio round trip (seconds), after which the network may still
refuse (the "cms_error" fault: 38, 42, 330, 500...).
"""

from __future__ import annotations

import string
from typing import TYPE_CHECKING, Any

from simulator.charset import CharsetError, decode_te
from simulator.commands import sms_events
from simulator.commands.registry import Prompt
from simulator.errors import CmsError
from simulator.gsm7 import is_gsm7, septet_length
from simulator.pdu import PduError, SubmitPdu, decode_submit, tpdu_length

if TYPE_CHECKING:
    from simulator.modem import VirtualModem

_HEX = frozenset(string.hexdigits)


def _relative_validity(vp: int) -> int:
    """TP-VP relative format -> minutes (TS 23.040 §9.2.3.12.1)."""
    if vp <= 143:
        return (vp + 1) * 5
    if vp <= 167:
        return 720 + (vp - 143) * 30
    if vp <= 196:
        return (vp - 166) * 1440
    return (vp - 192) * 10080


def pdu_submit(prompt: Prompt, data: bytes) -> SubmitPdu:
    """The PDU typed at the prompt, checked against the announced length; CmsError(304) if wrong."""
    text = data.decode("latin-1")
    if not text or len(text) % 2 or not set(text) <= _HEX:
        raise CmsError(304)
    try:
        if tpdu_length(text) != prompt.length:
            raise CmsError(304)
        return decode_submit(text)
    except PduError as exc:
        raise CmsError(304) from exc


def text_submit(modem: VirtualModem, prompt: Prompt, data: bytes) -> SubmitPdu:
    """Build the SMS-SUBMIT a modem would from text mode settings (AT+CSMP, AT+CSCS); 305 if invalid."""
    fo, vp, pid, dcs = modem.settings.csmp
    try:
        text = decode_te(data, modem.settings.cscs)
    except CharsetError as exc:
        raise CmsError(305) from exc
    group = dcs & 0x0C if dcs & 0xC0 == 0 else 0
    encoding = {0x00: "gsm7", 0x04: "8bit", 0x08: "ucs2"}.get(group, "gsm7")
    if encoding == "gsm7":
        if not is_gsm7(text) or septet_length(text) > 160:
            raise CmsError(305)
    elif encoding == "ucs2":
        if len(text.encode("utf-16-be", "surrogatepass")) > 140:
            raise CmsError(305)
    elif len(data) > 140:
        raise CmsError(305)
    vpf = (fo >> 3) & 0x03
    return SubmitPdu(
        smsc=None,
        message_reference=0,
        destination=prompt.destination,
        status_report_requested=bool(fo & 0x20),
        reject_duplicates=bool(fo & 0x04),
        validity_minutes=_relative_validity(vp) if vpf == 2 else None,
        pid=pid,
        dcs=dcs,
        encoding=encoding,  # type: ignore[arg-type]
        concat=None,
        text=text,
        tpdu_length=0,
    )


def _link_open(modem: VirtualModem) -> bool:
    """AT+CMMS: 2 keeps the link, 1 keeps it until the gap between submits exceeds the window."""
    mode = modem.settings.cmms
    if mode == 2:
        return modem.cmms_last is not None
    if mode == 1 and modem.cmms_last is not None:
        if modem.clock() - modem.cmms_last <= modem.network.delays.cmms_window:
            return True
        modem.settings.cmms = 0  # 27.005: the link closes and the mode falls back to 0
    return False


def _record(modem: VirtualModem, pdu: SubmitPdu | None, result: dict[str, Any], data: bytes) -> None:
    record: dict[str, Any] = {
        "event": "submit",
        "time": modem.now().isoformat(),
        "modem": modem.name,
        **result,
    }
    if pdu is not None:
        record.update(
            destination=pdu.destination,
            text=pdu.text,
            encoding=pdu.encoding,
            concat=None
            if pdu.concat is None
            else {"reference": pdu.concat.reference, "total": pdu.concat.total, "sequence": pdu.concat.sequence},
            status_report_requested=pdu.status_report_requested,
        )
    record["input"] = data.decode("latin-1")
    modem.events(record)


def submit(modem: VirtualModem, prompt: Prompt, data: bytes) -> list[str]:
    """Run one submit; returns the "+CMGS: <mr>" line or raises CmsError."""
    pdu: SubmitPdu | None = None
    try:
        pdu = text_submit(modem, prompt, data) if prompt.text_mode else pdu_submit(prompt, data)
        if not modem.registered:
            raise CmsError(331)
        if pdu.smsc is None and not modem.csca[0]:
            raise CmsError(330)
        modem.pause(modem.network.submit_delay(_link_open(modem)))
        if not modem.registered:
            raise CmsError(331)
        fault = modem.faults.consume("cms_error")
        if fault is not None:
            raise CmsError(int(fault.params["code"]))
    except CmsError as error:
        _record(modem, pdu, {"result": "error", "cms_error": error.code}, data)
        raise
    reference = modem.network.next_reference()
    now = modem.now()
    modem.handsets.deliver(pdu, modem=modem.name, message_reference=reference, now=now)
    _record(modem, pdu, {"result": "ok", "message_reference": reference}, data)
    modem.last_submit = {"message_reference": reference, "destination": pdu.destination, "time": now}
    if modem.settings.cmms:
        modem.cmms_last = modem.clock()
    if pdu.status_report_requested:
        sms_events.schedule_report(modem, reference, pdu.destination, now)
    return [f"+CMGS: {reference}"]
