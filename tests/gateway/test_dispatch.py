"""The dispatcher against simulator modems: handsets get every message once, in priority order, whatever fails."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from gateway.dispatch.settings import SimBudget
from gateway.outbox.models import Priority
from gateway.outbox.states import MessageState
from tests.gateway.dispatch_harness import rig

pytestmark = pytest.mark.slow  # the real dispatcher on simulated modems, end to end


def number(i: int) -> str:
    return f"+336399{80000 + i:05d}"


def received_texts(sim_client: object, n: str) -> list[str]:
    return [m["text"] for m in sim_client.handsets(n)]  # type: ignore[attr-defined]


def test_every_message_reaches_its_handset_once(tmp_path: Path) -> None:
    with rig(tmp_path, modems=2) as r:
        r.wait_open()  # else the first modem open may send all thirty before the other is ready
        texts = {number(i): f"Message {i} : vol signalé rue de la République" for i in range(30)}
        r.enqueue_all(texts)  # one commit, as a fan-out: each modem claims its fair share
        r.wait(lambda: r.count(MessageState.SENT) + r.count(MessageState.DELIVERED) == 30)
        client = r.sim.client
        for n, text in texts.items():
            assert received_texts(client, n) == [text]
        used = {s["modem"] for s in client.submits()}
        assert len(used) == 2  # the load is spread over both modems


def test_long_ucs2_message_arrives_whole(tmp_path: Path) -> None:
    text = "Œuvre d’escrocs signalée : deux individus se présentent comme agents EDF. " * 4
    with rig(tmp_path, modems=1) as r:
        r.enqueue(number(1), text)
        r.wait(lambda: r.count(MessageState.SENT) + r.count(MessageState.DELIVERED) == 1)
        assert received_texts(r.sim.client, number(1)) == [text]


def test_an_emoji_at_a_segment_boundary_arrives_whole(tmp_path: Path) -> None:
    # 66 units then an emoji: a cut every 67 units would put one half in each segment.
    text = "Alerte : " + "ж" * 57 + "🚨" + " vol signalé rue de la République, soyez vigilants." * 2
    with rig(tmp_path, modems=1) as r:
        r.enqueue(number(1), text)
        r.wait(lambda: r.count(MessageState.SENT) + r.count(MessageState.DELIVERED) == 1)
        assert received_texts(r.sim.client, number(1)) == [text]
        segments = [s["text"] for s in r.sim.client.submits()]
        assert segments[0].endswith("ж") and segments[1].startswith("🚨")


def test_delivery_reports_mark_messages_delivered(tmp_path: Path) -> None:
    with rig(tmp_path, modems=1) as r:
        ids = [r.enqueue(number(i), f"rapport {i}") for i in range(3)]
        r.wait(lambda: all(r.outbox.get(i).state is MessageState.DELIVERED for i in ids))  # type: ignore[union-attr]


def test_alert_overtakes_queued_reminders(tmp_path: Path) -> None:
    with rig(tmp_path, modems=2, batch_size=10, fast=False, submit_delay=0.05, submit_jitter=0.0, cmms_delay=0.05) as r:
        for i in range(300):
            r.enqueue(number(i), f"Rappel {i}", Priority.REMINDER)
        r.wait(lambda: r.count(MessageState.SENT) + r.count(MessageState.DELIVERED) >= 20)
        alert = r.enqueue(number(999), "ALERTE : vol à main armée", Priority.ALERT)
        before = len(r.sim.client.submits())
        r.wait(lambda: r.outbox.get(alert).state in (MessageState.SENT, MessageState.DELIVERED))  # type: ignore[union-attr]
        submits = r.sim.client.submits()
        position = [s.get("destination") for s in submits].index(number(999))
        modem = submits[position]["modem"]
        # The next message on the modem that took it: only the submit in flight there when the alert was
        # committed may end first (the other modem, whose in-flight submit ended later, goes back to reminders).
        ahead = [s for s in submits[before:position] if s["modem"] == modem]
        assert len(ahead) <= 1, (ahead, before, position)
        assert r.count(MessageState.QUEUED) > 100


def test_reminders_wait_for_daytime_alerts_do_not(tmp_path: Path) -> None:
    with rig(tmp_path, modems=1, night=True) as r:
        reminder = r.enqueue(number(1), "Rappel : renouvelez votre adhésion", Priority.REMINDER)
        alert = r.enqueue(number(2), "ALERTE", Priority.ALERT)
        r.wait(lambda: r.outbox.get(alert).state in (MessageState.SENT, MessageState.DELIVERED))  # type: ignore[union-attr]
        assert r.outbox.get(reminder).state is MessageState.QUEUED  # type: ignore[union-attr]
        assert received_texts(r.sim.client, number(1)) == []


def test_unplugged_modem_hands_its_work_to_the_other(tmp_path: Path) -> None:
    with rig(tmp_path, modems=2, fast=False, submit_delay=0.02, submit_jitter=0.0, cmms_delay=0.02) as r:
        client = r.sim.client
        for i in range(60):
            r.enqueue(number(i), f"panne {i}")
        r.wait(lambda: r.count(MessageState.SENT) + r.count(MessageState.DELIVERED) >= 5)
        client.unplug(0)
        r.wait(lambda: r.count(MessageState.SENT) + r.count(MessageState.DELIVERED) == 60)
        for i in range(60):
            assert len(received_texts(client, number(i))) >= 1
        client.replug(0)
        r.wait(
            lambda: (
                any(s.state == "open" and s.modem_id == r.modems[0].id for s in r.dispatcher.statuses())
                and r.dispatcher.statuses()[0].reopen_at is None
            )
        )
        sent_by_0 = len([s for s in client.submits() if s["modem"] == r.modems[0].id])
        for i in range(60, 80):
            r.enqueue(number(i), f"retour {i}")
        r.wait(lambda: r.count(MessageState.SENT) + r.count(MessageState.DELIVERED) == 80)
        assert len([s for s in client.submits() if s["modem"] == r.modems[0].id]) > sent_by_0  # it rejoined


def test_hung_modem_releases_claims(tmp_path: Path) -> None:
    with rig(tmp_path, modems=2) as r:
        client = r.sim.client
        client.inject_fault(0, "hang")
        for i in range(20):
            r.enqueue(number(i), f"bloqué {i}")
        r.wait(lambda: r.count(MessageState.SENT) + r.count(MessageState.DELIVERED) == 20, timeout=60)
        for i in range(20):
            assert received_texts(client, number(i)) == [f"bloqué {i}"]


def test_congestion_is_retried_permanent_error_fails(tmp_path: Path) -> None:
    with rig(tmp_path, modems=1) as r:
        client = r.sim.client
        client.inject_fault(0, "cms_error", code=1, count=1)
        failed = r.enqueue(number(1), "numéro inexistant")
        r.wait(lambda: r.outbox.get(failed).state is MessageState.FAILED)  # type: ignore[union-attr]
        client.inject_fault(0, "cms_error", code=42, count=1)
        retried = r.enqueue(number(2), "encombrement", max_attempts=3)
        r.wait(lambda: r.outbox.get(retried).attempts >= 1 and r.outbox.get(retried).state is MessageState.QUEUED)  # type: ignore[union-attr]
        assert r.outbox.get(retried).last_error  # type: ignore[union-attr]


def modem_of(client: object, n: str) -> set[str]:
    return {s["modem"] for s in client.submits() if s.get("destination") == n}  # type: ignore[attr-defined]


def done(r: object, ids: list[int]) -> bool:
    return all(r.outbox.get(i).state in (MessageState.SENT, MessageState.DELIVERED) for i in ids)  # type: ignore[attr-defined]


def test_recipients_stick_to_the_sim_that_first_texted_them(tmp_path: Path) -> None:
    with rig(tmp_path, modems=2, batch_size=2) as r:
        r.wait_open()  # else the first modem open may text all twelve before the other is ready
        first = [r.enqueue(number(i), f"premier {i}") for i in range(12)]
        r.wait(lambda: done(r, first))
        client = r.sim.client
        owner = {number(i): modem_of(client, number(i)) for i in range(12)}
        assert len(set().union(*owner.values())) == 2  # both SIMs were used
        second = [r.enqueue(number(i), f"second {i}") for i in range(12)]
        r.wait(lambda: done(r, second))
        for i in range(12):
            assert modem_of(client, number(i)) == owner[number(i)], number(i)  # same SIM both times


def test_sim_over_its_daily_budget_sends_alerts_only(tmp_path: Path) -> None:
    with rig(tmp_path, modems=1, budgets={0: SimBudget(messages_per_day=2)}) as r:
        routine = [r.enqueue(number(i), f"routine {i}") for i in range(5)]
        # Two sent (the whole budget) and three left: wait for both, or an alert could preempt a claimed one.
        r.wait(
            lambda: (
                sum(r.outbox.get(i).state is MessageState.QUEUED for i in routine) == 3  # type: ignore[union-attr]
                and sum(done(r, [i]) for i in routine) == 2
            )
        )
        alert = r.enqueue(number(50), "ALERTE : vol signalé", Priority.ALERT)
        r.wait(lambda: done(r, [alert]))  # an alert never waits on a budget
        assert sum(r.outbox.get(i).state is MessageState.QUEUED for i in routine) == 3  # type: ignore[union-attr]
        status = r.dispatcher.statuses()[0]
        assert status.budget is not None and status.budget.sent_today >= 2


def test_late_cmgs_confirms_a_submit_whose_outcome_was_unknown(tmp_path: Path) -> None:
    with rig(tmp_path, modems=1, submit_timeout=0.3, late_window=30.0) as r:
        client = r.sim.client
        r.wait(lambda: r.dispatcher.statuses()[0].state == "open")
        client.inject_fault(0, "slow", delay=0.8)  # +CMGS comes after the 0.3 s submit timeout
        message = r.enqueue(number(7), "peut-être parti")
        r.wait(lambda: r.outbox.get(message).state in (MessageState.SENT, MessageState.DELIVERED))  # type: ignore[union-attr]
        client.clear_faults(0)
        view = r.outbox.get(message)
        assert view is not None and view.attempts == 1 and view.message_refs  # not resent: one attempt
        assert received_texts(client, number(7)) == ["peut-être parti"]


def test_recipients_of_a_failed_sim_move_to_the_others(tmp_path: Path) -> None:
    with rig(tmp_path, modems=2, batch_size=2) as r:
        client = r.sim.client
        first = [r.enqueue(number(i), f"avant {i}") for i in range(8)]
        r.wait(lambda: done(r, first))
        client.unplug(0)
        r.wait(lambda: r.dispatcher.statuses()[0].state != "open" or r.dispatcher.statuses()[1].state != "open")
        second = [r.enqueue(number(i), f"après {i}") for i in range(8)]
        r.wait(lambda: done(r, second))
        for i in range(8):
            assert f"après {i}" in received_texts(client, number(i))


def test_per_minute_limit_holds_the_rest_back(tmp_path: Path) -> None:
    with rig(tmp_path, modems=1, per_minute=5) as r:
        ids = [r.enqueue(number(i), f"limite {i}") for i in range(8)]
        r.wait(
            lambda: (
                sum(
                    r.outbox.get(i).state in (MessageState.SENT, MessageState.DELIVERED)  # type: ignore[union-attr]
                    for i in ids
                )
                == 5
            )
        )
        # The bucket refills one message every 12 s: nothing more may leave during the next half second.
        modem_id = r.modems[0].id
        assert r.dispatcher.policy.wait_time(modem_id, datetime.now(UTC)) > 5
        time.sleep(0.5)
        assert len(r.sim.client.submits()) == 5
        assert r.count(MessageState.QUEUED) == 3


def test_watchdog_alive_only_while_workers_tick(tmp_path: Path) -> None:
    with rig(tmp_path, modems=1) as r:
        r.wait(lambda: r.dispatcher.statuses()[0].state == "open")
        assert r.dispatcher.alive()
        # A worker stuck far beyond its longest legitimate AT exchange: the watchdog must not be fed.
        r.dispatcher.statuses()[0].last_tick -= 10_000
        assert not r.dispatcher.alive()
