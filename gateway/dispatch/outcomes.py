"""What becomes of a message whose submit failed: fail it, retry it, give it back, hold it or send it again.

Pure, table-tested (``tests/gateway/dispatch/test_outcomes.py``). The rules:

* a message the network refused for good (``message_rejected``) or that cannot be encoded fails;
* a refusal on which the modem was judged sick (``gateway.dispatch.health``: the same refusal on several
  messages in a row while other modems send) goes back to the queue at once for another modem, attempt counted;
* ``network_temporary``: retried after the retry back-off; the attempt counts (the network saw it);
* modem-level: given back at once, the attempt not charged (the network never saw it); another modem takes it
  within milliseconds;
* ``ambiguous`` (the PDU was written, no answer): only this case may have left. For the priorities configured
  (``dispatch.resend_ambiguous``, alerts by default) a duplicate is better than a late alert: it goes back to the
  queue at once, for another modem, attempt counted. Other priorities are held for the late-result window, so
  that a late ``+CMGS`` or a delivery report can prove it left before a resend texts the member twice;
* a long message whose later segment failed while earlier ones were accepted: the missing segments are sent
  again at once, on the same modem with the same concatenation reference, so that the handset joins them into
  one message (``resume_missing``). Only when that modem is out of service does the whole message go again,
  elsewhere (the handset then keeps the orphan segments).
"""

from __future__ import annotations

from enum import StrEnum

from gateway.dispatch.failures import Failure
from gateway.outbox.models import Priority

# Times the missing segments of one message are sent again, at once, before the message waits its retry.
RESUME_TRIES = 2


class Action(StrEnum):
    FAIL = "fail"  # failed for good
    RETRY = "retry"  # back to the queue after the retry back-off, attempt counted
    RELEASE = "release"  # back to the queue now, attempt not counted
    RESEND = "resend"  # back to the queue now for another modem, attempt counted
    HOLD = "hold"  # back to the queue after the late-result window, attempt counted
    RESUME = "resume"  # send the missing segments again now, same modem, same reference


def after_failure(
    failure: Failure,
    priority: Priority,
    *,
    resend_ambiguous: frozenset[Priority],
    modem_tripped: bool = False,
    partial: bool = False,
    resumes: int = 0,
) -> Action:
    """The action for a failed submit of a message of ``priority``.

    ``modem_tripped``: the health rules just took the modem out of service on this failure; ``partial``: some
    segments were accepted before the failure; ``resumes``: missing-segment resends already tried in this claim.
    """
    if failure is Failure.AMBIGUOUS:
        return Action.RESEND if priority in resend_ambiguous else Action.HOLD
    if failure.modem_level:
        # Segments already accepted: the network saw the message, and its end cannot come from this modem now.
        return Action.RESEND if partial else Action.RELEASE
    if partial and not modem_tripped and failure is Failure.NETWORK_TEMPORARY and resumes < RESUME_TRIES:
        return Action.RESUME
    if modem_tripped:  # the modem was judged sick on this failure: another one may well get it through now
        return Action.RESEND
    if failure in (Failure.MESSAGE_REJECTED, Failure.MESSAGE_INVALID):
        return Action.FAIL
    return Action.RETRY
