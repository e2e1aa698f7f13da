"""The AT engine without a pty: formats, settings, errors, submits, reports, incoming SMS."""

from __future__ import annotations

import re

import pytest

from simulator.commands.sms_events import incoming
from simulator.config import ModemConfig, RuntimeDelays
from simulator.faults import make_fault
from simulator.testing import Harness, submit_pdu


@pytest.fixture
def h() -> Harness:
    return Harness()


def test_echo_on_by_default_then_off(h: Harness) -> None:
    assert h.at("AT") == b"AT\r\r\nOK\r\n"
    assert h.at("ATE0") == b"ATE0\r\r\nOK\r\n"
    assert h.at("AT") == b"\r\nOK\r\n"


def test_case_and_lowercase_prefix(h: Harness) -> None:
    h.at("ATE0")
    assert h.at("at+cgmi") == b"\r\nVIGISIM\r\n\r\nOK\r\n"
    assert h.at("aT+CgMm") == b"\r\nVS-3G\r\n\r\nOK\r\n"


def test_no_at_prefix_means_silence(h: Harness) -> None:
    h.at("ATE0")
    assert h.at("hello") == b""
    assert h.send(b"\r\n\r\n") == b""


def test_several_commands_one_final_result(h: Harness) -> None:
    h.at("ATE0")
    out = h.at("AT+CGMI;+CGSN;+CIMI")
    assert out == b"\r\nVIGISIM\r\n\r\n356938035643800\r\n\r\n340010123456780\r\n\r\nOK\r\n"


def test_error_stops_the_line(h: Harness) -> None:
    h.at("ATE0")
    assert h.at("AT+CMEE=1;+FOO;+CMEE=2") == b"\r\nERROR\r\n"
    assert h.at("AT+CMEE?") == b"\r\n+CMEE: 1\r\n\r\nOK\r\n"


def test_verbose_off_numeric_codes(h: Harness) -> None:
    h.at("ATE0")
    assert h.at("ATV0") == b"0\r"
    assert h.at("AT+FOO") == b"4\r"
    assert h.at("AT+CGMI") == b"VIGISIM\r\n0\r"
    assert h.at("ATQ1") == b""
    assert h.at("ATQ0V1") == b"\r\nOK\r\n"


def test_cmee_modes(h: Harness) -> None:
    h.at("ATE0")
    h.at("AT+CMGF=0")
    assert h.at('AT+CPMS="XX"') == b"\r\nERROR\r\n"
    h.at("AT+CMEE=1")
    assert h.at('AT+CPMS="XX"') == b"\r\n+CMS ERROR: 302\r\n"
    assert h.at("AT+CMEE=3") == b"\r\n+CME ERROR: 50\r\n"
    h.at("AT+CMEE=2")
    assert h.at('AT+CPIN="0000"') == b"\r\n+CME ERROR: operation not allowed\r\n"
    assert h.at("AT+CMGR=7") == b"\r\n+CMS ERROR: invalid memory index\r\n"


def test_unknown_and_malformed_commands(h: Harness) -> None:
    h.at("ATE0")
    for line in ("AT+FOO", "AT+CMGF=", "AT+CMGF=2", "ATE5", "AT+CSCS=GSM", 'AT+CSCA="+1', "AT&Z", "ATD"):
        assert h.at(line).endswith(b"ERROR\r\n"), line


def test_overlong_line_answers_error(h: Harness) -> None:
    h.at("ATE0")
    assert h.at("AT" + "+CGMI;" * 200) == b"\r\nERROR\r\n"
    assert h.at("AT") == b"\r\nOK\r\n"


def test_repeat_last_line(h: Harness) -> None:
    h.at("ATE0")
    h.at("AT+CGSN")
    assert h.send(b"A/") == b"\r\n356938035643800\r\n\r\nOK\r\n"


