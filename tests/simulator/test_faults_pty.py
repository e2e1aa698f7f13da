"""Faults scripted through the control client, observed on a real pty like a serial client would."""

from __future__ import annotations

import errno
import json
import os
import re
from pathlib import Path

import pytest
from gsmmodem.pdu import decodeSmsPdu, encodeSmsSubmitPdu

from drivers.sms_codec import _utf16_units
from simulator.app import Simulator
from simulator.client import ControlError
from simulator.testing import AtTerminal, submit_pdu


@pytest.fixture
def term(simulator: Simulator):
    with AtTerminal(simulator.modems[0].device_path) as t:
        t.command("ATE0")
        t.command("AT+CMEE=1")
        yield t


def _send(term: AtTerminal, text: str = "hello", *, report: bool = False) -> bytes:
    pdu, length = submit_pdu(text=text, report=report)
    term.write(f"AT+CMGS={length}\r".encode())
    term.read_until(rb"> ")
    term.write(pdu.encode() + b"\x1a")
    return term.read_until(rb"\r\n(OK|\+CMS ERROR: \d+)\r\n")


def test_state_file_lists_modems(simulator: Simulator) -> None:
    state = json.loads(Path(simulator.config.state_file or "").read_text())
    assert state["control_url"] == simulator.control_url
    assert [m["device_path"] for m in state["modems"]] == [m.device_path for m in simulator.modems]
    assert os.path.realpath(state["modems"][0]["device_path"]).startswith("/dev/pts/")


def test_submit_reaches_handset_and_log(simulator: Simulator, term: AtTerminal) -> None:
    assert _send(term, "hello").startswith(b"\r\n+CMGS: 0\r\n")
    client = simulator.client
    assert [m["text"] for m in client.handsets("+33639980001")] == ["hello"]
    assert client.handsets("+33639980002") == []
    (submit,) = client.submits()
    assert (submit["result"], submit["message_reference"], submit["modem"]) == ("ok", 0, "modem0")
    lines = Path(simulator.config.submit_log or "").read_text().splitlines()
    assert json.loads(lines[0])["destination"] == "+33639980001"


def test_an_emoji_split_across_two_ucs2_segments_is_joined(simulator: Simulator, term: AtTerminal) -> None:
    # python-gsmmodem cuts UCS-2 every 67 units, here between the two halves of the emoji: the simulator used to
    # crash writing the half to its JSONL log, and the submit never got its answer.
    text = "ж" * 66 + "😀" + "ж" * 70
    for pdu in encodeSmsSubmitPdu("+33639980001", _utf16_units(text), reference=5):
        term.write(f"AT+CMGS={pdu.tpduLength}\r".encode())
        term.read_until(rb"> ")
        term.write(str(pdu).encode() + b"\x1a")
        assert term.read_until(rb"\r\n(OK|\+CMS ERROR: \d+)\r\n").endswith(b"OK\r\n")
    client = simulator.client
    assert [(m["text"], m["segments"]) for m in client.handsets("+33639980001")] == [(text, 3)]
    segments = [s["text"] for s in client.submits()]
    assert segments[0].endswith("\ud83d") and segments[1].startswith("\ude00")  # the halves, as sent
    records = [json.loads(line) for line in Path(simulator.config.submit_log or "").read_text().splitlines()]
    assert [r["text"] for r in records if r["event"] == "submit"] == segments


def test_cms_error_once_then_always(simulator: Simulator, term: AtTerminal) -> None:
    client = simulator.client
    client.inject_fault("modem0", "cms_error", code=38, count=1)
    assert _send(term) == b"\r\n+CMS ERROR: 38\r\n"
    assert _send(term).endswith(b"OK\r\n")
    client.inject_fault("modem0", "cms_error", code=42)
    assert _send(term) == b"\r\n+CMS ERROR: 42\r\n"
    assert _send(term) == b"\r\n+CMS ERROR: 42\r\n"
    client.clear_faults("modem0", "cms_error")
    assert _send(term).endswith(b"OK\r\n")
    assert [s["result"] for s in client.submits()] == ["error", "ok", "error", "error", "ok"]
    assert len(client.handsets()) == 2


