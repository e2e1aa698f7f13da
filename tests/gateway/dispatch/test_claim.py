"""What a modem claims: the SIM-budget rule, stickiness and fair share, as a table."""

from __future__ import annotations

import pytest

from gateway.dispatch.budgets import SimState
from gateway.dispatch.claim import ClaimPlan, plan_claim
from gateway.dispatch.settings import SimBudget
from gateway.outbox.models import Priority

ALL = frozenset(Priority)
NIGHT = frozenset({Priority.ALERT, Priority.OPERATIONAL})
ALERTS = frozenset({Priority.ALERT})
DAY = SimBudget(messages_per_day=100)
MONTH = SimBudget(recipients_per_month=250)
UNLIMITED = SimBudget()


def sim(imsi: str, budget: SimBudget = UNLIMITED, sent: int = 0, recipients: int = 0) -> SimState:
    return SimState(imsi, budget, sent, recipients)


WITHIN = sim("A", DAY, sent=10)
PAST_DAY = sim("A", DAY, sent=100)
PAST_MONTH = sim("A", MONTH, recipients=250)
PEER_OK = sim("B", DAY, sent=5)
PEER_PAST = sim("B", DAY, sent=100)
PEER_PAST_MONTH = sim("C", MONTH, recipients=300)

CASES: list[tuple[str, dict[str, object], ClaimPlan]] = [
    (
        "no budgets: a batch, everything allowed",
        {"own": None, "peers": []},
        ClaimPlan(ALL, limit=10),
    ),
    (
        "night: the daytime rule comes in as allowed",
        {"allowed": NIGHT, "own": None, "peers": []},
        ClaimPlan(NIGHT, limit=10),
    ),
    (
        "within budget: at most the messages left today",
        {"own": sim("A", DAY, sent=96), "peers": []},
        ClaimPlan(ALL, limit=4),
    ),
    (
        "past its day budget: alerts only, and a whole batch of them (an alert never waits on a budget)",
        {"own": PAST_DAY, "peers": []},
        ClaimPlan(ALERTS, limit=10, over_budget=True),
    ),
    (
        "past its month budget of recipients: alerts only",
        {"own": PAST_MONTH, "peers": []},
        ClaimPlan(ALERTS, limit=10, over_budget=True),
    ),
    (
        "past budget at night: alerts only still",
        {"allowed": NIGHT, "own": PAST_DAY, "peers": []},
        ClaimPlan(ALERTS, limit=10, over_budget=True),
    ),
    (
        "a peer within budget keeps every message for its numbers",
        {"own": WITHIN, "peers": [PEER_OK]},
        ClaimPlan(ALL, limit=10, leave_to=("B",)),
    ),
    (
        "a peer past budget keeps only its numbers' alerts: the rest (a STOP confirmation) comes here",
        {"own": WITHIN, "peers": [PEER_PAST, PEER_PAST_MONTH]},
        ClaimPlan(ALL, limit=10, leave_alerts_to=("B", "C")),
    ),
    (
        "both past budget: this SIM takes its own alerts, leaves the peer's alerts to it",
        {"own": PAST_DAY, "peers": [PEER_PAST]},
        ClaimPlan(ALERTS, limit=10, leave_alerts_to=("B",), over_budget=True),
    ),
    (
        "fair share: 30 due over 4 modems is 8 each, not a batch of 10",
        {"own": None, "peers": [], "due": 30, "in_service": 4},
        ClaimPlan(ALL, limit=8),
    ),
    (
        "fair share never below one",
        {"own": None, "peers": [], "due": 0, "in_service": 3},
        ClaimPlan(ALL, limit=1),
    ),
    (
        "the rate limits cap the batch",
        {"own": None, "peers": [], "rate_available": 3},
        ClaimPlan(ALL, limit=3),
    ),
]


@pytest.mark.parametrize(("case", "given", "plan"), CASES, ids=[c[0] for c in CASES])
def test_plan_claim(case: str, given: dict[str, object], plan: ClaimPlan) -> None:
    args: dict[str, object] = {"allowed": ALL, "batch_size": 10, "rate_available": 1000, "due": 0, "in_service": 1}
    args.update(given)
    assert plan_claim(**args) == plan  # type: ignore[arg-type]
