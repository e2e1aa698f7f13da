"""AtModem against a small scripted modem on a real pty: the paths the simulator cannot script."""

from __future__ import annotations

import threading

import pytest

from drivers import (
    AtModem,
    DeliveryReport,
    InvalidMessage,
    ModemEvent,
    PartialSubmit,
    PinRequired,
    PortSettings,
    SubmitRejected,
)

REPORT = "00" + "06" + "07" + "0B913336990800F1" + "42102001000040" + "42102001000040" + "00"


class ScriptedModem:
    """Answers like a plain modem; the PIN is 1234; the second PDU of a submit gets +CMS ERROR: 42."""

    def __init__(self, *, pin: str | None = "1234", fail_pdu: int | None = None) -> None:
        self.pin = pin
        self.unlocked = pin is None
        self.fail_pdu = fail_pdu
        self.pdus = 0

    def __call__(self, cmd: str) -> bytes | None:
        ok = b"\r\nOK\r\n"
        if cmd == "AT+CPIN?":
            return b"\r\n+CPIN: READY\r\n" + ok if self.unlocked else b"\r\n+CPIN: SIM PIN\r\n" + ok
        if cmd.startswith("AT+CPIN="):
            if cmd == f'AT+CPIN="{self.pin}"':
                self.unlocked = True
                return ok
            return b"\r\n+CME ERROR: 16\r\n"
        answers = {
            "AT+CGMI": b"\r\nACME\r\n" + ok,
            "AT+CGMM": b"\r\nX1\r\n" + ok,
            "AT+CREG?": b"\r\n+CREG: 1,1\r\n" + ok,
            "AT+CSQ": b"\r\n+CSQ: 17,99\r\n" + ok,
            "AT+CNMI=2,1,0,1,0": b"\r\nERROR\r\n",  # this modem only stores status reports
        }
        if cmd in answers:
            return answers[cmd]
        if cmd.startswith("AT+CMGS="):
            return b"\r\n> "
        if cmd.startswith("PDU:"):
            self.pdus += 1
            if self.pdus == self.fail_pdu:
                return b"\r\n+CMS ERROR: 42\r\n"
            return f"\r\n+CMGS: {100 + self.pdus}\r\n\r\nOK\r\n".encode()
        return ok


def settings(device: str, **kw: object) -> PortSettings:
    values: dict[str, object] = {"device": device, "modem_id": "s", "command_timeout": 1.0, "submit_timeout": 1.0}
    values.update(kw)
    return PortSettings(**values)  # type: ignore[arg-type]


def test_open_enters_the_pin_and_falls_back_to_stored_reports(pty_peer) -> None:
    peer = pty_peer(ScriptedModem())
    modem = AtModem(settings(peer.device, pin="1234"))
    try:
        info = modem.open()
        assert (info.manufacturer, info.model, info.signal_rssi, info.registered) == ("ACME", "X1", 17, True)
        assert "AT+CNMI=2,1,0,1,0" in peer.received and "AT+CNMI=2,1,0,2,0" in peer.received
        assert "AT+CMGF=0" in peer.received
    finally:
        modem.close()


def test_a_refused_pin_is_never_sent_again(pty_peer) -> None:
    peer = pty_peer(ScriptedModem())
    modem = AtModem(settings(peer.device, pin="9999"))
    try:
        with pytest.raises(PinRequired):
            modem.open()
        with pytest.raises(PinRequired):
            modem.open()
        assert sum(c.startswith("AT+CPIN=") for c in peer.received) == 1
    finally:
        modem.close()


def test_multipart_failing_at_segment_two_carries_the_sent_reference(pty_peer) -> None:
    peer = pty_peer(ScriptedModem(pin=None, fail_pdu=2))
    modem = AtModem(settings(peer.device))
    try:
        modem.open()
        with pytest.raises(PartialSubmit) as info:
            modem.submit("+33639980001", "a" * 200)
        err = info.value
        assert (err.references_sent, err.segments, err.retryable) == ((101,), 2, True)
        assert isinstance(err.cause, SubmitRejected) and err.cause.code == 42
    finally:
        modem.close()


def test_batch_mode_toggles_cmms(pty_peer) -> None:
    peer = pty_peer(ScriptedModem(pin=None))
    modem = AtModem(settings(peer.device))
    try:
        modem.open()
        modem.set_batch_mode(True)
        modem.submit("+33639980001", "x")
        modem.set_batch_mode(False)
        cmms = [c for c in peer.received if c.startswith("AT+CMMS")]
        assert cmms == ["AT+CMMS=1", "AT+CMMS=0"]
    finally:
        modem.close()


def test_invalid_number_writes_nothing(pty_peer) -> None:
    peer = pty_peer(ScriptedModem(pin=None))
    modem = AtModem(settings(peer.device))
    try:
        modem.open()
        before = list(peer.received)
        with pytest.raises(InvalidMessage):
            modem.submit("06 39 98 00 01 x", "hello")
        assert peer.received == before
    finally:
        modem.close()


def test_a_failing_callback_does_not_stop_later_events(pty_peer) -> None:
    peer = pty_peer(ScriptedModem(pin=None))
    got: list[ModemEvent] = []
    cond = threading.Condition()

    def on_event(event: ModemEvent) -> None:
        if isinstance(event, DeliveryReport) and not any(isinstance(e, DeliveryReport) for e in got):
            got.append(event)
            raise RuntimeError("consumer bug")
        with cond:
            got.append(event)
            cond.notify_all()

    modem = AtModem(settings(peer.device), on_event)
    try:
        modem.open()
        peer.send(f"\r\n+CDS: 25\r\n{REPORT}\r\n".encode())
        peer.send(f"\r\n+CDS: 25\r\n{REPORT}\r\n".encode())
        with cond:
            assert cond.wait_for(lambda: sum(isinstance(e, DeliveryReport) for e in got) == 2, 5.0)
        assert modem.health().registered  # and the modem still answers
    finally:
        modem.close()