def test_registration_loss_and_return(simulator: Simulator, term: AtTerminal) -> None:
    term.command("AT+CREG=1")
    simulator.client.inject_fault("modem0", "no_network")
    term.read_until(rb"\r\n\+CREG: 0\r\n")
    assert b"+CREG: 1,0" in term.command("AT+CREG?")
    assert _send(term) == b"\r\n+CMS ERROR: 331\r\n"
    simulator.client.clear_faults("modem0")
    term.read_until(rb"\r\n\+CREG: 1\r\n")
    assert _send(term).endswith(b"OK\r\n")


def test_sim_asks_for_pin_after_reset(simulator: Simulator, term: AtTerminal) -> None:
    simulator.client.inject_fault("modem0", "sim_pin")
    # The modem rebooted: echo is back on and CMEE is 0.
    assert term.command("ATE0;+CMEE=1").endswith(b"OK\r\n")
    assert b"+CPIN: SIM PIN" in term.command("AT+CPIN?")
    assert term.command("AT+COPS?") == b"\r\n+CME ERROR: 11\r\n"
    assert term.command('AT+CPIN="1234"') == b"\r\nOK\r\n"
    assert b'+COPS: 0,0,"Orange Caraibe",2' in term.command("AT+COPS?")


def test_hang_then_recover(simulator: Simulator, term: AtTerminal) -> None:
    simulator.client.inject_fault("modem0", "hang")
    term.write(b"AT\r")
    assert term.idle(0.3) == b""
    simulator.client.clear_faults("modem0", "hang")
    assert term.command("AT") == b"\r\nOK\r\n"


def test_slow_modem(simulator: Simulator, term: AtTerminal) -> None:
    simulator.client.inject_fault("modem0", "slow", delay=0.3)
    term.write(b"AT\r")
    assert term.idle(0.1) == b""
    assert term.read_until(rb"OK\r\n", timeout=3) == b"\r\nOK\r\n"


def test_garbage_and_signal_drop(simulator: Simulator, term: AtTerminal) -> None:
    simulator.client.inject_fault("modem0", "garbage", data="00ff41fe")
    assert term.read_until(rb"\x00\xffA\xfe") == b"\x00\xffA\xfe"
    simulator.client.inject_fault("modem0", "signal_drop")
    assert b"+CSQ: 99,99" in term.command("AT+CSQ")


def test_urc_between_response_and_ok(simulator: Simulator, term: AtTerminal) -> None:
    simulator.client.inject_fault("modem0", "urc", urc="cmti", count=1)
    assert term.command("AT+CSQ") == b'\r\n+CSQ: 20,99\r\n\r\n+CMTI: "SM",1\r\n\r\nOK\r\n'
    term.command("AT+CNMI=2,1,0,1,0")
    assert _send(term, report=True).startswith(b"\r\n+CMGS: 0\r\n\r\nOK\r\n")
    simulator.client.inject_fault("modem0", "urc", urc="cds", count=1)
    out = term.command("AT")
    assert out.startswith(b"\r\n+CDS: ") or b"+CDS: " in out


def test_status_report_outcome_from_control(simulator: Simulator, term: AtTerminal) -> None:
    simulator.client.set_network("modem0", report_outcome="rejected")
    term.command("AT+CNMI=2,1,0,1,0")
    _send(term, report=True)
    cds = term.read_until(rb"\+CDS: \d+\r\n[0-9A-F]+\r\n")
    assert cds.rstrip().endswith(b"41")  # TP-Status 0x41: rejected
    (report,) = simulator.client.events("status_report")
    assert (report["outcome"], report["routed"]) == ("rejected", "cds")


def test_incoming_through_control(simulator: Simulator, term: AtTerminal) -> None:
    index = simulator.client.incoming("modem0", "+33639980002", "STOP")
    term.read_until(rf'\+CMTI: "SM",{index}\r\n'.encode())
    term.command("AT+CMGF=1")
    assert b"\r\nSTOP\r\n" in term.command(f"AT+CMGR={index}")


