"""Which alert an incoming reply answers: the one most recently sent to that number."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.outbox.models import OutboxMessage
from gateway.outbox.states import MessageState


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