def test_backspace_edits_line(h: Harness) -> None:
    h.at("ATE0")
    assert h.send(b"AT+CGMX\x08I\r") == b"\r\nVIGISIM\r\n\r\nOK\r\n"


def test_atz_restores_profile(h: Harness) -> None:
    h.at("ATE0")
    h.at("AT+CMEE=2;+CMGF=1")
    assert h.at("ATZ") == b"\r\nOK\r\n"
    assert h.at("AT+CMEE?").startswith(b"AT+CMEE?\r\r\n+CMEE: 0")
    assert b"+CMGF: 0" in h.at("AT+CMGF?")


def test_identification_forms(h: Harness) -> None:
    h.at("ATE0")
    assert b"Manufacturer: VIGISIM" in h.at("ATI")
    assert h.at("AT+CGMI=?") == b"\r\nOK\r\n"
    assert h.at("AT+CGMR") == b"\r\nVS3G_01.002.00\r\n\r\nOK\r\n"
    assert h.at("AT+CGMI?") == b"\r\nERROR\r\n"
    clac = h.at("AT+CLAC")
    for name in (b"AT+CMGS", b"AT+CNMI", b"AT+CMMS", b"AT+CPMS", b"AT+CSCA"):
        assert b"\r\n" + name + b"\r\n" in clac


def test_network_status(h: Harness) -> None:
    h.at("ATE0")
    assert h.at("AT+CSQ") == b"\r\n+CSQ: 20,99\r\n\r\nOK\r\n"
    assert h.at("AT+CREG?") == b"\r\n+CREG: 0,1\r\n\r\nOK\r\n"
    h.at("AT+CREG=2")
    assert h.at("AT+CREG?") == b'\r\n+CREG: 2,1,"00A1","0000B2C3"\r\n\r\nOK\r\n'
    assert h.at("AT+COPS?") == b'\r\n+COPS: 0,0,"Orange Caraibe",2\r\n\r\nOK\r\n'
    h.at("AT+COPS=3,2")
    assert h.at("AT+COPS?") == b'\r\n+COPS: 0,2,"34001",2\r\n\r\nOK\r\n'


def test_sms_settings_read_back(h: Harness) -> None:
    h.at("ATE0")
    assert h.at("AT+CSCA?") == b'\r\n+CSCA: "+33639980000",145\r\n\r\nOK\r\n'
    h.at('AT+CSCA="+33639980009",145')
    assert b'"+33639980009",145' in h.at("AT+CSCA?")
    h.at("AT+CSMP=49,167,0,8")
    assert b"+CSMP: 49,167,0,8" in h.at("AT+CSMP?")
    h.at("AT+CNMI=2,1,0,1,0")
    assert b"+CNMI: 2,1,0,1,0" in h.at("AT+CNMI?")
    assert b"+CNMI: (0-2),(0-3),(0,2),(0-2),(0,1)" in h.at("AT+CNMI=?")
    h.at("AT+CMMS=2")
    assert b"+CMMS: 2" in h.at("AT+CMMS?")
    assert h.at('AT+CPMS="ME","ME","ME"') == b"\r\n+CPMS: 0,100,0,100,0,100\r\n\r\nOK\r\n"
    assert b'+CPMS: "ME",0,100,"ME",0,100,"ME",0,100' in h.at("AT+CPMS?")
    assert b'+CPMS: ("SM","ME","MT","SR"),("SM","ME","MT"),("SM","ME","MT")' in h.at("AT+CPMS=?")
    assert b'+CSCS: ("GSM","IRA","UCS2")' in h.at("AT+CSCS=?")


def test_pdu_submit_success_and_reference_wraps(h: Harness) -> None:
    h.at("ATE0")
    h.modem.network.set_next_reference(255)
    pdu, length = submit_pdu(text="hello")
    assert h.at(f"AT+CMGS={length}") == b"\r\n> "
    assert h.send(pdu + "\x1a") == b"\r\n+CMGS: 255\r\n\r\nOK\r\n"
    h.at(f"AT+CMGS={length}")
    assert h.send(pdu + "\x1a") == b"\r\n+CMGS: 0\r\n\r\nOK\r\n"
    received = h.handsets.received("+33639980001")
    assert [r.text for r in received] == ["hello", "hello"]
    assert [r.message_references for r in received] == [(255,), (0,)]
    assert [e["result"] for e in h.events] == ["ok", "ok"]