def test_a_long_incoming_sms_arrives_as_concatenated_parts(simulator: Simulator, term: AtTerminal) -> None:
    text = "Vu un homme armé près du port de Marigot, veste rouge, il part vers Sandy Ground. " * 3
    first = simulator.client.incoming("modem0", "+33639980002", text, reverse=True)
    indexes = [int(i) for i in re.findall(rb'\+CMTI: "SM",(\d+)', term.read_until(rb'(\+CMTI: "SM",\d+\r\n\s*){2}'))]
    assert indexes[0] == first
    parts = {}
    for index in indexes:
        pdu = re.search(rb"\+CMGR: [^\r]*\r\n([0-9A-F]+)\r\n", term.command(f"AT+CMGR={index}"))[1].decode()  # type: ignore[index]
        decoded = decodeSmsPdu(pdu)
        (ie,) = decoded["udh"]
        parts[ie.number] = (ie.parts, decoded["text"])
    assert sorted(parts) == [1, 2] and {total for total, _ in parts.values()} == {2}
    assert parts[1][1] + parts[2][1] == text
    (event,) = simulator.client.events("incoming")
    assert (event["text"], event["parts"]) == (text, 2)


def test_unplug_gives_eio_and_replug_restores_stable_path(simulator: Simulator, term: AtTerminal) -> None:
    path = simulator.modems[0].device_path
    old_pts = os.path.realpath(path)
    simulator.client.unplug("modem0")
    assert not os.path.lexists(path)
    with pytest.raises((OSError, EOFError)) as info:
        term.command("AT", timeout=2)
    if isinstance(info.value, OSError):
        assert info.value.errno == errno.EIO
    assert simulator.client.modem("modem0")["plugged"] is False
    simulator.client.replug("modem0")
    assert os.path.realpath(path).startswith("/dev/pts/")
    assert os.path.realpath(path) != old_pts or os.path.exists(path)
    with AtTerminal(path) as again:
        assert again.command("AT") == b"AT\r\r\nOK\r\n"  # rebooted: echo on


def test_control_api_errors(simulator: Simulator) -> None:
    client = simulator.client
    with pytest.raises(ControlError) as info:
        client.inject_fault("modem0", "melt")
    assert info.value.status == 400
    with pytest.raises(ControlError) as info:
        client.modem("modem9")
    assert info.value.status == 404
    with pytest.raises(ControlError):
        client.set_network("modem0", report_outcome="lost")
    assert client.modem(1)["name"] == "modem1"


def test_reset(simulator: Simulator, term: AtTerminal) -> None:
    client = simulator.client
    _send(term)
    client.inject_fault("modem1", "hang")
    client.unplug("modem1")
    client.reset()
    assert client.handsets() == [] and client.submits() == []
    status = client.modem("modem1")
    assert status["plugged"] and status["faults"] == []


@pytest.mark.parametrize("stage", ["prompt", "answer"])
def test_unplug_in_the_middle_of_a_submit(simulator: Simulator, term: AtTerminal, stage: str) -> None:
    client = simulator.client
    client.inject_fault("modem0", "unplug_at", stage=stage, count=1)
    pdu, length = submit_pdu(text="hello")
    term.write(f"AT+CMGS={length}\r".encode())
    if stage == "answer":
        term.read_until(rb"> ")
        term.write(pdu.encode() + b"\x1a")
    with pytest.raises((OSError, EOFError)):  # the port is gone (EIO or end of file): no prompt, no answer
        term.read_until(rb"> |OK|ERROR", timeout=5)
    assert client.handsets() == [] and client.submits() == []
    assert not client.modem("modem0")["plugged"]
    client.replug("modem0")
    with AtTerminal(simulator.modems[0].device_path) as again:
        again.command("ATE0")
        assert again.command("AT").endswith(b"OK\r\n")
    assert client.modem("modem0")["faults"] == []  # consumed: once
