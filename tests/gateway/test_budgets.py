from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine

from gateway.dispatch.budgets import SimBudget, SimBudgets, SimState, choose
from gateway.outbox.models import Priority
from gateway.storage.db import make_engine
from gateway.storage.migrate import upgrade_engine

T0 = datetime(2025, 3, 10, 15, 0, tzinfo=UTC)  # 11:00 in Marigot
A, B = "208150000000001", "208150000000002"
N1, N2, N3 = "+33639980001", "+33639980002", "+33639980003"


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    upgrade_engine(engine)
    yield engine
    engine.dispose()


def state(
    imsi: str,
    *,
    day: int | None = None,
    month: int | None = None,
    sent: int = 0,
    recipients: int = 0,
    has: bool = False,
) -> SimState:
    return SimState(imsi, SimBudget(day, month), sent, recipients, has)


def test_choose_prefers_the_sticky_sim_then_the_most_remaining() -> None:
    a = state(A, month=10, recipients=9, has=True)
    b = state(B, month=10, recipients=0)
    assert choose([a, b], Priority.REMINDER).imsi == A  # type: ignore[union-attr]
    a_new = state(A, month=10, recipients=9)
    choice = choose([a_new, b], Priority.REMINDER)
    assert choice is not None and choice.imsi == B and not choice.sticky


def test_sticky_sim_out_of_day_budget_hands_over() -> None:
    a = state(A, day=5, sent=5, has=True)
    b = state(B, day=5, sent=0)
    choice = choose([a, b], Priority.OPERATIONAL)
    assert choice is not None and choice.imsi == B


def test_alerts_go_over_budget_but_reminders_wait() -> None:
    a = state(A, month=2, recipients=2)
    b = state(B, day=1, sent=1, has=True)
    assert choose([a, b], Priority.REMINDER) is None
    choice = choose([a, b], Priority.ALERT)
    assert choice is not None and choice.over_budget and choice.imsi == B, "sticky SIM spends no new recipient"
    assert choose([], Priority.ALERT) is None


def test_segments_count_against_the_day_budget() -> None:
    assert choose([state(A, day=10, sent=8)], Priority.REMINDER, segments=3) is None


def test_persistent_counters_stickiness_and_warnings(engine: Engine) -> None:
    budgets = SimBudgets(engine, {A: SimBudget(messages_per_day=10, recipients_per_month=2), B: SimBudget()})
    first = budgets.choose_sim(N1, [A, B], T0, priority=Priority.REMINDER)
    assert first is not None
    budgets.record_send(A, N1, T0)
    budgets.record_send(A, N1, T0 + timedelta(minutes=1), segments=2)
    again = budgets.choose_sim(N1, [A, B], T0, priority=Priority.REMINDER)
    assert again is not None and again.imsi == A and again.sticky
    budgets.record_send(A, N2, T0)
    (a_state,) = budgets.states(N3, [A], T0)
    assert (a_state.sent_today, a_state.recipients_this_month, a_state.has_number) == (4, 2, False)
    # A has no room for a third recipient: N3 goes to B.
    choice = budgets.choose_sim(N3, [A, B], T0, priority=Priority.REMINDER)
    assert choice is not None and choice.imsi == B
    assert [(w.imsi, w.kind, w.used, w.limit) for w in budgets.warnings(T0)] == [(A, "recipients_per_month", 2, 2)]
    # Local day and month roll over in Marigot time: 00:30 local on 1 April is 04:30 UTC.
    next_month = datetime(2025, 4, 1, 4, 30, tzinfo=UTC)
    (fresh,) = budgets.states(N1, [A], next_month)
    assert (fresh.sent_today, fresh.recipients_this_month, fresh.has_number) == (0, 0, False)
    (late_march,) = budgets.states(N1, [A], datetime(2025, 4, 1, 3, 30, tzinfo=UTC))  # 23:30 on 31 March
    assert late_march.has_number