def test_prompt_echoes_when_echo_on(h: Harness) -> None:
    pdu, length = submit_pdu()
    h.at(f"AT+CMGS={length}")
    out = h.send(pdu + "\x1a")
    assert out.startswith(pdu.encode())
    assert out.endswith(b"\r\nOK\r\n")


def test_escape_cancels_submit(h: Harness) -> None:
    h.at("ATE0")
    pdu, length = submit_pdu()
    h.at(f"AT+CMGS={length}")
    assert h.send(pdu + "\x1b") == b"\r\nOK\r\n"
    assert h.handsets.received() == []
    assert h.at("AT") == b"\r\nOK\r\n"


@pytest.mark.parametrize("delta", [-1, 1])
def test_pdu_length_mismatch_is_304(h: Harness, delta: int) -> None:
    h.at("ATE0;+CMEE=1")
    pdu, length = submit_pdu()
    h.at(f"AT+CMGS={length + delta}")
    assert h.send(pdu + "\x1a") == b"\r\n+CMS ERROR: 304\r\n"
    assert h.handsets.received() == []
    assert h.events[-1] == {**h.events[-1], "result": "error", "cms_error": 304}


@pytest.mark.parametrize("payload", ["", "0", "ZZ", "001100", "00110003913", "0011000B91" + "G" * 40])
def test_invalid_pdu_is_304(h: Harness, payload: str) -> None:
    h.at("ATE0;+CMEE=1")
    h.at("AT+CMGS=20")
    assert h.send(payload + "\x1a") == b"\r\n+CMS ERROR: 304\r\n"


def test_cmgs_forms_depend_on_mode(h: Harness) -> None:
    h.at("ATE0;+CMEE=1")
    assert h.at('AT+CMGS="+33639980001"') == b"\r\n+CMS ERROR: 304\r\n"  # PDU mode: no text mode without CMGF=1
    assert h.at("AT+CMGS=0") == b"\r\n+CMS ERROR: 304\r\n"
    h.at("AT+CMGF=1")
    assert h.at("AT+CMGS=12") == b"\r\n+CMS ERROR: 305\r\n"
    assert h.at('AT+CMGS="+3363998000x"') == b"\r\n+CMS ERROR: 305\r\n"


def test_text_mode_submit_ira_and_multiline(h: Harness) -> None:
    h.at("ATE0;+CMGF=1")
    assert h.at('AT+CMGS="+33639980001"') == b"\r\n> "
    assert h.send("Ligne 1\r") == b"\r\n> "
    assert h.send("Ligne 2\x1a") == b"\r\n+CMGS: 0\r\n\r\nOK\r\n"
    assert h.handsets.received()[0].text == "Ligne 1\nLigne 2"


def test_text_mode_ucs2(h: Harness) -> None:
    h.at('ATE0;+CMGF=1;+CSCS="UCS2";+CSMP=17,167,0,8')
    number = "+33639980001".encode("utf-16-be").hex().upper()
    assert h.at(f'AT+CMGS="{number}"') == b"\r\n> "
    body = "Vol à l'étalage".encode("utf-16-be").hex().upper()
    assert h.send(body + "\x1a").endswith(b"OK\r\n")
    (sms,) = h.handsets.received("+33639980001")
    assert (sms.text, sms.encoding) == ("Vol à l'étalage", "ucs2")


def test_text_mode_too_long_is_305(h: Harness) -> None:
    h.at("ATE0;+CMGF=1;+CMEE=1")
    h.at('AT+CMGS="+33639980001"')
    assert h.send("x" * 161 + "\x1a") == b"\r\n+CMS ERROR: 305\r\n"


