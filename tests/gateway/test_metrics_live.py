"""The live metrics: submits counted by outcome and error class, alerts observed once each, and the outbox's
completed alerts (SQLite and PostgreSQL). /metrics after a real drain: tests/test_metrics.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from drivers.errors import ModemTimeout, SubmitRejected
from gateway import metrics
from gateway.dispatch.failures import classify
from gateway.dispatch.outcomes import Action
from gateway.outbox.models import Priority
from gateway.outbox.store import Outbox
from gateway.outbox.types import NewMessage
from gateway.storage.db import make_engine, session_factory
from gateway.storage.migrate import upgrade

NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)


def sample(name: str, **labels: str) -> float:
    for collector in metrics.collectors():
        for family in collector.collect():
            for s in family.samples:
                if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                    return float(s.value)
    return 0.0


def test_submits_are_counted_by_outcome_and_error_class() -> None:
    before = {
        "sent": sample("vigicommerce_submits_total", modem="mx", outcome="sent"),
        "fail": sample("vigicommerce_submits_total", modem="mx", outcome="fail"),
        "rejected": sample("vigicommerce_submit_errors_total", modem="mx", error="message_rejected"),
        "silent": sample("vigicommerce_submit_errors_total", modem="mx", error="modem_silent"),
        "count": sample("vigicommerce_submit_seconds_count", modem="mx", outcome="sent"),
    }
    metrics.submit_done("mx", 0.4, "sent")
    metrics.submit_done("mx", 0.2, "fail", classify(SubmitRejected("+CMS ERROR: 21", code=21)))
    metrics.submit_done("mx", 10.0, "release", classify(ModemTimeout("no answer")))
    assert sample("vigicommerce_submits_total", modem="mx", outcome="sent") == before["sent"] + 1
    assert sample("vigicommerce_submits_total", modem="mx", outcome="fail") == before["fail"] + 1
    assert sample("vigicommerce_submit_errors_total", modem="mx", error="message_rejected") == before["rejected"] + 1
    assert sample("vigicommerce_submit_errors_total", modem="mx", error="modem_silent") == before["silent"] + 1
    assert sample("vigicommerce_submit_seconds_count", modem="mx", outcome="sent") == before["count"] + 1
    assert sample("vigicommerce_submit_seconds_bucket", modem="mx", outcome="sent", le="0.5") >= 1
    assert set(metrics.OUTCOMES) == {"sent", *(action.value for action in Action if action is not Action.RESUME)}


def test_first_submit_is_observed_by_priority() -> None:
    def bucket(le: str) -> float:
        return sample("vigicommerce_commit_to_first_submit_seconds_bucket", priority="reminder", le=le)

    hour, four_hours = bucket("3600.0"), bucket("14400.0")
    metrics.first_submit(Priority.REMINDER, timedelta(hours=3))  # a reminder that waited for daytime
    assert (bucket("3600.0"), bucket("14400.0")) == (hour, four_hours + 1)


def test_each_completed_alert_is_observed_once() -> None:
    count = sample("vigicommerce_alert_completion_seconds_count")
    metrics.alerts_completed({1001: timedelta(seconds=40), 1002: timedelta(seconds=300)})
    metrics.alerts_completed({1001: timedelta(seconds=40), 1002: timedelta(seconds=300)})  # the next scrape
    assert sample("vigicommerce_alert_completion_seconds_count") == count + 2
    metrics.alerts_completed({1002: timedelta(seconds=300), 1003: timedelta(seconds=5)})
    assert sample("vigicommerce_alert_completion_seconds_count") == count + 3


def test_outbox_reports_alerts_with_nothing_left_to_send(database_url: str) -> None:
    upgrade(database_url)
    engine = make_engine(database_url)
    try:
        outbox = Outbox(engine)
        with session_factory(engine).begin() as session:
            outbox.enqueue(
                session,
                [NewMessage(recipient=f"+3363998000{i}", text="a", priority=Priority.ALERT, alert_id=7) for i in (1, 2)]
                + [NewMessage(recipient="+33639980003", text="b", priority=Priority.ALERT, alert_id=8)],
                NOW,
            )
        assert outbox.alerts_completed(since=NOW, now=NOW) == {}
        claimed = outbox.claim("w", "m0", now=NOW + timedelta(seconds=1), limit=3)
        assert {m.created_at for m in claimed} == {NOW}
        for n, message in enumerate(claimed):
            if message.alert_id == 7:
                sent = NOW + timedelta(seconds=10 + n)
                outbox.mark_sent(message.id, "w", refs=[n], segments=1, encoding="gsm7", now=sent)
        # Alert 7 is complete (its last SMS accepted 11 s after the drop); alert 8 is still sending.
        assert outbox.alerts_completed(since=NOW, now=NOW + timedelta(minutes=1)) == {7: timedelta(seconds=11)}
        # Completed before the process started: not this process's to count.
        assert outbox.alerts_completed(since=NOW + timedelta(seconds=30), now=NOW + timedelta(minutes=1)) == {}
        # Dropped more than a day ago: out of the window.
        assert outbox.alerts_completed(since=NOW, now=NOW + timedelta(days=2)) == {}
    finally:
        engine.dispose()
