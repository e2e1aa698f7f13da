"""AtModem against the AT simulator on real ptys: the handsets say what actually arrived."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from drivers import (
    AtModem,
    DeliveryReport,
    IncomingSms,
    LateSubmitResult,
    ModemEvent,
    ModemGone,
    ModemState,
    ModemStateChanged,
    ModemTimeout,
    PinRequired,
    PortSettings,
    SubmitOutcomeUnknown,
    SubmitRejected,
    analyse,
    utf16_text,
)
from simulator.testing import AtTerminal

pytestmark = pytest.mark.slow  # AtModem against the simulator over real pseudo-terminals

sim_app = pytest.importorskip("simulator.app")
sim_client = pytest.importorskip("simulator.client")
sim_config = pytest.importorskip("simulator.config")

ALICE = "+33639980001"
BOB = "+33639980002"
SENDER = "+33639980003"


class Events:
    """Records events from the modem's event thread; tests wait on a condition."""

    def __init__(self) -> None:
        self.items: list[ModemEvent] = []
        self.cond = threading.Condition()

    def __call__(self, event: ModemEvent) -> None:
        with self.cond:
            self.items.append(event)
            self.cond.notify_all()

    def wait_for(self, predicate: Callable[[ModemEvent], bool], timeout: float = 5.0) -> ModemEvent:
        with self.cond:
            found: list[ModemEvent] = []

            def check() -> bool:
                found[:] = [e for e in self.items if predicate(e)]
                return bool(found)

            assert self.cond.wait_for(check, timeout), f"no such event in {self.items}"
            return found[0]


class Rig:
    def __init__(self, sim: Any, tmp: Path) -> None:
        self.sim = sim
        self.client = sim_client.SimulatorClient(sim.control_url)
        self.events = Events()
        self.device = sim.modems[0].device_path
        self.modems: list[AtModem] = []

    def modem(self, **overrides: Any) -> AtModem:
        values: dict[str, Any] = {
            "device": self.device,
            "modem_id": "m0",
            "command_timeout": 1.0,
            "submit_timeout": 3.0,
            "registration_timeout": 2.0,
        }
        values.update(overrides)
        modem = AtModem(PortSettings(**values), self.events)
        self.modems.append(modem)
        return modem

    def handset_texts(self, number: str) -> list[str]:
        return [m["text"] for m in self.client.handsets(number)]

    def wait_handset(self, number: str, count: int = 1) -> list[dict[str, Any]]:
        def probe() -> list[dict[str, Any]] | None:
            got = self.client.handsets(number)
            return got if len(got) >= count else None

        return self.client.wait_for(probe)


def start_rig(tmp_path: Path, **config: Any) -> Iterator[Rig]:
    sim = sim_app.Simulator(sim_config.load(modems=1, fast=True, state_dir=str(tmp_path), **config))
    with sim:
        rig = Rig(sim, tmp_path)
        try:
            yield rig
        finally:
            for modem in rig.modems:
                modem.close()


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    yield from start_rig(tmp_path)


@pytest.fixture
def opened(rig: Rig) -> tuple[Rig, AtModem]:
    modem = rig.modem()
    modem.open()
    return rig, modem


def test_open_identifies_the_modem(rig: Rig) -> None:
    info = rig.modem().open()
    config = rig.sim.modems[0].config
    assert (info.manufacturer, info.model, info.imei) == (config.manufacturer, config.model, config.imei)
    assert info.registered and info.signal_rssi == config.signal
    assert info.operator
    rig.events.wait_for(lambda e: isinstance(e, ModemStateChanged) and e.state is ModemState.OPEN)


def test_single_folded_message_reaches_the_handset_with_its_report(opened: tuple[Rig, AtModem]) -> None:
    rig, modem = opened
    text = "Vol à l’étalage « rue de la Liberté » – soyez prêts…"
    result = modem.submit(ALICE, text, policy="gsm-folded")
    assert (result.segments, result.encoding, len(result.references)) == (1, "gsm7", 1)
    [got] = rig.wait_handset(ALICE)
    assert got["text"] == analyse(text, "gsm-folded").text
    assert got["text"] == 'Vol à l\'étalage " rue de la Liberté " - soyez prets...'
    report = rig.events.wait_for(lambda e: isinstance(e, DeliveryReport))
    assert isinstance(report, DeliveryReport)
    assert (report.reference, report.recipient, report.delivered, report.final) == (
        result.references[0],
        ALICE,
        True,
        True,
    )


