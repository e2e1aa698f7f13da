"""The last check before a send: may this message still go to this number?

Each modem worker calls :func:`is_still_allowed` (through :func:`send_guard`) right before each submit, so that a
withdrawal, a STOP, a suspension or an expiry committed after the fan-out stops the message (invariant 2); only a
PDU already written to a modem may still leave. This is the one place of the rule. Rules:

* alert rows: the number belongs to an active, unexpired member and was not withdrawn; for a *test*
  alert, the number is one the alert was sent to and, when given, still an operator number;
* campaign rows (reminders, re-registration): the number was not withdrawn by STOP and one of its members
  has not withdrawn (expired members are exactly who a re-registration campaign is for);
* other rows (operational, e.g. the STOP confirmation): always allowed.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import date
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.alerts.models import Alert, AlertRecipient, AlertStatus
from gateway.registry.models import Member, MemberPhone, MemberStatus
from gateway.registry.targeting import is_number_allowed


class MessageLike(Protocol):
    """Anything with the three fields the guard needs (``ClaimedMessage``, ``MessageView``, the ORM row)."""

    @property
    def recipient(self) -> str: ...
    @property
    def alert_id(self) -> int | None: ...
    @property
    def campaign_id(self) -> int | None: ...


def is_still_allowed(
    session: Session,
    message: MessageLike | tuple[str, int | None, int | None],
    today: date,
    *,
    operator_numbers: Collection[str] | None = None,
) -> bool:
    """True when ``message`` (or ``(recipient, alert_id, campaign_id)``) may be sent now; see the module."""
    if isinstance(message, tuple):
        recipient, alert_id, campaign_id = message
    else:
        recipient, alert_id, campaign_id = message.recipient, message.alert_id, message.campaign_id
    if alert_id is not None:
        status = session.scalar(select(Alert.status).where(Alert.id == alert_id))
        if status is None:
            return False
        if status is AlertStatus.TEST:
            was_recipient = session.scalar(
                select(AlertRecipient.e164).where(AlertRecipient.alert_id == alert_id, AlertRecipient.e164 == recipient)
            )
            return was_recipient is not None and (operator_numbers is None or recipient in operator_numbers)
        return is_number_allowed(session, recipient, today)
    if campaign_id is not None:
        query = (
            select(MemberPhone.id)
            .join(Member, Member.id == MemberPhone.member_id)
            .where(
                MemberPhone.e164 == recipient,
                MemberPhone.withdrawn_at.is_(None),
                Member.status != MemberStatus.WITHDRAWN,
            )
            .limit(1)
        )
        return session.execute(query).first() is not None
    return True


def send_guard(
    today: Callable[[], date], operator_numbers: Collection[str] | None = None
) -> Callable[[Session, MessageLike], bool]:
    """The ``SendGuard`` the workers call right before each submit (``Outbox.check_before_submit``): True when
    the message may still go. ``today`` is called at each check (the local date changes while the daemon runs).
    """

    def _guard(session: Session, message: MessageLike) -> bool:
        return is_still_allowed(session, message, today(), operator_numbers=operator_numbers)

    return _guard
