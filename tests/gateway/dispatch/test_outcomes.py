"""What becomes of a message whose submit failed, as a table."""

from __future__ import annotations

import pytest

from gateway.dispatch.failures import Failure
from gateway.dispatch.outcomes import RESUME_TRIES, Action, after_failure
from gateway.outbox.models import Priority

F, P, A = Failure, Priority, Action
ALERTS = frozenset({P.ALERT})
CASES: list[tuple[Failure, Priority, dict[str, object], Action]] = [
    (F.MESSAGE_REJECTED, P.ALERT, {}, A.FAIL),
    (F.MESSAGE_INVALID, P.OPERATIONAL, {}, A.FAIL),
    (F.NETWORK_TEMPORARY, P.ALERT, {}, A.RETRY),
    (F.NETWORK_TEMPORARY, P.REMINDER, {}, A.RETRY),
    # The modem: back to the queue at once, uncharged, whatever the priority.
    (F.MODEM_SIM, P.ALERT, {}, A.RELEASE),
    (F.MODEM_NOT_REGISTERED, P.REMINDER, {}, A.RELEASE),
    (F.MODEM_ERROR, P.OPERATIONAL, {}, A.RELEASE),
    (F.MODEM_GONE, P.ALERT, {}, A.RELEASE),
    (F.MODEM_SILENT, P.ALERT, {}, A.RELEASE),
    # The PDU was written: an alert goes again at once elsewhere, other priorities wait for a late answer.
    (F.AMBIGUOUS, P.ALERT, {}, A.RESEND),
    (F.AMBIGUOUS, P.OPERATIONAL, {}, A.HOLD),
    (F.AMBIGUOUS, P.REMINDER, {}, A.HOLD),
    (F.AMBIGUOUS, P.ALERT, {"resend_ambiguous": frozenset()}, A.HOLD),  # configured off
    (F.AMBIGUOUS, P.OPERATIONAL, {"resend_ambiguous": frozenset(P)}, A.RESEND),
    # The modem was judged sick on this very refusal: another modem, now.
    (F.NETWORK_TEMPORARY, P.REMINDER, {"modem_tripped": True}, A.RESEND),
    (F.MESSAGE_REJECTED, P.ALERT, {"modem_tripped": True}, A.RESEND),
    # Segments already accepted.
    (F.NETWORK_TEMPORARY, P.ALERT, {"partial": True}, A.RESUME),
    (F.NETWORK_TEMPORARY, P.ALERT, {"partial": True, "resumes": RESUME_TRIES - 1}, A.RESUME),
    (F.NETWORK_TEMPORARY, P.ALERT, {"partial": True, "resumes": RESUME_TRIES}, A.RETRY),
    (F.NETWORK_TEMPORARY, P.ALERT, {"partial": True, "modem_tripped": True}, A.RESEND),
    (F.MODEM_GONE, P.ALERT, {"partial": True}, A.RESEND),  # the end cannot come from this modem: whole, elsewhere
    (F.MODEM_SIM, P.REMINDER, {"partial": True}, A.RESEND),
    (F.MESSAGE_REJECTED, P.ALERT, {"partial": True}, A.FAIL),
    (F.AMBIGUOUS, P.ALERT, {"partial": True}, A.RESEND),
    (F.AMBIGUOUS, P.REMINDER, {"partial": True}, A.HOLD),
]


@pytest.mark.parametrize(
    ("failure", "priority", "given", "action"),
    CASES,
    ids=[f"{f.value}-{p.name.lower()}-{'-'.join(f'{k}={v}' for k, v in g.items()) or 'plain'}" for f, p, g, _ in CASES],
)
def test_after_failure(failure: Failure, priority: Priority, given: dict[str, object], action: Action) -> None:
    args: dict[str, object] = {"resend_ambiguous": ALERTS}
    args.update(given)
    assert after_failure(failure, priority, **args) is action  # type: ignore[arg-type]


# Failures after which the network cannot have seen the message (nothing reached it, or the modem refused).
UNSEEN = {F.MESSAGE_INVALID, F.MODEM_SIM, F.MODEM_NOT_REGISTERED, F.MODEM_ERROR, F.MODEM_GONE, F.MODEM_SILENT}


def test_the_attempt_is_charged_only_when_the_network_could_have_seen_the_message() -> None:
    for failure, priority, given, action in CASES:
        if action is A.RELEASE:  # the only action that gives the attempt back
            assert failure in UNSEEN, (failure, priority, given)
        if failure in UNSEEN and not given.get("partial"):  # a partial: earlier segments were seen
            assert action in (A.RELEASE, A.FAIL), (failure, priority, given)
