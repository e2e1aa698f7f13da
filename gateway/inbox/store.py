"""Store incoming SMS and list them for the register to act on (STOP requests, replies to alerts)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from gateway.inbox.models import InboxKind, InboxMessage
from gateway.outbox.models import OutboxMessage
from gateway.outbox.states import MessageState
from gateway.replies.stop import is_stop_request
from gateway.storage import dialect
from gateway.storage.db import session_factory

# A reply within this time after an alert is linked to it.
LINK_WINDOW = timedelta(hours=48)


def classify(text: str) -> InboxKind:
    """STOP when the whole text is a stop word (see ``gateway.replies.stop``), else a reply."""
    return InboxKind.STOP if is_stop_request(text) else InboxKind.REPLY


def latest_alert_for(
    session: Session, e164: str, before: datetime | None = None, window: timedelta | None = None
) -> int | None:
    """The alert most recently sent to ``e164`` (sent before ``before``, and within ``window`` of it), or None."""
    query = select(OutboxMessage.alert_id).where(
        OutboxMessage.recipient == e164,
        OutboxMessage.alert_id.is_not(None),
        OutboxMessage.state.in_([MessageState.SENT, MessageState.DELIVERED]),
    )
    if before is not None:
        query = query.where(OutboxMessage.sent_at <= before)
        if window is not None:
            query = query.where(OutboxMessage.sent_at >= before - window)
    return session.scalar(query.order_by(OutboxMessage.sent_at.desc(), OutboxMessage.id.desc()).limit(1))


@dataclass(frozen=True)
class InboxView:
    id: int
    modem_id: str
    sender: str
    text: str
    received_at: datetime
    stored_at: datetime
    kind: InboxKind
    handled: bool
    linked_alert_id: int | None


class Inbox:
    def __init__(self, engine: Engine) -> None:
        self._sessions = session_factory(engine)
        self._reads = session_factory(engine.execution_options(**{dialect.BEGIN_OPTION: "DEFERRED"}))

    def store_incoming(self, *, modem_id: str, sender: str, text: str, received_at: datetime, now: datetime) -> int:
        """Commit one incoming SMS, classified and linked to the latest alert sent to ``sender``."""
        with self._sessions.begin() as session:
            linked = latest_alert_for(session, sender, received_at, LINK_WINDOW)
            row = InboxMessage(
                modem_id=modem_id,
                sender=sender,
                text=text,
                received_at=received_at,
                stored_at=now,
                kind=classify(text),
                handled=False,
                linked_alert_id=linked,
            )
            session.add(row)
            session.flush()
            return row.id

    def list(self, *, handled: bool | None = None, kind: InboxKind | None = None, limit: int = 100) -> list[InboxView]:
        """Newest first."""
        stmt = select(InboxMessage).order_by(InboxMessage.stored_at.desc(), InboxMessage.id.desc()).limit(limit)
        if handled is not None:
            stmt = stmt.where(InboxMessage.handled.is_(handled))
        if kind is not None:
            stmt = stmt.where(InboxMessage.kind == kind)
        with self._reads.begin() as session:
            return [
                InboxView(**{name: getattr(row, name) for name in InboxView.__dataclass_fields__})
                for row in session.scalars(stmt)
            ]

    def mark_handled(self, message_id: int) -> bool:
        """Record that the register acted on this message; False when it was already handled or unknown."""
        with self._sessions.begin() as session:
            result = session.execute(
                update(InboxMessage)
                .where(InboxMessage.id == message_id, InboxMessage.handled.is_(False))
                .values(handled=True),
                execution_options={"synchronize_session": False},
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]
