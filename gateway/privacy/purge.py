"""Purge of personal data past the retention period (``[campaigns] retention_days``).

What goes, for anything older than the cutoff (``now - retention_days``):

* numbers of members withdrawn before the cutoff, or whose registration ended before it (expired), and
  their contact person's name; the member's business record (SIREN, name, dates) stays, as the register's
  history;
* numbers withdrawn by STOP before the cutoff, even when their member stays registered;
* outbox messages created before the cutoff and no longer in flight (their text and number), with their
  submitted parts; alerts' recipient lists of alerts older than the cutoff;
* incoming SMS received before the cutoff.

Alerts themselves (what the gendarmerie said, to how many) and the audit log stay: they are the record of
what was done. One audit row gives the counts.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from gateway import audit
from gateway.alerts.models import Alert, AlertRecipient
from gateway.inbox.models import InboxMessage
from gateway.outbox.models import OutboxMessage, SubmittedPart
from gateway.outbox.states import MessageState
from gateway.registry.models import Member, MemberPhone, MemberStatus

IN_FLIGHT = (MessageState.QUEUED, MessageState.SENDING)


@dataclass(frozen=True, slots=True)
class PurgeReport:
    members: int
    numbers: int
    withdrawn_numbers: int
    messages: int
    alert_recipients: int
    inbox: int


def _count(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def purge(session: Session, *, now: datetime, retention_days: int, actor: str = "system") -> PurgeReport:
    """Delete what is older than the retention period (see the module docstring); flushes, caller commits.

    Idempotent: a second run finds nothing more. Writes one ``privacy.purge`` audit row when anything went.
    """
    cutoff = now - timedelta(days=retention_days)
    gone = select(Member.id).where(
        or_(
            (Member.status == MemberStatus.WITHDRAWN) & (Member.withdrawn_at < cutoff),
            (Member.status == MemberStatus.EXPIRED) & (Member.expires_on < cutoff.date()),
        )
    )
    member_ids = list(session.scalars(gone))
    numbers = 0
    touched: set[int] = set()
    for start in range(0, len(member_ids), 500):
        chunk = member_ids[start : start + 500]
        touched.update(session.scalars(select(MemberPhone.member_id).where(MemberPhone.member_id.in_(chunk))))
        touched.update(session.scalars(select(Member.id).where(Member.id.in_(chunk), Member.contact != "")))
        numbers += _count(session.execute(delete(MemberPhone).where(MemberPhone.member_id.in_(chunk))))
        session.execute(
            update(Member).where(Member.id.in_(chunk), Member.contact != "").values(contact="", updated_at=now)
        )
    withdrawn = _count(
        session.execute(
            delete(MemberPhone).where(MemberPhone.withdrawn_at.is_not(None), MemberPhone.withdrawn_at < cutoff)
        )
    )
    old_messages = select(OutboxMessage.id).where(
        OutboxMessage.created_at < cutoff, OutboxMessage.state.not_in(IN_FLIGHT)
    )
    session.execute(delete(SubmittedPart).where(SubmittedPart.message_id.in_(old_messages)))
    messages = _count(session.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(old_messages))))
    old_alerts = select(Alert.id).where(Alert.created_at < cutoff)
    recipients = _count(session.execute(delete(AlertRecipient).where(AlertRecipient.alert_id.in_(old_alerts))))
    inbox = _count(session.execute(delete(InboxMessage).where(InboxMessage.received_at < cutoff)))
    report = PurgeReport(len(touched), numbers, withdrawn, messages, recipients, inbox)
    if any(asdict(report).values()):
        audit.record(
            session,
            actor,
            "privacy.purge",
            f"before:{cutoff.date().isoformat()}",
            numbers + withdrawn + messages + inbox,
            {**asdict(report), "retention_days": retention_days},
            now=now,
        )
    session.flush()
    return report