def test_multipart_gsm7_and_ucs2_arrive_whole(opened: tuple[Rig, AtModem]) -> None:
    rig, modem = opened
    long_gsm = "Alerte vol a l'etalage, rue de Hollande. " * 9
    result = modem.submit(ALICE, long_gsm)
    assert result.segments == analyse(long_gsm).segments == 3
    assert len(set(result.references)) == 3
    exact = "Alerte : vol à l’étalage rue de la Liberté, Marigot. Alert: shoplifting on Liberty street. 🚨 " * 2
    ucs = modem.submit(BOB, exact, policy="exact")
    assert (ucs.encoding, ucs.segments) == ("ucs2", analyse(exact).segments)
    assert rig.wait_handset(ALICE)[0]["text"] == long_gsm
    assert rig.wait_handset(BOB)[0]["text"] == exact


class FailingWhileFull(Events):
    """The gateway's handler while its commits fail (disk full): raises for incoming SMS until ``full`` clears."""

    full = True
    failures = 0

    def __call__(self, event: ModemEvent) -> None:
        if isinstance(event, IncomingSms) and self.full:
            self.failures += 1
            raise OSError(28, "No space left on device")
        super().__call__(event)


def test_an_incoming_sms_stays_on_the_sim_until_handled_then_the_next_health_check_takes_it(rig: Rig) -> None:
    events = rig.events = FailingWhileFull()
    modem = rig.modem()
    modem.open()
    rig.client.incoming(0, SENDER, "Vu un suspect rue de Hollande")
    store = rig.sim.modems[0].modem.store
    rig.client.wait_for(lambda: events.failures or None)
    time.sleep(0.3)  # whatever the event thread still does, every handling fails: nothing may be deleted
    assert [m.text for m in store.list("SM", 4)] == ["Vu un suspect rue de Hollande"]
    events.full = False  # space is back
    modem.health()  # the worker's periodic check sweeps the SIM again
    sms = events.wait_for(lambda e: isinstance(e, IncomingSms))
    assert isinstance(sms, IncomingSms) and sms.text == "Vu un suspect rue de Hollande"
    rig.client.wait_for(lambda: store.list("SM", 4) == [] or None)  # deleted once handled


def test_open_gets_a_modem_out_of_a_prompt_left_by_a_killed_process(rig: Rig) -> None:
    with AtTerminal(rig.device) as term:  # a previous gateway, killed between AT+CMGS and its PDU
        term.write(b"AT+CMGF=0\r")
        term.read_until(rb"OK\r\n")
        term.write(b"AT+CMGS=20\r")
        term.read_until(rb"> ")
        term.write(b"0011000B91")  # half a PDU, then the process dies
    info = rig.modem().open()
    assert info.registered
    assert rig.client.submits() == []  # the half-typed message was cancelled, not sent


def test_incoming_sms_becomes_an_event_and_is_deleted(opened: tuple[Rig, AtModem]) -> None:
    rig, _modem = opened
    rig.client.incoming(0, SENDER, "STOP")
    sms = rig.events.wait_for(lambda e: isinstance(e, IncomingSms))
    assert isinstance(sms, IncomingSms)
    assert (sms.sender, sms.text, sms.modem_id) == (SENDER, "STOP", "m0")


def test_a_long_incoming_sms_comes_as_parts_with_their_place(opened: tuple[Rig, AtModem]) -> None:
    rig, _modem = opened
    text = "Un homme cagoulé rôde derrière la boulangerie de Concordia depuis une heure, il regarde les vitrines."
    rig.client.incoming(0, SENDER, text, reverse=True)
    parts = [
        rig.events.wait_for(lambda e, n=n: isinstance(e, IncomingSms) and e.part is not None and e.part.number == n)
        for n in (1, 2)
    ]
    assert all(isinstance(p, IncomingSms) and p.part is not None and p.part.total == 2 for p in parts)
    assert utf16_text([p.text for p in parts if isinstance(p, IncomingSms)]) == text


def test_messages_left_in_storage_are_delivered_on_open(rig: Rig) -> None:
    rig.client.incoming(0, SENDER, "Arrêt SVP")
    rig.modem().open()
    sms = rig.events.wait_for(lambda e: isinstance(e, IncomingSms))
    assert isinstance(sms, IncomingSms) and sms.text == "Arrêt SVP"


@pytest.mark.parametrize(("code", "retryable"), [(42, True), (38, True), (1, False), (21, False)])
def test_cms_errors_are_classified(opened: tuple[Rig, AtModem], code: int, retryable: bool) -> None:
    rig, modem = opened
    rig.client.inject_fault(0, "cms_error", count=1, code=code)
    with pytest.raises(SubmitRejected) as info:
        modem.submit(ALICE, "test")
    assert (info.value.code, info.value.retryable) == (code, retryable)
    assert modem.submit(ALICE, "after").segments == 1  # the modem is still usable


