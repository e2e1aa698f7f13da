"""Everything held about one member, as JSON-ready data (right of access)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from gateway.audit.models import AuditEntry
from gateway.campaigns.models import ReminderSent
from gateway.inbox.models import InboxMessage
from gateway.outbox.models import OutboxMessage
from gateway.registry.members import get_member

_MEMBER_FIELDS = (
    "siren",
    "siret",
    "name",
    "category_id",
    "zone_id",
    "address",
    "contact",
    "registered_on",
    "expires_on",
    "status",
    "consent_at",
    "created_at",
    "updated_at",
    "withdrawn_at",
)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if hasattr(value, "value"):
        return value.value
    return value


def export_member_data(session: Session, key: str) -> dict[str, Any]:
    """The member, its numbers, messages sent to those numbers, replies from them, reminders and audit rows.

    ``key`` names the establishment (SIRET, or SIREN: see ``registry.members.find_member``). Raises
    :class:`~gateway.registry.errors.MemberNotFoundError` for an unknown one. Messages and replies
    are those of the member's numbers: a number shared with another shop shows that shop's messages too
    (the same handset received them).
    """
    member = get_member(session, key)
    numbers = [p.e164 for p in member.phones]
    data: dict[str, Any] = {"member": {f: _plain(getattr(member, f)) for f in _MEMBER_FIELDS}}
    data["member"]["street"] = member.street.name if member.street is not None else None
    data["numbers"] = [
        {"e164": p.e164, "position": p.position, "is_test": p.is_test, "withdrawn_at": _plain(p.withdrawn_at)}
        for p in member.phones
    ]
    messages = (
        session.scalars(
            select(OutboxMessage).where(OutboxMessage.recipient.in_(numbers)).order_by(OutboxMessage.id)
        ).all()
        if numbers
        else []
    )
    data["messages"] = [
        {
            "id": m.id,
            "recipient": m.recipient,
            "text": m.text,
            "state": _plain(m.state),
            "priority": int(m.priority),
            "created_at": _plain(m.created_at),
            "sent_at": _plain(m.sent_at),
            "delivered_at": _plain(m.delivered_at),
            "alert_id": m.alert_id,
            "campaign_id": m.campaign_id,
        }
        for m in messages
    ]
    replies = (
        session.scalars(select(InboxMessage).where(InboxMessage.sender.in_(numbers)).order_by(InboxMessage.id)).all()
        if numbers
        else []
    )
    data["inbox"] = [
        {
            "id": r.id,
            "sender": r.sender,
            "text": r.text,
            "kind": _plain(r.kind),
            "received_at": _plain(r.received_at),
            "linked_alert_id": r.linked_alert_id,
        }
        for r in replies
    ]
    data["reminders"] = [
        {"expires_on": _plain(r.expires_on), "threshold_days": r.threshold_days, "sent_at": _plain(r.sent_at)}
        for r in session.scalars(select(ReminderSent).where(ReminderSent.member_id == member.id))
    ]
    # Number withdrawals are audited under the (masked) number, with the establishments' keys in their
    # details. Rows written while the establishment was known by its SIREN only are under "member:SIREN".
    keys = {member.key, member.siren}
    subjects = {f"member:{k}" for k in keys}
    audit_rows = session.scalars(
        select(AuditEntry)
        .where(or_(AuditEntry.subject.in_(subjects), AuditEntry.action == "number.withdraw"))
        .order_by(AuditEntry.id)
    ).all()
    data["audit"] = [
        {
            "at": _plain(a.at),
            "actor": a.actor,
            "action": a.action,
            "subject": a.subject,
            "count": a.count,
            "details": a.details,
        }
        for a in audit_rows
        if a.subject in subjects or keys & set((a.details or {}).get("members", []))
    ]
    return data
