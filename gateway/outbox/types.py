"""Plain values that cross the outbox interface (no ORM objects leave the store)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.sql.elements import ColumnElement

from gateway.outbox.errors import InvalidMessage
from gateway.outbox.models import Priority
from gateway.outbox.states import MessageState
from gateway.printable import UnprintableTextError, printable

E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")


@dataclass(frozen=True)
class NewMessage:
    """A message to enqueue. Times are aware datetimes; ``max_attempts`` None takes the retry policy's."""

    recipient: str
    text: str
    priority: Priority = Priority.OPERATIONAL
    not_before: datetime | None = None
    expires_at: datetime | None = None
    alert_id: int | None = None
    campaign_id: int | None = None
    max_attempts: int | None = None
    rank: int = 0  # nearest first within an alert (gateway.registry.targeting.rank)

    def validate(self) -> None:
        """Raise ``InvalidMessage`` naming the problem; called by ``enqueue`` before anything is written."""
        if not E164.fullmatch(self.recipient):
            raise InvalidMessage(f"recipient {self.recipient!r} is not an E.164 number (+33639980001)")
        if not self.text:
            raise InvalidMessage("empty text")
        try:
            printable(self.text)  # the last line of defence: every entry checked already (gateway.printable)
        except UnprintableTextError as exc:
            raise InvalidMessage(f"text not sendable: {exc}") from exc
        if "\r" in self.text:
            raise InvalidMessage("text with CR: entries turn CR and CRLF into LF (gateway.printable)")
        for name in ("not_before", "expires_at"):
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:
                raise InvalidMessage(f"{name} must be an aware datetime")
        if self.not_before and self.expires_at and self.expires_at <= self.not_before:
            raise InvalidMessage("expires_at must be after not_before")
        if self.max_attempts is not None and self.max_attempts < 1:
            raise InvalidMessage("max_attempts must be at least 1")


@dataclass(frozen=True)
class ClaimedMessage:
    """A row now in ``sending`` for one worker: what the worker needs to submit it."""

    id: int
    recipient: str
    text: str
    priority: Priority
    attempts: int
    max_attempts: int
    expires_at: datetime | None
    alert_id: int | None
    campaign_id: int | None
    modem_id: str
    worker_id: str
    claimed_at: datetime
    created_at: datetime | None = None  # its commit, for the commit → first submit metric


@dataclass(frozen=True)
class MessageView:
    """A read-only snapshot of one row, for the API, the CLI and tests."""

    id: int
    recipient: str
    text: str
    priority: Priority
    state: MessageState
    attempts: int
    max_attempts: int
    not_before: datetime | None
    expires_at: datetime | None
    next_attempt_at: datetime | None
    modem_id: str | None
    worker_id: str | None
    claimed_at: datetime | None
    cancel_requested: bool
    message_refs: str | None
    segments: int | None
    encoding: str | None
    last_error: str | None
    created_at: datetime
    updated_at: datetime
    sent_at: datetime | None
    delivered_at: datetime | None
    alert_id: int | None
    campaign_id: int | None


@dataclass(frozen=True)
class CancelResult:
    """``cancelled``: queued rows now cancelled; ``pending``: rows a worker holds, cancelled if it does not send."""

    cancelled: int
    pending: int


@dataclass(frozen=True)
class ReportOutcome:
    """What a delivery report did: the matched message and part, its state after, whether it changed."""

    message_id: int
    part_no: int
    state: MessageState
    changed: bool


# The recipient rule checked right before each submit (``Outbox.check_before_submit``), as an SQL condition on
# the outbox row's recipient, alert and campaign columns (``gateway.alerts.guard.send_guard``): the row and the rule
# are read in one indexed query. A withdrawal, STOP, suspension or expiry committed before that read always wins.
SendGuard = Callable[[ColumnElement[str], ColumnElement[Any], ColumnElement[Any]], ColumnElement[bool]]
