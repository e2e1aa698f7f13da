"""Sick modems and cut submits (issue 9): the simulator's faults against the real dispatcher, checked on the handsets.

For every message: delivered exactly once (or held, when that is the rule), never dead unsent, and charged at
most one attempt more than the submits the network really saw (the simulator's submit log: ``ok`` or a
``+CMS ERROR``; a submit cut before its PDU or answered by a modem without its SIM is not one).
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest

from gateway.dispatch.settings import SimBudget
from gateway.outbox.models import Priority
from gateway.outbox.states import MessageState
from tests.gateway.dispatch_harness import Rig, rig

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]

DONE = (MessageState.SENT, MessageState.DELIVERED)
SLOW_SIM = {"fast": False, "submit_jitter": 0.0, "report_delay": 0.3}


def number(i: int) -> str:
    return f"+336399{80000 + i:05d}"


def texts(count: int, label: str) -> dict[str, str]:
    return {number(i): f"{label} {i} : vol signalé rue de la République" for i in range(count)}


def assert_each_once_and_honestly_charged(r: Rig, ids: list[int], sent: dict[str, str]) -> None:
    views = r.views(ids)
    assert all(v.state in DONE for v in views), Counter(v.state for v in views)
    received = Counter((m["recipient"], m["text"]) for m in r.sim.client.handsets())
    assert {pair: received[pair] for pair in sent.items()} == dict.fromkeys(sent.items(), 1)
    submits = Counter(s.get("destination") for s in r.sim.client.submits())  # ok and +CMS ERROR alike
    charged = {v.recipient: (v.attempts, submits[v.recipient]) for v in views if v.attempts > submits[v.recipient] + 1}
    assert charged == {}, f"attempts charged beyond the real submits + 1: {charged}"


def test_pdu_never_written_is_given_back_at_once_and_arrives_once(tmp_path: Path) -> None:
    # The port vanishes after AT+CMGS=<n>, before any "> ": certainly not sent, so no hold, no attempt.
    # Submits of 0.2 s: modem1 cannot drain the six before modem0 has claimed its share.
    with rig(tmp_path, modems=2, late_window=600.0, submit_delay=0.2, cmms_delay=0.2, **SLOW_SIM) as r:
        r.wait_open()
        r.sim.client.inject_fault(0, "unplug_at", stage="prompt", count=1)
        sent = texts(6, "coupure")
        started = time.monotonic()
        ids = r.enqueue_all(sent, Priority.OPERATIONAL)  # 3 for each modem: modem0's first one is cut
        r.wait(lambda: all(v.state in DONE for v in r.views(ids)))
        assert time.monotonic() - started < 30  # not the 600 s hold of a submit whose outcome is unknown
        assert_each_once_and_honestly_charged(r, ids, sent)
        assert not r.sim.client.modem(0)["plugged"]
        assert not any((v.last_error or "").startswith("outcome unknown") for v in r.views(ids))


def test_an_alert_whose_submit_got_no_answer_goes_again_at_once_elsewhere(tmp_path: Path) -> None:
    # The PDU is written, then the port vanishes: it may have left (here it did not). An alert goes again at
    # once through the other modem; an operational message waits its late-result window.
    with rig(tmp_path, modems=2, late_window=600.0, submit_delay=0.2, cmms_delay=0.2, **SLOW_SIM) as r:
        r.wait_open()
        client = r.sim.client
        client.inject_fault(0, "unplug_at", stage="answer", count=1)
        alerts = {number(i): f"ALERTE {i} : vol à main armée" for i in range(2)}
        ids = r.enqueue_all(alerts, Priority.ALERT)  # one per modem
        r.wait(lambda: all(v.state in DONE for v in r.views(ids)))
        assert_each_once_and_honestly_charged(r, ids, alerts)
        resent = [v for v in r.views(ids) if v.attempts == 2]
        assert len(resent) == 1 and resent[0].modem_id == r.modems[1].id
        client.replug(0)
        r.wait(lambda: r.dispatcher.statuses()[0].state == "open")
        client.inject_fault(1, "unplug_at", stage="answer", count=1)
        client.inject_fault(0, "unplug_at", stage="answer", count=1)
        routine = {number(10 + i): f"Maintenance {i}" for i in range(2)}
        held = r.enqueue_all(routine, Priority.OPERATIONAL)
        r.wait(lambda: all(v.attempts == 1 and v.state is MessageState.QUEUED for v in r.views(held)))
        for view in r.views(held):
            assert view.last_error is not None and view.last_error.startswith("outcome unknown")
            assert view.next_attempt_at is not None  # held for the window, not resent
        assert client.handsets(number(10)) == [] and client.handsets(number(11)) == []


def test_sim_pin_mid_drain_gives_the_claims_back_uncharged_and_comes_back(tmp_path: Path) -> None:
    # A modem reset leaves its SIM asking for the PIN: it answers ERROR to every AT+CMGS. That is the modem, not
    # the messages: out of service at once, claims back without an attempt, reopened with the PIN.
    with rig(tmp_path, modems=2, pin="1234", submit_delay=0.05, cmms_delay=0.05, **SLOW_SIM) as r:
        r.wait_open()
        sent = texts(80, "pin")
        ids = r.enqueue_all(sent)
        r.wait(lambda: len(r.sim.client.submits()) >= 10)
        r.sim.client.inject_fault(0, "sim_pin")
        r.wait(lambda: all(v.state in DONE for v in r.views(ids)), timeout=60)
        assert_each_once_and_honestly_charged(r, ids, sent)
        r.wait(lambda: r.dispatcher.statuses()[0].state == "open")  # back by itself, PIN given
        assert r.sim.client.modem(0)["sim"] == "READY"
        before = len([s for s in r.sim.client.submits() if s["modem"] == r.modems[0].id])
        more = texts(20, "après")
        more_ids = r.enqueue_all({number(100 + i): t for i, t in enumerate(more.values())})
        r.wait(lambda: all(v.state in DONE for v in r.views(more_ids)))
        assert len([s for s in r.sim.client.submits() if s["modem"] == r.modems[0].id]) > before


def test_persistent_congestion_on_one_modem_trips_its_breaker(tmp_path: Path) -> None:
    # +CMS ERROR: 42 on every submit of modem0 while modem1 sends: after 3 messages in a row the modem leaves
    # service, and each time it comes back and fails again it stays out twice as long. It no longer takes a
    # share of every claim.
    options = {"reopen_initial_seconds": 0.5, "reopen_max_seconds": 30.0}
    with rig(tmp_path, modems=2, submit_delay=0.05, cmms_delay=0.05, dispatch_options=options, **SLOW_SIM) as r:
        r.wait_open()
        r.sim.client.inject_fault(0, "cms_error", code=42)
        sent = texts(120, "encombrement")
        ids = r.enqueue_all(sent)
        r.wait(lambda: all(v.state in DONE for v in r.views(ids)), timeout=90)
        assert_each_once_and_honestly_charged(r, ids, sent)
        failed = [s for s in r.sim.client.submits() if s["result"] == "error"]
        assert {s["modem"] for s in failed} == {r.modems[0].id}
        # 3 to trip, then one per return at 0.5, 1, 2, 4 ... s: a handful over the drain, not half of 120.
        assert 3 <= len(failed) <= 12, len(failed)
        assert all(v.state is not MessageState.DEAD for v in r.views(ids))


def test_a_hung_modem_mid_drain_loses_nothing(tmp_path: Path) -> None:
    with rig(tmp_path, modems=2, submit_timeout=1.0, submit_delay=0.05, cmms_delay=0.05, **SLOW_SIM) as r:
        r.wait_open()
        sent = texts(60, "figé")
        ids = r.enqueue_all(sent)
        r.wait(lambda: len(r.sim.client.submits()) >= 8)
        r.sim.client.inject_fault(0, "hang")
        r.wait(lambda: all(v.state in DONE for v in r.views(ids)), timeout=90)
        assert_each_once_and_honestly_charged(r, ids, sent)
        assert r.dispatcher.statuses()[0].state != "open"


def test_missing_segments_go_again_under_the_same_reference(tmp_path: Path) -> None:
    # Segment 1 of 3 accepted, segment 2 refused for now (+CMS 42): segments 2 and 3 go again at once, on the same
    # modem with the same concatenation reference, so the handset shows one message, not an orphan part plus a
    # second whole copy.
    text = "Alerte : deux individus armés signalés rue de la République, commerces de Marigot, restez prudents. " * 4
    with rig(tmp_path, modems=1) as r:
        r.wait_open()
        r.sim.client.inject_fault(0, "cms_error", code=42, skip=1, count=1)
        message = r.enqueue(number(1), text, Priority.ALERT)
        r.wait(lambda: r.outbox.get(message).state in DONE)  # type: ignore[union-attr]
        client = r.sim.client
        assert [(m["text"], m["segments"]) for m in client.handsets(number(1))] == [(text, 3)]
        assert client.pending() == []
        submits = client.submits()
        assert [(s["result"], s["concat"]["sequence"]) for s in submits] == [
            ("ok", 1),
            ("error", 2),
            ("ok", 2),
            ("ok", 3),
        ]
        assert len({s["concat"]["reference"] for s in submits}) == 1
        view = r.outbox.get(message)
        assert view is not None and view.attempts == 1 and len(view.message_refs.split(",")) == 3  # type: ignore[union-attr]


def test_a_long_message_whose_modem_vanished_goes_whole_through_another(tmp_path: Path) -> None:
    text = "Vigilance : vol à l'arraché signalé près du marché de Marigot, deux individus en scooter noir. " * 3
    with rig(tmp_path, modems=2) as r:
        r.wait_open()
        r.sim.client.inject_fault(0, "unplug_at", stage="prompt", skip=1, count=1)  # before segment 2's prompt
        sent = {number(1): text, number(2): text}
        ids = r.enqueue_all(sent, Priority.ALERT)  # one per modem
        r.wait(lambda: all(v.state in DONE for v in r.views(ids)))
        assert_each_once_and_honestly_charged(r, ids, sent)
        orphans = r.sim.client.pending()  # the handset keeps modem0's first segment: the price of a lost modem
        assert [(o["modem"], o["received_sequences"]) for o in orphans] == [(r.modems[0].id, [1])]


def test_a_number_stuck_to_a_sim_past_its_budget_goes_through_another_sim(tmp_path: Path) -> None:
    budgets = {0: SimBudget(messages_per_day=1), 1: SimBudget(messages_per_day=1)}
    with rig(tmp_path, modems=2, budgets=budgets) as r:
        r.wait_open()
        first = r.enqueue(number(1), "Premier message")
        r.wait(lambda: r.outbox.get(first).state in DONE)  # type: ignore[union-attr]
        sticky = r.outbox.get(first).modem_id  # type: ignore[union-attr]
        # That SIM is now past its budget: the follow-up to the same number (a STOP confirmation, say) must not
        # wait for tomorrow while the other SIM, within its budget, is idle.
        follow_up = r.enqueue(number(1), "Confirmation : vous ne recevrez plus d'alertes")
        r.wait(lambda: r.outbox.get(follow_up).state in DONE, timeout=15)  # type: ignore[union-attr]
        assert r.outbox.get(follow_up).modem_id != sticky  # type: ignore[union-attr]
        # An alert for that number is never held back by the budget: its sticky SIM still sends it.
        alert = r.enqueue(number(1), "ALERTE : vol signalé", Priority.ALERT)
        r.wait(lambda: r.outbox.get(alert).state in DONE, timeout=15)  # type: ignore[union-attr]


def test_a_modem_plugged_back_after_40_s_sends_within_5_s(tmp_path: Path) -> None:
    # The production back-off (1 s doubling to 60 s): after 40 s away, a modem tried on back-off alone would be
    # opened again up to half a minute after it came back. Its device path is watched instead.
    options = {"reopen_initial_seconds": 1.0, "reopen_max_seconds": 60.0}
    with rig(tmp_path, modems=1, dispatch_options=options) as r:
        r.wait_open()
        client = r.sim.client
        client.unplug(0)
        r.wait(lambda: r.dispatcher.statuses()[0].state != "open")
        alert = r.enqueue(number(1), "ALERTE : vol signalé rue de Hollande", Priority.ALERT)
        time.sleep(40)  # the outage itself: what is tested is what happens after it
        assert r.outbox.get(alert).state is MessageState.QUEUED  # type: ignore[union-attr]
        replugged = time.monotonic()
        client.replug(0)
        r.wait(lambda: r.outbox.get(alert).state in DONE, timeout=30)  # type: ignore[union-attr]
        assert time.monotonic() - replugged <= 5.0
        assert [m["text"] for m in client.handsets(number(1))] == ["ALERTE : vol signalé rue de Hollande"]
