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
from typing import Any, Protocol

from sqlalchemy import Integer, String, and_, case, exists, false, literal, select, true
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from gateway.alerts.models import Alert, AlertRecipient, AlertStatus
from gateway.outbox.types import SendGuard
from gateway.registry.models import Member, MemberPhone, MemberStatus
from gateway.registry.targeting import eligible


class MessageLike(Protocol):
    """Anything with the three fields the guard needs (``ClaimedMessage``, ``MessageView``, the ORM row)."""

    @property
    def recipient(self) -> str: ...
    @property
    def alert_id(self) -> int | None: ...
    @property
    def campaign_id(self) -> int | None: ...


def allowed(
    recipient: ColumnElement[str],
    alert_id: ColumnElement[Any],
    campaign_id: ColumnElement[Any],
    today: date,
    *,
    operator_numbers: Collection[str] | None = None,
) -> ColumnElement[bool]:
    """The rule of this module as one SQL condition on a message's recipient, alert and campaign: columns of
    the outbox row (the worker's check reads the row and this in one indexed query) or bound values."""
    eligible_number = exists(
        select(MemberPhone.id)
        .join(Member, Member.id == MemberPhone.member_id)
        .where(MemberPhone.e164 == recipient, *eligible(today))
    )
    status = select(Alert.status).where(Alert.id == alert_id).scalar_subquery()
    to_operator: ColumnElement[bool] = exists(
        select(AlertRecipient.e164).where(AlertRecipient.alert_id == alert_id, AlertRecipient.e164 == recipient)
    )
    if operator_numbers is not None:
        to_operator = and_(to_operator, recipient.in_(list(operator_numbers)) if operator_numbers else false())
    not_stopped = exists(
        select(MemberPhone.id)
        .join(Member, Member.id == MemberPhone.member_id)
        .where(
            MemberPhone.e164 == recipient, MemberPhone.withdrawn_at.is_(None), Member.status != MemberStatus.WITHDRAWN
        )
    )
    return case(
        (
            alert_id.is_not(None),
            case((status.is_(None), false()), (status == AlertStatus.TEST, to_operator), else_=eligible_number),
        ),
        (campaign_id.is_not(None), not_stopped),
        else_=true(),
    )


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
    condition = allowed(
        literal(recipient, String),
        literal(alert_id, Integer),
        literal(campaign_id, Integer),
        today,
        operator_numbers=operator_numbers,
    )
    return bool(session.scalar(select(condition)))


def send_guard(today: Callable[[], date], operator_numbers: Collection[str] | None = None) -> SendGuard:
    """The ``SendGuard`` the workers use right before each submit (``Outbox.check_before_submit``): the rule on
    the outbox row's own columns. ``today`` is called at each check (the local date changes while the daemon
    runs)."""

    built: dict[tuple[date, int, int, int], ColumnElement[bool]] = {}

    def _guard(
        recipient: ColumnElement[str], alert_id: ColumnElement[Any], campaign_id: ColumnElement[Any]
    ) -> ColumnElement[bool]:
        # Built once a day (building it costs more than running it): the same object, so the caller may keep the
        # statement around it too.
        key = (today(), id(recipient), id(alert_id), id(campaign_id))
        if key not in built:
            built.clear()
            built[key] = allowed(recipient, alert_id, campaign_id, key[0], operator_numbers=operator_numbers)
        return built[key]

    return _guard