def test_hang_is_a_timeout_within_the_command_timeout(opened: tuple[Rig, AtModem]) -> None:
    rig, modem = opened
    rig.client.inject_fault(0, "hang")
    start = time.monotonic()
    with pytest.raises(ModemTimeout):
        modem.health()
    # 1 s command timeout; the bound only shows it does not wait for an answer that never comes (noisy CI).
    assert time.monotonic() - start < 5.0
    with pytest.raises(ModemTimeout):
        modem.submit(ALICE, "never")  # no prompt: nothing was sent, safe to retry elsewhere
    rig.client.clear_faults(0)
    assert modem.health().registered
    assert rig.handset_texts(ALICE) == []


def test_slow_answer_after_the_pdu_is_outcome_unknown_then_a_late_result(rig: Rig) -> None:
    modem = rig.modem(command_timeout=2.0, submit_timeout=0.3)
    modem.open()
    rig.client.inject_fault(0, "slow", delay=0.8)
    with pytest.raises(SubmitOutcomeUnknown):
        modem.submit(ALICE, "peut-être parti")
    late = rig.events.wait_for(lambda e: isinstance(e, LateSubmitResult))
    assert isinstance(late, LateSubmitResult) and late.modem_id == "m0"
    rig.client.clear_faults(0)
    assert modem.health().registered


def test_unplug_then_replug(opened: tuple[Rig, AtModem]) -> None:
    rig, modem = opened
    rig.client.unplug(0)
    rig.events.wait_for(lambda e: isinstance(e, ModemStateChanged) and e.state is ModemState.GONE)
    with pytest.raises(ModemGone):
        modem.health()
    with pytest.raises(ModemGone):
        modem.open()  # still unplugged
    rig.client.replug(0)
    assert rig.client.wait_for(lambda: _reopen(modem), timeout=5.0)
    modem.submit(ALICE, "de retour")
    assert rig.wait_handset(ALICE)[0]["text"] == "de retour"


def _reopen(modem: AtModem) -> bool:
    try:
        return modem.open().registered
    except ModemGone:
        return False


def test_garbage_bytes_are_ignored(opened: tuple[Rig, AtModem]) -> None:
    rig, modem = opened
    rig.client.inject_fault(0, "garbage", length=64)
    rig.client.inject_fault(0, "garbage", data="fffe00c3288081")
    assert modem.health().registered
    modem.submit(ALICE, "ok")
    assert rig.wait_handset(ALICE)[0]["text"] == "ok"


@pytest.mark.parametrize("kind", ["cmti", "cds", "creg"])
def test_urc_in_the_middle_of_a_command(opened: tuple[Rig, AtModem], kind: str) -> None:
    rig, modem = opened
    if kind == "cds":
        modem.submit(ALICE, "first")
    rig.client.inject_fault(0, "urc", count=1, urc=kind)
    info = modem.health()
    assert info.registered and info.signal_rssi == rig.sim.modems[0].config.signal
    expected: dict[str, Callable[[ModemEvent], bool]] = {
        "cmti": lambda e: isinstance(e, IncomingSms),
        "cds": lambda e: isinstance(e, DeliveryReport),
        "creg": lambda e: isinstance(e, ModemStateChanged) and e.state is ModemState.REGISTERED,
    }
    rig.events.wait_for(expected[kind])


def test_lost_registration(opened: tuple[Rig, AtModem]) -> None:
    rig, modem = opened
    rig.client.inject_fault(0, "no_network")
    rig.events.wait_for(lambda e: isinstance(e, ModemStateChanged) and e.state is ModemState.NOT_REGISTERED)
    assert not modem.health().registered
    with pytest.raises(SubmitRejected) as info:
        modem.submit(ALICE, "x")
    assert info.value.retryable


def test_pin_after_reset(tmp_path: Path) -> None:
    for rig in start_rig(tmp_path, modem=({"pin": "1234"},)):
        with pytest.raises(PinRequired):
            rig.modem().open()
        modem = rig.modem(pin="1234")
        assert modem.open().registered
        rig.client.inject_fault(0, "sim_pin")
        with pytest.raises(PinRequired) as info:
            modem.health()
        assert info.value.retryable
        assert modem.open().registered  # the reopen enters the PIN again


def test_close_is_idempotent_and_reopen_works(opened: tuple[Rig, AtModem]) -> None:
    _rig, modem = opened
    modem.close()
    modem.close()
    with pytest.raises(ModemGone):
        modem.health()
    assert modem.open().registered


def test_a_refused_pin_is_never_shown(tmp_path: Path) -> None:
    """A wrong PIN in the configuration: the error says so without the digits (logs travel)."""
    for rig in start_rig(tmp_path, modem=({"pin": "1234"},)):
        with pytest.raises(PinRequired) as info:
            rig.modem(pin="9876").open()
        texts = [str(info.value), str(info.value.__cause__), repr(info.value.__cause__)]
        assert "PIN refused" in texts[0]
        assert not any("9876" in t for t in texts), texts
