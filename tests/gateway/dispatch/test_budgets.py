"""SIM budget counters on SQLite and PostgreSQL: use per local day and month, sticky numbers, and how /modems
reads them. Which SIM may send what is ``claim.plan_claim`` (``test_claim.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine

from gateway.dispatch.budgets import SimBudgets, SimState, budget_uses
from gateway.dispatch.settings import SimBudget
from gateway.storage.db import make_engine, session_factory
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


def send(engine: Engine, budgets: SimBudgets, imsi: str, number: str, at: datetime, segments: int = 1) -> None:
    with session_factory(engine).begin() as session:  # as the worker does, inside its "sent" transaction
        budgets.record_send_in(session, imsi, number, at, segments)


def stuck(engine: Engine, budgets: SimBudgets, imsis: list[str], at: datetime, **kw: str) -> set[str]:
    query = budgets.stuck_to(imsis, at, **kw)  # what the claim runs inside its transaction
    if query is None:
        return set()
    with session_factory(engine)() as session:
        return set(session.scalars(query))


def test_counters_stickiness_and_local_calendar(engine: Engine) -> None:
    budgets = SimBudgets(engine, {A: SimBudget(messages_per_day=10, recipients_per_month=2), B: SimBudget()})
    send(engine, budgets, A, N1, T0)
    send(engine, budgets, A, N1, T0 + timedelta(minutes=1), segments=2)
    send(engine, budgets, A, N2, T0)
    send(engine, budgets, B, N3, T0)
    a, b = budgets.states([A, B], T0)
    assert (a.sent_today, a.recipients_this_month, a.past_budget) == (4, 2, True)  # no new recipient left
    assert (b.sent_today, b.recipients_this_month, b.past_budget) == (1, 1, False)
    assert stuck(engine, budgets, [A], T0) == {N1, N2}
    assert stuck(engine, budgets, [A, B], T0) == {N1, N2, N3}
    assert stuck(engine, budgets, [], T0) == set()
    send(engine, budgets, B, N1, T0)  # N1 is now stuck to both: neither leaves it to the other
    assert stuck(engine, budgets, [A], T0, unless_held_by=B) == {N2}
    assert stuck(engine, budgets, [B], T0, unless_held_by=A) == {N3}
    # Local day and month roll over in Marigot time: 00:30 local on 1 April is 04:30 UTC.
    (fresh,) = budgets.states([A], datetime(2025, 4, 1, 4, 30, tzinfo=UTC))
    assert (fresh.sent_today, fresh.recipients_this_month) == (0, 0)
    assert stuck(engine, budgets, [A], datetime(2025, 4, 1, 3, 30, tzinfo=UTC)) == {N1, N2}  # 23:30, 31 March


@pytest.mark.parametrize(
    ("sent", "recipients", "expected"),
    [
        (0, 0, [(False, False), (False, False)]),
        (79, 199, [(False, False), (False, False)]),
        (80, 200, [(True, False), (True, False)]),  # 80 % of each: warnings
        (100, 249, [(True, True), (True, False)]),  # the day's messages used up: exhausted
        (120, 250, [(True, True), (True, True)]),
    ],
)
def test_budget_uses_warn_then_say_exhausted(sent: int, recipients: int, expected: list[tuple[bool, bool]]) -> None:
    state = SimState(A, SimBudget(messages_per_day=100, recipients_per_month=250), sent, recipients)
    uses = budget_uses(state, warn_fraction=0.8)
    assert [(u.kind, u.used, u.limit) for u in uses] == [
        ("messages/jour", sent, 100),
        ("destinataires/mois", recipients, 250),
    ]
    assert [(u.warning, u.exhausted) for u in uses] == expected
    assert state.past_budget == any(exhausted for _, exhausted in expected)


def test_unlimited_budgets_never_warn() -> None:
    uses = budget_uses(SimState(A, SimBudget(), 10_000, 10_000), warn_fraction=0.8)
    assert [(u.limit, u.warning, u.exhausted) for u in uses] == [(None, False, False), (None, False, False)]
