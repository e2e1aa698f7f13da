"""The outbox store against a real SQLite file (and PostgreSQL when VIGI_TEST_POSTGRES_URL is set)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.sql.elements import ColumnElement

from gateway.outbox.errors import InvalidMessage, StaleClaim
from gateway.outbox.models import OutboxMessage, Priority
from gateway.outbox.retry import RetryPolicy
from gateway.outbox.states import MessageState
from gateway.outbox.store import Outbox
from gateway.outbox.types import NewMessage
from gateway.storage.db import make_engine, session_factory
from gateway.storage.migrate import upgrade_engine

T0 = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
NUMBERS = [f"+336399800{i:02d}" for i in range(1, 60)]


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    upgrade_engine(engine)
    yield engine
    engine.dispose()


class Wakeups:
    """A notify hook that records how often it was called."""

    def __init__(self) -> None:
        self.calls = 0
        self.priorities: list[int | None] = []

    def __call__(self, priority: int | None) -> None:
        self.calls += 1
        self.priorities.append(priority)


@pytest.fixture
def wakeups() -> Wakeups:
    return Wakeups()


@pytest.fixture
def outbox(engine: Engine, wakeups: Wakeups) -> Outbox:
    policy = RetryPolicy(initial=timedelta(seconds=10), maximum=timedelta(minutes=10), jitter=0.0, max_attempts=3)
    return Outbox(engine, retry=policy, rng=random.Random(1), notify=wakeups)


def msg(number: str = NUMBERS[0], priority: Priority = Priority.OPERATIONAL, **kw: object) -> NewMessage:
    return NewMessage(recipient=number, text=f"message to {number}", priority=priority, **kw)  # type: ignore[arg-type]


def test_enqueue_in_callers_transaction_notifies_after_commit(outbox: Outbox, engine: Engine, wakeups: Wakeups) -> None:
    sessions = session_factory(engine)
    with sessions() as session:
        ids = outbox.enqueue(session, [msg(n) for n in NUMBERS[:3]], T0)
        assert wakeups.calls == 0, "nothing may be announced before the commit"
        session.rollback()
    assert wakeups.calls == 0
    assert outbox.counts() == {}
    with sessions.begin() as session:
        ids = outbox.enqueue(session, [msg(n) for n in NUMBERS[:3]], T0)
    assert wakeups.calls == 1
    assert wakeups.priorities == [Priority.OPERATIONAL]  # the most urgent priority just queued
    assert outbox.counts() == {(MessageState.QUEUED, Priority.OPERATIONAL): 3}
    view = outbox.get(ids[0])
    assert view is not None and view.state is MessageState.QUEUED and view.created_at == T0


@pytest.mark.parametrize(
    "bad",
    [
        NewMessage(recipient="0639980001", text="x"),
        NewMessage(recipient=NUMBERS[0], text=""),
        NewMessage(recipient=NUMBERS[0], text="x", expires_at=datetime(2025, 1, 1)),
        NewMessage(recipient=NUMBERS[0], text="x", not_before=T0, expires_at=T0),
        # The last line of defence: every entry already refuses these (gateway.printable).
        NewMessage(recipient=NUMBERS[0], text="Vol\x00nul"),
        NewMessage(recipient=NUMBERS[0], text="Vol\u202e"),
        NewMessage(recipient=NUMBERS[0], text="Vol\r\nnul"),  # entries make CRLF into LF first
    ],
)
def test_enqueue_refuses_invalid_messages(outbox: Outbox, bad: NewMessage) -> None:
    with pytest.raises(InvalidMessage):
        outbox.enqueue_one(bad, T0)
    assert outbox.counts() == {}


def test_claim_orders_by_priority_then_age(outbox: Outbox) -> None:
    reminder = outbox.enqueue_one(msg(NUMBERS[0], Priority.REMINDER), T0)
    operational = outbox.enqueue_one(msg(NUMBERS[1], Priority.OPERATIONAL), T0 + timedelta(seconds=1))
    alert_late = outbox.enqueue_one(msg(NUMBERS[2], Priority.ALERT), T0 + timedelta(seconds=3))
    alert_early = outbox.enqueue_one(msg(NUMBERS[3], Priority.ALERT), T0 + timedelta(seconds=2))
    claimed = outbox.claim("w1", "modem1", now=T0 + timedelta(seconds=5), limit=3)
    assert [c.id for c in claimed] == [alert_early, alert_late, operational]
    assert all(c.attempts == 1 and c.worker_id == "w1" and c.modem_id == "modem1" for c in claimed)
    assert [c.id for c in outbox.claim("w1", "modem1", now=T0 + timedelta(seconds=5), limit=3)] == [reminder]
    assert outbox.claim("w1", "modem1", now=T0 + timedelta(seconds=5)) == []


def test_claim_respects_priorities_not_before_and_exclusions(outbox: Outbox) -> None:
    later = outbox.enqueue_one(msg(NUMBERS[0], not_before=T0 + timedelta(hours=1)), T0)
    reminder = outbox.enqueue_one(msg(NUMBERS[1], Priority.REMINDER), T0)
    other = outbox.enqueue_one(msg(NUMBERS[2]), T0)
    night = outbox.claim(
        "w", "m", now=T0, limit=10, priorities=[Priority.ALERT, Priority.OPERATIONAL], exclude_recipients=[NUMBERS[2]]
    )
    assert night == []
    assert outbox.next_due(T0) == T0 + timedelta(hours=1)
    assert [c.id for c in outbox.claim("w", "m", now=T0, limit=10)] == [other, reminder]
    assert [c.id for c in outbox.claim("w", "m", now=T0 + timedelta(hours=1), limit=10)] == [later]


def test_sent_then_delivered_by_report_on_each_part(outbox: Outbox) -> None:
    message_id = outbox.enqueue_one(msg(), T0)
    outbox.claim("w", "m", now=T0)
    outbox.mark_sent(message_id, "w", refs=[12, 13], segments=2, encoding="ucs2", now=T0)
    view = outbox.get(message_id)
    assert view is not None and view.state is MessageState.SENT and view.message_refs == "12,13"
    first = outbox.record_report("m", 12, delivered=True, final=True, now=T0 + timedelta(seconds=5))
    assert first is not None and first.state is MessageState.SENT and not first.changed
    second = outbox.record_report("m", 13, delivered=True, final=True, now=T0 + timedelta(seconds=6))
    assert second is not None and second.state is MessageState.DELIVERED and second.changed
    assert outbox.record_report("other-modem", 13, delivered=True, final=True, now=T0) is None
    view = outbox.get(message_id)
    assert view is not None and view.delivered_at == T0 + timedelta(seconds=6)


def test_report_matches_most_recent_submit_of_a_wrapped_reference(outbox: Outbox) -> None:
    old = outbox.enqueue_one(msg(NUMBERS[0]), T0)
    new = outbox.enqueue_one(msg(NUMBERS[1]), T0)
    outbox.claim("w", "m", now=T0, limit=2)
    outbox.mark_sent(old, "w", refs=[7], segments=1, encoding="gsm7", now=T0)
    # 256 submits later the modem hands out reference 7 again.
    outbox.mark_sent(new, "w", refs=[7 + 256], segments=1, encoding="gsm7", now=T0 + timedelta(minutes=5))
    outcome = outbox.record_report("m", 7, delivered=False, final=True, now=T0 + timedelta(minutes=6))
    assert outcome is not None and outcome.message_id == new and outcome.state is MessageState.FAILED
    old_view = outbox.get(old)
    assert old_view is not None and old_view.state is MessageState.SENT
    # Outside the window nothing matches.
    late = T0 + timedelta(minutes=5) + timedelta(hours=2)
    assert outbox.record_report("m", 7, delivered=True, final=True, now=late, window=timedelta(hours=1)) is None


def test_temporary_report_changes_nothing(outbox: Outbox) -> None:
    message_id = outbox.enqueue_one(msg(), T0)
    outbox.claim("w", "m", now=T0)
    outbox.mark_sent(message_id, "w", refs=[1], segments=1, encoding="gsm7", now=T0)
    outcome = outbox.record_report("m", 1, delivered=False, final=False, now=T0)
    assert outcome is not None and outcome.state is MessageState.SENT and not outcome.changed


def test_retry_backs_off_then_dies_after_max_attempts(outbox: Outbox) -> None:
    message_id = outbox.enqueue_one(msg(), T0)
    now = T0
    delays = []
    for _ in range(2):
        (claimed,) = outbox.claim("w", "m", now=now)
        assert outbox.mark_retry(claimed.id, "w", "network out of order", now) is MessageState.QUEUED
        view = outbox.get(message_id)
        assert view is not None and view.next_attempt_at is not None
        delays.append(view.next_attempt_at - now)
        assert outbox.claim("w", "m", now=view.next_attempt_at - timedelta(seconds=1)) == []
        now = view.next_attempt_at
    assert delays == [timedelta(seconds=10), timedelta(seconds=20)]
    (claimed,) = outbox.claim("w", "m", now=now)
    assert claimed.attempts == 3
    assert outbox.mark_retry(claimed.id, "w", "again", now) is MessageState.DEAD
    view = outbox.get(message_id)
    assert view is not None and view.state is MessageState.DEAD and view.last_error == "again"


def test_retry_past_expiry_is_dead(outbox: Outbox) -> None:
    message_id = outbox.enqueue_one(msg(expires_at=T0 + timedelta(seconds=5)), T0)
    outbox.claim("w", "m", now=T0)
    assert outbox.mark_retry(message_id, "w", "congestion", T0) is MessageState.DEAD


def test_claim_expires_queued_rows_on_the_way(outbox: Outbox) -> None:
    expired = outbox.enqueue_one(msg(NUMBERS[0], Priority.ALERT, expires_at=T0 + timedelta(minutes=1)), T0)
    fresh = outbox.enqueue_one(msg(NUMBERS[1]), T0)
    assert [c.id for c in outbox.claim("w", "m", now=T0 + timedelta(minutes=2), limit=5)] == [fresh]
    view = outbox.get(expired)
    assert view is not None and view.state is MessageState.DEAD and view.attempts == 0


def test_compare_and_set_refuses_another_workers_row(outbox: Outbox) -> None:
    message_id = outbox.enqueue_one(msg(), T0)
    outbox.claim("w1", "m", now=T0)
    for call in (
        lambda: outbox.mark_sent(message_id, "w2", refs=[1], segments=1, encoding="gsm7", now=T0),
        lambda: outbox.mark_retry(message_id, "w2", "x", T0),
        lambda: outbox.mark_failed(message_id, "w2", "x", T0),
    ):
        with pytest.raises(StaleClaim):
            call()
    outbox.mark_failed(message_id, "w1", "invalid number", T0)
    with pytest.raises(StaleClaim):  # a final row cannot be moved again
        outbox.mark_sent(message_id, "w1", refs=[1], segments=1, encoding="gsm7", now=T0)
    view = outbox.get(message_id)
    assert view is not None and view.state is MessageState.FAILED


def test_release_gives_back_without_counting_an_attempt(outbox: Outbox, wakeups: Wakeups) -> None:
    ids = [outbox.enqueue_one(msg(n), T0) for n in NUMBERS[:3]]
    outbox.claim("w", "m", now=T0, limit=3)
    calls = wakeups.calls
    assert outbox.release("w", T0, ids=ids[:1]) == 1
    assert outbox.release("w", T0) == 2
    assert wakeups.calls == calls + 2
    for message_id in ids:
        view = outbox.get(message_id)
        assert view is not None and view.state is MessageState.QUEUED and view.attempts == 0
        assert view.worker_id is None


def test_stale_claims_recovered_and_old_worker_refused(outbox: Outbox) -> None:
    message_id = outbox.enqueue_one(msg(), T0)
    outbox.claim("dead-worker", "m", now=T0)
    assert outbox.recover_stale(timedelta(minutes=5), T0 + timedelta(minutes=4)) == 0
    outbox.heartbeat("dead-worker", T0 + timedelta(minutes=4))
    assert outbox.recover_stale(timedelta(minutes=5), T0 + timedelta(minutes=8)) == 0
    assert outbox.recover_stale(timedelta(minutes=5), T0 + timedelta(minutes=10)) == 1
    (again,) = outbox.claim("new-worker", "m", now=T0 + timedelta(minutes=10))
    assert again.id == message_id and again.attempts == 2, "a claim lost in a crash counts as an attempt"
    with pytest.raises(StaleClaim):
        outbox.mark_sent(message_id, "dead-worker", refs=[1], segments=1, encoding="gsm7", now=T0)


def test_cancel_queued_and_pending(outbox: Outbox) -> None:
    queued = outbox.enqueue_one(msg(NUMBERS[0], alert_id=7), T0)
    held = outbox.enqueue_one(msg(NUMBERS[1], alert_id=7), T0 - timedelta(seconds=1))
    other = outbox.enqueue_one(msg(NUMBERS[2], alert_id=8), T0)
    outbox.claim("w", "m", now=T0, limit=1)  # takes "held", the oldest
    result = outbox.cancel(alert_id=7, now=T0)
    assert (result.cancelled, result.pending) == (1, 1)
    assert outbox.mark_retry(held, "w", "timeout", T0) is MessageState.CANCELLED
    states = {i: outbox.get(i).state for i in (queued, held, other)}  # type: ignore[union-attr]
    assert states == {queued: MessageState.CANCELLED, held: MessageState.CANCELLED, other: MessageState.QUEUED}
    with pytest.raises(InvalidMessage):
        outbox.cancel(now=T0)


def test_cancel_requested_row_that_was_sent_stays_sent(outbox: Outbox) -> None:
    message_id = outbox.enqueue_one(msg(), T0)
    outbox.claim("w", "m", now=T0)
    outbox.cancel(ids=[message_id], now=T0)
    outbox.mark_sent(message_id, "w", refs=[3], segments=1, encoding="gsm7", now=T0)
    view = outbox.get(message_id)
    assert view is not None and view.state is MessageState.SENT


def test_check_before_submit_reads_the_claim_the_cancel_and_the_guard(outbox: Outbox) -> None:
    ids = [outbox.enqueue_one(msg(n), T0) for n in NUMBERS[:4]]
    claimed = {c.id: c for c in outbox.claim("w", "m", now=T0, limit=4)}

    def guard(recipient: ColumnElement[str], _alert: object, _campaign: object) -> ColumnElement[bool]:
        return recipient != NUMBERS[1]  # withdrawn since the claim: the rule is a condition on the row

    assert outbox.check_before_submit(claimed[ids[0]], guard, T0) is None  # may go: nothing written
    assert outbox.get(ids[0]).state is MessageState.SENDING  # type: ignore[union-attr]
    assert outbox.check_before_submit(claimed[ids[1]], guard, T0) == "recipient no longer allowed"
    outbox.cancel(ids=[ids[2]], now=T0)  # e.g. the alert's cancel, while the row is claimed
    assert outbox.check_before_submit(claimed[ids[2]], guard, T0) == "cancelled while claimed"
    outbox.release("w", now=T0, ids=[ids[3]])  # the claim was taken away (stale recovery, release)
    assert outbox.check_before_submit(claimed[ids[3]], guard, T0) == "claim lost"
    assert outbox.check_before_submit(claimed[ids[0]], None, T0) is None  # no guard: the row alone
    states = [outbox.get(i).state for i in ids]  # type: ignore[union-attr]
    assert states == [MessageState.SENDING, MessageState.CANCELLED, MessageState.CANCELLED, MessageState.QUEUED]
    assert outbox.get(ids[1]).last_error == "recipient no longer allowed"  # type: ignore[union-attr]


def test_claim_leaves_numbers_alerts_and_rows_to_others(outbox: Outbox) -> None:
    stuck = outbox.enqueue_one(msg(NUMBERS[0]), T0)
    stuck_alert = outbox.enqueue_one(msg(NUMBERS[1], Priority.ALERT), T0)
    other_alert = outbox.enqueue_one(msg(NUMBERS[1], Priority.OPERATIONAL), T0)  # same number, not an alert
    avoided = outbox.enqueue_one(msg(NUMBERS[2]), T0)
    free = outbox.enqueue_one(msg(NUMBERS[3]), T0)
    claimed = outbox.claim(
        "w",
        "m",
        now=T0,
        limit=10,
        exclude_recipients=[NUMBERS[0]],
        exclude_alert_recipients=[NUMBERS[1]],
        exclude_ids=[avoided],
    )
    assert sorted(c.id for c in claimed) == sorted([other_alert, free])
    rest = outbox.claim("w2", "m2", now=T0, limit=10)
    assert sorted(c.id for c in rest) == sorted([stuck, stuck_alert, avoided])
    outbox.release("w2", now=T0)
    # The numbers may come as a query, run inside the claim (a SIM can hold thousands of numbers in a month).
    query = select(OutboxMessage.recipient).where(OutboxMessage.id == stuck)
    by_query = outbox.claim("w3", "m3", now=T0, limit=10, exclude_recipients=query)
    assert sorted(c.id for c in by_query) == sorted([stuck_alert, avoided])


def test_retry_now_makes_waiting_retries_due_and_nothing_else(outbox: Outbox) -> None:
    waiting, sending, other = (outbox.enqueue_one(msg(n), T0) for n in NUMBERS[:3])
    outbox.claim("w", "m", now=T0, limit=3)
    outbox.mark_retry(waiting, "w", error="+CMS ERROR: 42", now=T0)
    outbox.mark_retry(other, "w", error="+CMS ERROR: 42", now=T0)
    later = T0 + timedelta(seconds=1)
    assert outbox.retry_now([waiting, sending], later) == 1  # the claimed row is not touched
    assert outbox.get(waiting).next_attempt_at == later  # type: ignore[union-attr]
    assert outbox.get(other).next_attempt_at > later  # type: ignore[union-attr, operator]
    assert outbox.get(sending).state is MessageState.SENDING  # type: ignore[union-attr]
    assert outbox.retry_now([], later) == 0


def test_resend_is_due_at_once_and_counts_the_attempt(outbox: Outbox) -> None:
    message_id = outbox.enqueue_one(msg(), T0)
    outbox.claim("w", "m", now=T0)
    assert outbox.resend(message_id, "w", error="no answer", now=T0, unknown=True) is MessageState.QUEUED
    view = outbox.get(message_id)
    assert view is not None and view.attempts == 1 and view.next_attempt_at == T0
    assert view.last_error == "outcome unknown: no answer"
    (again,) = outbox.claim("w2", "m2", now=T0)  # another modem takes it now, not after the back-off
    assert again.id == message_id and again.attempts == 2


def test_cancel_claimed_and_mark_unknown(outbox: Outbox) -> None:
    a = outbox.enqueue_one(msg(NUMBERS[0]), T0)
    b = outbox.enqueue_one(msg(NUMBERS[1]), T0 + timedelta(seconds=1))
    outbox.claim("w", "m", now=T0 + timedelta(seconds=1), limit=2)
    outbox.cancel_claimed(a, "w", reason="withdrawn", now=T0)
    hold = timedelta(minutes=10)
    assert outbox.mark_unknown(b, "w", error="+CMGS timeout", now=T0, hold=hold) is MessageState.QUEUED
    view_b = outbox.get(b)
    assert view_b is not None and view_b.next_attempt_at == T0 + hold
    assert view_b.last_error == "outcome unknown: +CMGS timeout"
    view_a = outbox.get(a)
    assert view_a is not None and view_a.state is MessageState.CANCELLED


def test_counts_and_oldest_queued_age(outbox: Outbox) -> None:
    assert outbox.oldest_queued_age(T0) is None
    outbox.enqueue_one(msg(NUMBERS[0], Priority.ALERT), T0)
    outbox.enqueue_one(msg(NUMBERS[1], Priority.REMINDER), T0 + timedelta(seconds=30))
    outbox.enqueue_one(msg(NUMBERS[2], Priority.REMINDER, not_before=T0 + timedelta(days=1)), T0 - timedelta(days=1))
    assert outbox.oldest_queued_age(T0 + timedelta(minutes=1)) == timedelta(minutes=1)
    outbox.claim("w", "m", now=T0 + timedelta(minutes=1))
    assert outbox.counts() == {
        (MessageState.SENDING, Priority.ALERT): 1,
        (MessageState.QUEUED, Priority.REMINDER): 2,
    }


def test_confirm_late_marks_a_held_message_sent_once(outbox: Outbox) -> None:
    held = outbox.enqueue_one(msg(NUMBERS[0]), T0)
    other = outbox.enqueue_one(msg(NUMBERS[1]), T0)
    outbox.claim("w", "m", now=T0, limit=2)
    outbox.mark_unknown(held, "w", error="+CMGS timeout", now=T0)
    outbox.mark_retry(other, "w", error="+CMS ERROR: 42", now=T0)
    assert not outbox.confirm_late(other, "m", 7, T0)  # only a row whose outcome is unknown
    assert outbox.confirm_late(held, "m", 263, T0 + timedelta(seconds=5))
    view = outbox.get(held)
    assert view is not None and view.state is MessageState.SENT and view.message_refs == "7"
    assert not outbox.confirm_late(held, "m", 7, T0 + timedelta(seconds=6))  # already sent
    outcome = outbox.record_report("m", 7, delivered=True, final=True, now=T0 + timedelta(seconds=9))
    assert outcome is not None
    assert outbox.get(held).state is MessageState.DELIVERED  # type: ignore[union-attr]


def test_count_due_is_bounded_and_filters_priorities(outbox: Outbox) -> None:
    for i in range(5):
        outbox.enqueue_one(msg(NUMBERS[i], Priority.REMINDER), T0)
    outbox.enqueue_one(msg(NUMBERS[9], Priority.ALERT), T0)
    outbox.enqueue_one(msg(NUMBERS[10], not_before=T0 + timedelta(hours=1)), T0)
    assert outbox.count_due(T0) == 6  # the not_before row is not due yet
    assert outbox.count_due(T0, [Priority.ALERT]) == 1
    assert outbox.count_due(T0, cap=3) == 3