def test_submit_delays_and_cmms() -> None:
    h = Harness(delays=RuntimeDelays(3.0, 0.0, 1.5, 3.0, 0.0, "delivered"))
    h.at("ATE0")
    pdu, length = submit_pdu()

    def send() -> None:
        h.at(f"AT+CMGS={length}")
        assert h.send(pdu + "\x1a").endswith(b"OK\r\n")

    send()
    h.at("AT+CMMS=1")
    send()
    send()
    h.clock_value += 10  # gap longer than the window: the link closes, CMMS falls back to 0
    send()
    assert h.sleeps == [3.0, 3.0, 1.5, 3.0]
    assert b"+CMMS: 0" in h.at("AT+CMMS?")


def test_status_report_as_cds_and_as_cdsi(h: Harness) -> None:
    h.at("ATE0;+CNMI=2,1,0,1,0")
    pdu, length = submit_pdu(report=True)
    h.at(f"AT+CMGS={length}")
    h.send(pdu + "\x1a")
    assert len(h.scheduler.calls) == 1
    h.output.clear()
    h.scheduler.run()
    cds = bytes(h.output)
    match = re.fullmatch(rb"\r\n\+CDS: (\d+)\r\n([0-9A-F]+)\r\n", cds)
    assert match is not None, cds
    report = match.group(2).decode()
    assert int(match.group(1)) == len(report) // 2 - 1 - int(report[:2], 16)
    assert report[-2:] == "00"  # delivered
    h.at("AT+CNMI=2,1,0,2,0")
    h.modem.network.delays.report_outcome = "expired"
    h.at(f"AT+CMGS={length}")
    h.send(pdu + "\x1a")
    h.output.clear()
    h.scheduler.run()
    assert bytes(h.output) == b'\r\n+CDSI: "SR",1\r\n'
    h.at('AT+CPMS="SR"')
    out = h.at("AT+CMGR=1")
    assert out.startswith(b"\r\n+CMGR: 0,,")
    assert b"46\r\n" in out  # TP-Status 0x46: expired


def test_no_report_when_not_requested(h: Harness) -> None:
    h.at("ATE0;+CNMI=2,1,0,1,0")
    pdu, length = submit_pdu(report=False)
    h.at(f"AT+CMGS={length}")
    h.send(pdu + "\x1a")
    assert h.scheduler.calls == []


def test_incoming_stored_listed_read_deleted(h: Harness) -> None:
    h.at("ATE0")
    h.output.clear()
    index = incoming(h.modem, "+33639980002", "STOP", h.modem.now())
    assert bytes(h.output) == f'\r\n+CMTI: "SM",{index}\r\n'.encode()
    listing = h.at("AT+CMGL=4")
    assert listing.startswith(f"\r\n+CMGL: {index},0,,".encode())
    assert h.at('AT+CMGL="ALL"').endswith(b"ERROR\r\n")  # PDU mode wants a number
    h.at("AT+CMGF=1")
    read = h.at(f"AT+CMGR={index}")
    assert read.startswith(b'\r\n+CMGR: "REC READ","+33639980002",,"25/03/14,09:30:00+00"\r\nSTOP\r\n')
    assert b'+CMGL: 1,"REC READ"' in h.at('AT+CMGL="ALL"')
    assert h.at(f"AT+CMGD={index}") == b"\r\nOK\r\n"
    assert h.at('AT+CMGL="ALL"') == b"\r\nOK\r\n"


def test_incoming_as_cmt(h: Harness) -> None:
    h.at("ATE0;+CNMI=2,2,0,0,0")
    h.output.clear()
    assert incoming(h.modem, "+33639980002", "Bonjour", h.modem.now()) is None
    assert re.fullmatch(rb"\r\n\+CMT: ,\d+\r\n[0-9A-F]+\r\n", bytes(h.output))


