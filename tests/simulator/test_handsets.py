"""Virtual handsets: reassembly of concatenated SMS, duplicates, interleaving, thread safety."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta, timezone

import pytest
from gsmmodem.pdu import encodeSmsSubmitPdu

from simulator.handsets import Handsets, ReceivedSms
from simulator.pdu import SubmitPdu, decode_submit

NUMBER = "+33639980001"
OTHER = "+33639980002"
T0 = datetime(2025, 3, 14, 13, 0, tzinfo=UTC)
LONG_A = "Alerte Vigicommerce : deux individus signalés rue Kennedy, l’un porte un sac noir. " * 2  # 3 x UCS-2
LONG_B = "Rappel : votre adhésion Vigicommerce arrive à échéance, pensez à la renouveler. " * 4  # 3 x GSM 7


def _segments(number: str, text: str, reference: int = 0) -> list[SubmitPdu]:
    return [decode_submit(str(p)) for p in encodeSmsSubmitPdu(number, text, reference=reference)]


def _deliver_all(
    handsets: Handsets, parts: list[SubmitPdu], modem: str = "m1", first_mr: int = 0
) -> list[ReceivedSms | None]:
    return [
        handsets.deliver(p, modem=modem, message_reference=first_mr + i, now=T0 + timedelta(seconds=i))
        for i, p in enumerate(parts)
    ]


def test_single_segment_is_complete_at_once() -> None:
    handsets = Handsets()
    [part] = _segments(NUMBER, "Vol signalé rue de Hollande", reference=77)
    sms = handsets.deliver(part, modem="m1", message_reference=12, now=T0)
    assert sms == ReceivedSms(
        recipient=NUMBER,
        text="Vol signalé rue de Hollande",
        encoding="gsm7",
        segments=1,
        modem="m1",
        message_references=(12,),
        received_at=T0,
        concat_reference=None,
    )
    assert handsets.received() == [sms]
    assert handsets.received(OTHER) == []
    assert handsets.pending() == []


def test_out_of_order_segments_reassemble_in_sequence() -> None:
    handsets = Handsets()
    parts = _segments(NUMBER, LONG_A, reference=5)
    assert len(parts) == 3
    order = [2, 0, 1]
    results = [
        handsets.deliver(parts[i], modem="m1", message_reference=100 + i, now=T0 + timedelta(seconds=n))
        for n, i in enumerate(order)
    ]
    assert results[:2] == [None, None]
    sms = results[2]
    assert sms is not None
    assert sms.text == LONG_A
    assert (sms.segments, sms.concat_reference, sms.encoding) == (3, 5, "ucs2")
    assert sms.message_references == (100, 101, 102)  # in segment order, not arrival order
    assert sms.received_at == T0 + timedelta(seconds=2)
    assert handsets.pending() == []


def test_interleaved_messages_to_the_same_number() -> None:
    handsets = Handsets()
    a = _segments(NUMBER, LONG_A, reference=1)
    b = _segments(NUMBER, LONG_B, reference=2)
    done: list[ReceivedSms] = []
    for i in range(max(len(a), len(b))):
        for parts in (b, a):
            if i < len(parts):
                sms = handsets.deliver(parts[i], modem="m1", message_reference=i, now=T0)
                if sms is not None:
                    done.append(sms)
    assert sorted(s.text for s in done) == sorted([LONG_A, LONG_B])
    assert [s.text for s in handsets.received(NUMBER)] == [s.text for s in done]


def test_same_reference_to_two_numbers_does_not_mix() -> None:
    handsets = Handsets()
    a = _segments(NUMBER, LONG_A, reference=9)
    b = _segments(OTHER, LONG_B, reference=9)
    for pa, pb in zip(a, b, strict=False):
        handsets.deliver(pa, modem="m1", message_reference=0, now=T0)
        handsets.deliver(pb, modem="m1", message_reference=0, now=T0)
    for rest in (a[len(b) :], b[len(a) :]):
        for p in rest:
            handsets.deliver(p, modem="m1", message_reference=0, now=T0)
    assert [s.text for s in handsets.received(NUMBER)] == [LONG_A]
    assert [s.text for s in handsets.received(OTHER)] == [LONG_B]


def test_duplicate_segment_does_not_corrupt() -> None:
    handsets = Handsets()
    parts = _segments(NUMBER, LONG_A, reference=3)
    assert handsets.deliver(parts[0], modem="m1", message_reference=1, now=T0) is None
    assert handsets.deliver(parts[0], modem="m1", message_reference=2, now=T0) is None
    [pending] = handsets.pending()
    assert (pending["received_sequences"], pending["duplicates"], pending["total"]) == ([1], 1, 3)
    assert handsets.deliver(parts[1], modem="m1", message_reference=3, now=T0) is None
    sms = handsets.deliver(parts[2], modem="m1", message_reference=4, now=T0)
    assert sms is not None
    assert sms.text == LONG_A
    assert sms.message_references == (1, 3, 4)  # the first copy of segment 1 wins
    assert len(handsets.received()) == 1


def test_message_sent_twice_is_received_twice() -> None:
    # A crash between "modem accepted" and "row says sent" may resend: the oracle must show it.
    handsets = Handsets()
    parts = _segments(NUMBER, LONG_A, reference=4)
    _deliver_all(handsets, parts)
    _deliver_all(handsets, parts, first_mr=10)
    assert [s.text for s in handsets.received(NUMBER)] == [LONG_A, LONG_A]


def test_segments_through_two_modems_do_not_join() -> None:
    # Like a phone keying on the originating address: half a message per SIM stays incomplete.
    handsets = Handsets()
    parts = _segments(NUMBER, LONG_A, reference=6)
    handsets.deliver(parts[0], modem="m1", message_reference=0, now=T0)
    for p in parts[1:]:
        handsets.deliver(p, modem="m2", message_reference=0, now=T0)
    assert handsets.received() == []
    assert sorted((p["modem"], p["received_sequences"]) for p in handsets.pending()) == [("m1", [1]), ("m2", [2, 3])]


def test_surrogate_pair_split_across_segments_is_joined() -> None:
    handsets = Handsets()
    first = "a" * 66 + "\ud83d"  # what a phone sends when 67 UTF-16 units cut an emoji in half
    second = "\ude00 fin"
    for seq, text in ((1, first), (2, second)):
        raw = text.encode("utf-16-be", "surrogatepass")
        udh = bytes([5, 0, 3, 0x11, 2, seq])
        hex_pdu = "0041000B913336990800F10008" + f"{len(udh) + len(raw):02X}" + (udh + raw).hex()
        sms = handsets.deliver(decode_submit(hex_pdu), modem="m1", message_reference=seq, now=T0)
    assert sms is not None
    assert sms.text == "a" * 66 + "\U0001f600 fin"


def test_received_at_is_utc_and_naive_now_is_refused() -> None:
    handsets = Handsets()
    [part] = _segments(NUMBER, "x")
    local = datetime(2025, 3, 14, 9, 0, tzinfo=timezone(timedelta(hours=-4)))
    sms = handsets.deliver(part, modem="m1", message_reference=0, now=local)
    assert sms is not None
    assert sms.received_at == local
    assert sms.received_at.tzinfo == UTC
    with pytest.raises(ValueError, match="timezone-aware"):
        handsets.deliver(part, modem="m1", message_reference=0, now=datetime(2025, 3, 14))


def test_json_views_and_reset() -> None:
    handsets = Handsets()
    _deliver_all(handsets, _segments(NUMBER, "Bonjour"))
    handsets.deliver(_segments(OTHER, LONG_B, reference=8)[0], modem="m2", message_reference=5, now=T0)
    view = json.loads(json.dumps(handsets.to_json()))
    assert view == [
        {
            "recipient": NUMBER,
            "text": "Bonjour",
            "encoding": "gsm7",
            "segments": 1,
            "modem": "m1",
            "message_references": [0],
            "received_at": "2025-03-14T13:00:00+00:00",
            "concat_reference": None,
        }
    ]
    assert json.loads(json.dumps(handsets.pending())) == [
        {
            "recipient": OTHER,
            "modem": "m2",
            "concat_reference": 8,
            "total": 3,
            "received_sequences": [1],
            "duplicates": 0,
            "first_at": "2025-03-14T13:00:00+00:00",
        }
    ]
    handsets.reset()
    assert handsets.received() == [] and handsets.pending() == []


def test_concurrent_delivery_from_several_modems() -> None:
    handsets = Handsets()
    modems, per_modem = 6, 15
    barrier = threading.Barrier(modems)
    work = {
        f"m{m}": [
            _segments(f"+3363998{m:02d}{k:02d}", LONG_A if k % 2 else "court", reference=k) for k in range(per_modem)
        ]
        for m in range(modems)
    }
    errors: list[BaseException] = []

    def run(modem: str) -> None:
        try:
            barrier.wait(timeout=10)
            for mr, parts in enumerate(work[modem]):
                for p in parts:
                    handsets.deliver(p, modem=modem, message_reference=mr, now=T0)
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(m,)) for m in work]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    received = handsets.received()
    assert len(received) == modems * per_modem
    assert sorted(s.text for s in received) == sorted(
        LONG_A if k % 2 else "court" for _ in range(modems) for k in range(per_modem)
    )
    assert handsets.pending() == []
