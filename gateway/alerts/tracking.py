"""Following an alert once sent: its progress in the outbox, and cancelling what is not yet sent."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gateway import audit
from gateway.alerts.errors import AlertNotFoundError
from gateway.alerts.models import Alert
from gateway.alerts.types import AlertProgress
from gateway.outbox.models import OutboxMessage
from gateway.outbox.states import MessageState
from gateway.outbox.store import Outbox


@dataclass(frozen=True, slots=True)
class AlertCancellation:
    """``cancelled``: rows that will never go; ``pending``: rows a modem held at that moment, which end
    cancelled unless the modem had already accepted them."""

    alert_id: int
    cancelled: int
    pending: int


def get_alert(session: Session, alert_id: int) -> Alert:
    """The alert with that id; raises :class:`AlertNotFoundError`."""
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise AlertNotFoundError(alert_id)
    return alert


def list_alerts(session: Session, *, limit: int = 50) -> Sequence[Alert]:
    """The latest alerts, newest first."""
    return session.scalars(select(Alert).order_by(Alert.id.desc()).limit(limit)).all()


def alert_progress(session: Session, alert_id: int) -> AlertProgress:
    """How many of the alert's messages are in each state; raises :class:`AlertNotFoundError`."""
    get_alert(session, alert_id)
    rows = session.execute(
        select(OutboxMessage.state, func.count())
        .where(OutboxMessage.alert_id == alert_id)
        .group_by(OutboxMessage.state)
    ).all()
    counts = {MessageState(state): int(n) for state, n in rows}
    return AlertProgress(
        alert_id=alert_id,
        total=sum(counts.values()),
        **{state.value: counts.get(state, 0) for state in MessageState},
    )


def cancel_alert(session: Session, outbox: Outbox, alert_id: int, *, now: datetime, actor: str) -> AlertCancellation:
    """Stop an alert: its queued messages never go. Records who cancelled, and an audit row.

    The outbox commits the cancel in its own transaction, so the session must not hold one: pending work
    in ``session`` is committed first. Cancelling twice is harmless (the second finds nothing queued).
    """
    get_alert(session, alert_id)
    # On SQLite every transaction holds the write lock: release it before the outbox takes it.
    session.commit()
    result = outbox.cancel(alert_id=alert_id, now=now)
    try:
        alert = get_alert(session, alert_id)
        if alert.cancelled_at is None:
            alert.cancelled_at, alert.cancelled_by = now, actor
        audit.record(
            session,
            actor,
            "alert.cancel_sending",
            f"alert:{alert_id}",
            result.cancelled,
            {"pending": result.pending},
            now=now,
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return AlertCancellation(alert_id, result.cancelled, result.pending)