def test_pin_required_then_entered() -> None:
    h = Harness(config=ModemConfig(pin="1234"))
    h.at("ATE0;+CMEE=1")
    assert h.at("AT+CPIN?") == b"\r\n+CPIN: SIM PIN\r\n\r\nOK\r\n"
    assert h.at("AT+CIMI") == b"\r\n+CME ERROR: 11\r\n"
    assert h.at("AT+CPMS?") == b"\r\n+CMS ERROR: 311\r\n"
    assert h.at("AT+CREG?") == b"\r\n+CME ERROR: 11\r\n"
    assert h.at('AT+CPIN="0000"') == b"\r\n+CME ERROR: 16\r\n"
    assert h.at('AT+CPIN="1234"') == b"\r\nOK\r\n"
    assert h.at("AT+CPIN?") == b"\r\n+CPIN: READY\r\n\r\nOK\r\n"


def test_three_wrong_pins_lock_to_puk() -> None:
    h = Harness(config=ModemConfig(pin="1234"))
    h.at("ATE0;+CMEE=1")
    for _ in range(2):
        assert h.at('AT+CPIN="0000"') == b"\r\n+CME ERROR: 16\r\n"
    assert h.at('AT+CPIN="0000"') == b"\r\n+CME ERROR: 12\r\n"
    assert b"SIM PUK" in h.at("AT+CPIN?")
    assert h.at('AT+CPIN="12345678","4321"') == b"\r\nOK\r\n"


def test_faults_on_the_pure_modem(h: Harness) -> None:
    h.at("ATE0;+CMEE=1")
    pdu, length = submit_pdu()
    h.modem.faults.add(make_fault("cms_error", {"code": 42}, 1))
    h.at(f"AT+CMGS={length}")
    assert h.send(pdu + "\x1a") == b"\r\n+CMS ERROR: 42\r\n"
    h.at(f"AT+CMGS={length}")
    assert h.send(pdu + "\x1a").endswith(b"OK\r\n")
    h.modem.faults.add(make_fault("no_network", {}, None))
    assert h.at("AT+CREG?") == b"\r\n+CREG: 0,0\r\n\r\nOK\r\n"
    h.at(f"AT+CMGS={length}")
    assert h.send(pdu + "\x1a") == b"\r\n+CMS ERROR: 331\r\n"
    h.modem.faults.clear()
    h.modem.faults.add(make_fault("signal_drop", {}, None))
    assert b"+CSQ: 99,99" in h.at("AT+CSQ")
    h.modem.faults.add(make_fault("hang", {}, None))
    assert h.at("AT") == b""
    h.modem.faults.clear("hang")
    h.modem.faults.add(make_fault("slow", {"delay": 0.7}, None))
    assert h.at("AT") == b"\r\nOK\r\n"
    assert h.sleeps[-1] == 0.7


def test_urc_fault_lands_between_response_and_final_result(h: Harness) -> None:
    h.at("ATE0;+CREG=1")
    h.modem.faults.add(make_fault("urc", {"urc": "creg"}, 1))
    assert h.at("AT+CSQ") == b"\r\n+CSQ: 20,99\r\n\r\n+CREG: 1\r\n\r\nOK\r\n"
    h.modem.faults.add(make_fault("urc", {"urc": "cmti"}, 1))
    assert h.at("AT+CGMI") == b'\r\nVIGISIM\r\n\r\n+CMTI: "SM",1\r\n\r\nOK\r\n'


def test_urc_waits_while_at_prompt(h: Harness) -> None:
    h.at("ATE0")
    pdu, length = submit_pdu()
    h.at(f"AT+CMGS={length}")
    h.output.clear()
    h.modem.urc(['+CMTI: "SM",3'])
    assert bytes(h.output) == b""
    assert h.send(pdu + "\x1a") == b'\r\n+CMGS: 0\r\n\r\nOK\r\n\r\n+CMTI: "SM",3\r\n'
