from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from drivers.at_parser import Urc
from drivers.errors import CommandFailed, ModemGone, ModemTimeout, SubmitOutcomeUnknown
from drivers.settings import PortSettings
from drivers.transport import Transport, open_serial


class Recorder:
    def __init__(self) -> None:
        self.urcs: list[Urc] = []
        self.gone: list[ModemGone] = []
        self.cond = threading.Condition()

    def on_urc(self, urc: Urc) -> None:
        with self.cond:
            self.urcs.append(urc)
            self.cond.notify_all()

    def on_gone(self, gone: ModemGone) -> None:
        with self.cond:
            self.gone.append(gone)
            self.cond.notify_all()

    def wait(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        with self.cond:
            assert self.cond.wait_for(predicate, timeout)


def basic(cmd: str) -> bytes | None:
    if cmd == "AT+CSQ":
        return b"\r\n+CSQ: 21,99\r\n\r\nOK\r\n"
    if cmd == "AT+FAIL":
        return b"\r\n+CME ERROR: 3\r\n"
    if cmd == "AT+HANG":
        return None
    return b"\r\nOK\r\n"


def make_transport(device: str, rec: Recorder) -> Transport:
    port = open_serial(PortSettings(device=device, command_timeout=1.0), read_timeout=0.05)
    t = Transport(port, name="t", on_urc=rec.on_urc, on_gone=rec.on_gone)
    t.start()
    return t


def test_command_returns_lines_and_raises_typed_errors(pty_peer) -> None:
    peer = pty_peer(basic)
    rec = Recorder()
    t = make_transport(peer.device, rec)
    try:
        assert t.command("AT+CSQ", 2.0) == ["+CSQ: 21,99"]
        with pytest.raises(CommandFailed) as info:
            t.command("AT+FAIL", 2.0)
        assert (info.value.kind, info.value.code) == ("CME", 3)
    finally:
        t.close()


def test_timeout_is_bounded_and_the_next_command_works(pty_peer) -> None:
    peer = pty_peer(basic)
    t = make_transport(peer.device, Recorder())
    try:
        start = time.monotonic()
        with pytest.raises(ModemTimeout):
            t.command("AT+HANG", 0.3)
        assert time.monotonic() - start < 1.5
        assert t.command("AT+CSQ", 2.0) == ["+CSQ: 21,99"]
    finally:
        t.close()


def test_urc_between_command_and_answer(pty_peer) -> None:
    def handler(cmd: str) -> bytes | None:
        if cmd == "AT+CSQ":
            return b'\r\n+CSQ: 9,99\r\n\r\n+CMTI: "SM",2\r\n\r\nOK\r\n'
        return basic(cmd)

    peer = pty_peer(handler)
    rec = Recorder()
    t = make_transport(peer.device, rec)
    try:
        assert t.command("AT+CSQ", 2.0) == ["+CSQ: 9,99"]
        rec.wait(lambda: any(u.name == "+CMTI" for u in rec.urcs))
    finally:
        t.close()


def test_garbage_bytes_do_not_kill_the_reader(pty_peer) -> None:
    peer = pty_peer(basic)
    rec = Recorder()
    t = make_transport(peer.device, rec)
    try:
        peer.send(b"\xff\xfe\x00\x80\x9c\xc3\r\n\x81\x82")
        assert t.command("AT+CSQ", 2.0) == ["+CSQ: 21,99"]
        assert t.alive
    finally:
        t.close()


def test_unplug_gives_modem_gone_to_waiters_and_later_callers(pty_peer) -> None:
    peer = pty_peer(basic)
    rec = Recorder()
    t = make_transport(peer.device, rec)
    result: list[BaseException] = []

    def waiter() -> None:
        try:
            t.command("AT+HANG", 5.0)
        except BaseException as exc:
            result.append(exc)

    thread = threading.Thread(target=waiter)
    thread.start()
    peer.wait_received(lambda r: "AT+HANG" in r)
    peer.unplug()
    thread.join(timeout=3)
    assert result and isinstance(result[0], ModemGone)
    rec.wait(lambda: bool(rec.gone))
    assert not t.alive
    with pytest.raises(ModemGone):
        t.command("AT", 1.0)
    t.close()
    t.close()  # idempotent


def test_submit_pdu_prompt_then_reference(pty_peer) -> None:
    def handler(cmd: str) -> bytes | None:
        if cmd.startswith("AT+CMGS="):
            return b"\r\n> "
        if cmd.startswith("PDU:"):
            return b"\r\n+CMGS: 42\r\n\r\nOK\r\n"
        return basic(cmd)

    peer = pty_peer(handler)
    t = make_transport(peer.device, Recorder())
    try:
        assert t.submit_pdu("AT+CMGS=5", "00AABB", prompt_timeout=1.0, answer_timeout=1.0) == ["+CMGS: 42"]
        assert peer.received[-1] == "PDU:00AABB"
    finally:
        t.close()


def test_submit_without_answer_is_outcome_unknown_and_the_late_answer_is_an_urc(pty_peer) -> None:
    def handler(cmd: str) -> bytes | None:
        if cmd.startswith("AT+CMGS="):
            return b"\r\n> "
        if cmd.startswith("PDU:"):
            return None
        return basic(cmd)

    peer = pty_peer(handler)
    rec = Recorder()
    t = make_transport(peer.device, rec)
    try:
        with pytest.raises(SubmitOutcomeUnknown):
            t.submit_pdu("AT+CMGS=5", "00AABB", prompt_timeout=1.0, answer_timeout=0.3)
        peer.send(b"\r\n+CMGS: 77\r\n\r\nOK\r\n")
        rec.wait(lambda: any(u.name == "+CMGS" for u in rec.urcs))
        assert t.command("AT+CSQ", 2.0) == ["+CSQ: 21,99"]
    finally:
        t.close()


def test_no_prompt_is_a_plain_timeout_and_escape_is_sent(pty_peer) -> None:
    def handler(cmd: str) -> bytes | None:
        return None if cmd.startswith("AT+CMGS=") else basic(cmd)

    peer = pty_peer(handler)
    t = make_transport(peer.device, Recorder())
    try:
        with pytest.raises(ModemTimeout):
            t.submit_pdu("AT+CMGS=5", "00AABB", prompt_timeout=0.3, answer_timeout=1.0)
        assert "<ESC>" in peer.received
        assert t.command("AT+CSQ", 2.0) == ["+CSQ: 21,99"]
    finally:
        t.close()


def test_open_missing_device_is_modem_gone() -> None:
    with pytest.raises(ModemGone):
        open_serial(PortSettings(device="/nonexistent/ttyUSB9"))
