from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from gsmmodem.pdu import decodeSmsPdu

from drivers.base import DeliveryReport, IncomingSms
from drivers.errors import InvalidMessage
from drivers.sms_codec import decode_received, encode_submit

NUMBER = "+33639980001"


def test_single_gsm7_submit_round_trips_through_the_library_decoder() -> None:
    [pdu] = encode_submit(NUMBER, "Vol rue de la Liberté", concat_reference=1, smsc=None, status_report=True)
    decoded = decodeSmsPdu(pdu.hex)
    assert decoded["number"] == NUMBER
    assert decoded["text"] == "Vol rue de la Liberté"
    assert pdu.tpdu_length == len(bytes.fromhex(pdu.hex)) - 1
    assert bytes.fromhex(pdu.hex)[1] & 0x20  # TP-SRR: status report requested


def test_status_report_flag_off_and_smsc_override() -> None:
    [pdu] = encode_submit(NUMBER, "x", concat_reference=1, smsc="+33639980099", status_report=False)
    raw = bytes.fromhex(pdu.hex)
    smsc_len = raw[0]
    assert not raw[1 + smsc_len] & 0x20
    assert decodeSmsPdu(pdu.hex)["smsc"] == "+33639980099"


def test_non_bmp_text_is_sent_as_utf16() -> None:
    [pdu] = encode_submit(NUMBER, "Alerte 😀", concat_reference=1, smsc=None, status_report=True)
    assert "D83DDE00" in pdu.hex


def test_multipart_has_one_pdu_per_segment() -> None:
    pdus = encode_submit(NUMBER, "é" * 200, concat_reference=9, smsc=None, status_report=True)
    assert len(pdus) == 2


def test_bad_numbers_are_invalid_messages() -> None:
    with pytest.raises(InvalidMessage):
        encode_submit("not a number", "x", concat_reference=1, smsc=None, status_report=True)


# SMS-DELIVER from +33639980001, "Hi", SCTS 2024-01-02 10:00:00 +01:00 (hand-built).
DELIVER = "00" + "04" + "0B913336990800F1" + "00" + "00" + "42102001000040" + "02" + "C834"
# SMS-STATUS-REPORT ref 7 to +33639980001, delivered (TP-ST 0), same timestamps.
REPORT = "00" + "06" + "07" + "0B913336990800F1" + "42102001000040" + "42102001000040" + "00"


def test_decode_deliver() -> None:
    sms = decode_received(DELIVER, "m1")
    assert isinstance(sms, IncomingSms)
    assert (sms.sender, sms.text) == (NUMBER, "Hi")
    assert sms.received_at == datetime(2024, 1, 2, 10, 0, tzinfo=timezone(timedelta(hours=1))).astimezone(UTC)


def test_decode_status_report_and_finality() -> None:
    rep = decode_received(REPORT, "m1")
    assert isinstance(rep, DeliveryReport)
    assert (rep.reference, rep.recipient, rep.delivered, rep.final, rep.status) == (7, NUMBER, True, True, 0)
    pending = decode_received(REPORT[:-2] + "20", "m1")
    assert isinstance(pending, DeliveryReport) and not pending.final and not pending.delivered
    failed = decode_received(REPORT[:-2] + "41", "m1")
    assert isinstance(failed, DeliveryReport) and failed.final and not failed.delivered


def test_undecodable_pdu() -> None:
    with pytest.raises(InvalidMessage):
        decode_received("ZZ", "m1")
