"""Handling one incoming SMS: a STOP withdraws the number and gets one confirmation; anything else is
kept in the inbox, linked to the latest alert that number received, for the operators to read."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.alerts.compose import check_length, join_languages
from gateway.alerts.settings import TextSettings
from gateway.inbox.models import InboxKind, InboxMessage
from gateway.inbox.store import latest_alert_for
from gateway.outbox.models import Priority
from gateway.outbox.store import Outbox
from gateway.outbox.types import NewMessage
from gateway.registry.errors import RegistryError
from gateway.registry.members import withdraw_number
from gateway.registry.phones import parse_phone
from gateway.replies.stop import is_stop_request

CONFIRMATION_FR = (
    "Vigicommerce : votre numéro est retiré, vous ne recevrez plus d'alertes SMS. "
    "Pour vous réinscrire, contactez la CCISM."
)
CONFIRMATION_EN = (
    "Vigicommerce: your number has been removed, you will no longer receive SMS alerts. "
    "To register again, contact the CCISM."
)


@dataclass(frozen=True, slots=True)
class IncomingResult:
    """``kind`` stop or reply; ``withdrawn``: establishments (SIRET, or SIREN without one) whose number was
    withdrawn now; ``confirmation_id``: the outbox row of the confirmation (None when the number was unknown
    or already withdrawn)."""

    inbox_id: int
    kind: InboxKind
    sender: str
    withdrawn: tuple[str, ...]
    confirmation_id: int | None
    linked_alert_id: int | None


def normalise_sender(sender: str) -> str:
    """E.164 when the sender parses as a phone number (modems may give ``0639…`` or ``33639…``), else as is."""
    try:
        return parse_phone(sender).e164
    except RegistryError:
        return sender.strip()


def handle_incoming(
    session: Session,
    sender: str,
    text: str,
    received_at: datetime,
    *,
    outbox: Outbox,
    now: datetime,
    text_settings: TextSettings,
    modem_id: str = "",
) -> IncomingResult:
    """Store and act on one incoming SMS; flushes, the caller commits (one transaction for the inbox row,
    the withdrawal, its audit row and the confirmation)."""
    e164 = normalise_sender(sender)
    stop = is_stop_request(text)
    linked = None if stop else latest_alert_for(session, e164, received_at)
    row = InboxMessage(
        modem_id=modem_id,
        sender=e164,
        text=text,
        received_at=received_at,
        stored_at=now,
        kind=InboxKind.STOP if stop else InboxKind.REPLY,
        handled=stop,
        linked_alert_id=linked,
    )
    session.add(row)
    session.flush()
    withdrawn: Sequence[str] = ()
    confirmation: int | None = None
    if stop:
        members = withdraw_number(session, e164, now=now, actor=f"sms:{modem_id or 'modem'}", reason="STOP")
        withdrawn = tuple(m.key for m in members)
        if members:
            reply = check_length(
                join_languages(CONFIRMATION_FR, CONFIRMATION_EN, text_settings.template), text_settings
            ).text
            (confirmation,) = outbox.enqueue(
                session, [NewMessage(recipient=e164, text=reply, priority=Priority.OPERATIONAL)], now
            )
    return IncomingResult(row.id, row.kind, e164, tuple(withdrawn), confirmation, linked)


def list_replies(
    session: Session, *, alert_id: int | None = None, since: datetime | None = None, limit: int = 200
) -> Sequence[InboxMessage]:
    """Replies (not STOPs) for operators, newest first; optionally those linked to one alert or since a time."""
    query = select(InboxMessage).where(InboxMessage.kind == InboxKind.REPLY)
    if alert_id is not None:
        query = query.where(InboxMessage.linked_alert_id == alert_id)
    if since is not None:
        query = query.where(InboxMessage.received_at >= since)
    return session.scalars(query.order_by(InboxMessage.received_at.desc(), InboxMessage.id.desc()).limit(limit)).all()
