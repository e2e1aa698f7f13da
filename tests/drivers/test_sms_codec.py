from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from gsmmodem.pdu import decodeSmsPdu

from drivers.base import DeliveryReport, IncomingSms, MessagePart, utf16_text
from drivers.errors import InvalidMessage
from drivers.sms_codec import decode_received, encode_submit
from drivers.text import analyse
from simulator.pdu import Concat, decode_submit, encode_deliver, tpdu_length

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


def test_smsc_override_gives_the_tpdu_length_without_the_smsc_field() -> None:
    # python-gsmmodem counts the SMSC field into the length: AT+CMGS=<wrong> and the modem answers 304.
    [pdu] = encode_submit(NUMBER, "Vol", concat_reference=1, smsc="+33639980099", status_report=True)
    assert pdu.tpdu_length == decode_submit(pdu.hex).tpdu_length == tpdu_length(pdu.hex)


@pytest.mark.parametrize("before", [64, 65, 66, 67, 130, 131, 132, 133])
def test_ucs2_segments_never_split_a_surrogate_pair(before: int) -> None:
    text = "ж" * before + "😀" + "ж" * 80
    pdus = encode_submit(NUMBER, text, concat_reference=200, smsc="+33639980099", status_report=True)
    parts = [decode_submit(p.hex) for p in pdus]
    assert all(p.tpdu_length == pdu.tpdu_length for p, pdu in zip(parts, pdus, strict=True))
    assert [p.concat.sequence for p in parts if p.concat] == list(range(1, len(parts) + 1))
    assert {p.concat.reference for p in parts if p.concat} == {200}
    for part in parts:  # each segment holds whole characters: no lone half at either end
        assert part.text.encode("utf-16-be", "surrogatepass").decode("utf-16-be") == part.text
    assert "".join(p.text for p in parts) == text
    assert len(pdus) == analyse(text).segments  # the count shown in previews is the count sent


def test_same_reference_gives_the_same_pdus() -> None:
    # Missing segments are resent with the concatenation reference of the first try: the PDUs must not change.
    first = encode_submit(NUMBER, "é" * 200, concat_reference=77, smsc=None, status_report=True)
    assert encode_submit(NUMBER, "é" * 200, concat_reference=77, smsc=None, status_report=True) == first


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


def _part(text: str, total: int, number: int, reference: int = 42) -> str:
    # Built by the simulator's own encoder: an independent codec on the other side of the line.
    return encode_deliver(
        sender=NUMBER,
        text=text,
        smsc="+33639980000",
        timestamp=datetime(2026, 11, 28, tzinfo=UTC),
        concat=Concat(reference, total, number, 8),
    )


def test_a_part_of_a_concatenated_sms_says_where_it_belongs() -> None:
    sms = decode_received(_part("Vu deux hommes ", 2, 1), "m1")
    assert isinstance(sms, IncomingSms)
    assert (sms.text, sms.part) == ("Vu deux hommes ", MessagePart(reference=42, total=2, number=1))
    whole = decode_received(DELIVER, "m1")
    assert isinstance(whole, IncomingSms) and whole.part is None


def test_a_surrogate_pair_split_between_parts_is_joined_back() -> None:
    first = decode_received(_part("Merci \ud83d", 2, 1), "m1")
    second = decode_received(_part("\udc4d à vous", 2, 2), "m1")
    assert isinstance(first, IncomingSms) and isinstance(second, IncomingSms)
    assert utf16_text([first.text, second.text]) == "Merci 👍 à vous"
    assert utf16_text([first.text]) == "Merci \ufffd"  # half a pair alone: replaced, never an encoding error


def test_an_impossible_concatenation_header_is_shown_as_a_message_of_its_own() -> None:
    pdu = _part("x", 2, 2).replace("050003" + "2A0202", "050003" + "2A0203")  # part 3 of 2
    sms = decode_received(pdu, "m1")
    assert isinstance(sms, IncomingSms) and sms.part is None and sms.text == "x"


def test_undecodable_pdu() -> None:
    with pytest.raises(InvalidMessage):
        decode_received("ZZ", "m1")
