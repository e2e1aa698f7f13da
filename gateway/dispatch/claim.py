"""What one modem claims next: which priorities, which numbers it leaves to other SIMs, how many. Pure.

The SIM-budget rule lives here, and only here (``tests/gateway/dispatch/test_claim.py`` tables it; the README
and ``GET /modems`` say the same):

* a number sticks to the SIM that first texted it this month (operators' "unlimited" plans cap the distinct
  recipients per month), so a SIM leaves to the other SIMs in service the numbers stuck to them (unless stuck to
  itself too: a number two SIMs texted may go through either);
* a SIM past a budget (messages today, or distinct recipients this month) takes alerts only: **an alert is never
  held back by a budget**, wherever it is stuck;
* a number stuck to a SIM past its budget is not held back either: its alerts stay with that SIM (which still
  sends alerts), every other message for it goes to another SIM within budget. A STOP confirmation or an
  operational message never waits for tomorrow because of the SIM it is stuck to; it waits only when every SIM
  in service is past its budget;
* a SIM takes at most its remaining messages today, and at most a fair share of what is due, so that the modems
  finish together (a 300-number alert over 4 modems is 75 each, not 80, 80, 80 and 60).

The daytime rule (reminders only in daytime) comes in as ``allowed``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from gateway.dispatch.budgets import SimState
from gateway.outbox.models import Priority


@dataclass(frozen=True)
class ClaimPlan:
    """``leave_to``: SIMs whose numbers this SIM does not take at all; ``leave_alerts_to``: SIMs past budget whose
    numbers' alerts stay theirs (their other messages may come here); ``over_budget``: this SIM is past one."""

    priorities: frozenset[Priority]
    limit: int
    leave_to: tuple[str, ...] = ()
    leave_alerts_to: tuple[str, ...] = ()
    over_budget: bool = False


def plan_claim(
    *,
    allowed: frozenset[Priority],
    own: SimState | None,
    peers: Sequence[SimState],
    batch_size: int,
    rate_available: int,
    due: int,
    in_service: int,
) -> ClaimPlan:
    """The next claim of one modem.

    ``own``: its SIM's use (None when budgets are off or the SIM is unknown); ``peers``: the other SIMs in
    service; ``rate_available``: segments its rate limits allow now; ``due``: messages due now in ``allowed``;
    ``in_service``: modems in service, this one included.
    """
    limit = min(batch_size, rate_available)
    if in_service > 1:
        limit = min(limit, -(-due // in_service))
    priorities, over = allowed, False
    if own is not None and own.past_budget:
        priorities, over = allowed & {Priority.ALERT}, True
    elif own is not None and not math.isinf(own.remaining_messages()):
        limit = min(limit, int(own.remaining_messages()))
    return ClaimPlan(
        priorities=priorities,
        limit=max(1, limit),
        leave_to=tuple(sorted(p.imsi for p in peers if not p.past_budget)),
        leave_alerts_to=tuple(sorted(p.imsi for p in peers if p.past_budget)),
        over_budget=over,
    )
