"""The life cycle of an outbox message, as data plus one pure function.

::

    queued ──claim──► sending ──sent──► sent ──delivered──► delivered
      ▲                 │ │ │             └──report_failed──► failed
      └──retry/release──┘ │ └──fail──► failed
                          └──give_up──► dead   (out of attempts or past expiry)
    queued ──expire──► dead        queued ──cancel──► cancelled
    sending ──cancel──► cancelled  (only when the worker reports back without having sent)
    queued ──late_sent──► sent      (a submit whose outcome was unknown is confirmed by a late +CMGS)
"""

from __future__ import annotations

from enum import StrEnum

from gateway.outbox.errors import IllegalTransition


class MessageState(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    DEAD = "dead"
    CANCELLED = "cancelled"

    @property
    def is_final(self) -> bool:
        return self in FINAL_STATES


class MessageEvent(StrEnum):
    CLAIM = "claim"
    SENT = "sent"
    RETRY = "retry"
    RELEASE = "release"
    FAIL = "fail"
    GIVE_UP = "give_up"
    EXPIRE = "expire"
    CANCEL = "cancel"
    DELIVERED = "delivered"
    REPORT_FAILED = "report_failed"
    LATE_SENT = "late_sent"


FINAL_STATES = frozenset({MessageState.DELIVERED, MessageState.FAILED, MessageState.DEAD, MessageState.CANCELLED})

_S, _E = MessageState, MessageEvent
TRANSITIONS: dict[tuple[MessageState, MessageEvent], MessageState] = {
    (_S.QUEUED, _E.CLAIM): _S.SENDING,
    (_S.QUEUED, _E.EXPIRE): _S.DEAD,
    (_S.QUEUED, _E.CANCEL): _S.CANCELLED,
    (_S.QUEUED, _E.LATE_SENT): _S.SENT,
    (_S.SENDING, _E.SENT): _S.SENT,
    (_S.SENDING, _E.RETRY): _S.QUEUED,
    (_S.SENDING, _E.RELEASE): _S.QUEUED,
    (_S.SENDING, _E.FAIL): _S.FAILED,
    (_S.SENDING, _E.GIVE_UP): _S.DEAD,
    (_S.SENDING, _E.CANCEL): _S.CANCELLED,
    (_S.SENT, _E.DELIVERED): _S.DELIVERED,
    (_S.SENT, _E.REPORT_FAILED): _S.FAILED,
}


def transition(current: MessageState, event: MessageEvent) -> MessageState:
    """The state after ``event`` in state ``current``; raises ``IllegalTransition`` for any other move."""
    try:
        return TRANSITIONS[(current, event)]
    except KeyError:
        raise IllegalTransition(current, event) from None


def sources(event: MessageEvent) -> frozenset[MessageState]:
    """The states from which ``event`` is legal (used to build compare-and-set WHERE clauses)."""
    return frozenset(state for (state, ev) in TRANSITIONS if ev is event)
