"""Reminders before a registration ends (e.g. 60, 30 and 7 days), idempotent and catching up.

For a member whose registration ends in ``d`` days, the *due threshold* is the smallest configured
threshold ``T >= d``. A reminder is sent when no reminder at a threshold ``<= T`` was recorded for that
expiry date. So:

* running the job twice sends nothing the second time (the reminder is recorded in ``reminder_sent``,
  whose unique constraint also stops two racing jobs);
* after days off, the member gets one reminder (the most urgent due one), not one per missed threshold;
* a renewal moves ``expires_on`` and starts a new cycle.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from gateway import audit
from gateway.alerts.settings import TextSettings
from gateway.campaigns.daytime import end_of_local_day
from gateway.campaigns.models import Campaign, CampaignKind, ReminderSent
from gateway.campaigns.texts import reminder_text
from gateway.dispatch.hours import DaytimeWindow
from gateway.outbox.models import Priority
from gateway.outbox.store import Outbox
from gateway.outbox.types import NewMessage
from gateway.registry.models import Member, MemberPhone, MemberStatus


@dataclass(frozen=True, slots=True)
class ReminderReport:
    members: int
    messages: int
    campaign_id: int | None


def due_threshold(days_left: int, thresholds: Sequence[int]) -> int | None:
    """The most urgent threshold reached ``days_left`` days before expiry, or None (too early, or expired)."""
    if days_left < 0:
        return None
    reached = [t for t in thresholds if t >= days_left]
    return min(reached) if reached else None


def send_due_reminders(
    session: Session,
    outbox: Outbox,
    *,
    now: datetime,
    today: date,
    reminder_days: Sequence[int],
    hours: DaytimeWindow,
    text_settings: TextSettings,
    actor: str = "system",
) -> ReminderReport:
    """Enqueue every due reminder at reminder priority and record them; flushes, the caller commits. Active
    members only; numbers withdrawn by STOP get nothing.

    Rows carry no ``not_before``: the workers hold reminders outside the daytime window ``hours`` at the moment
    they claim, so a window changed by a reload applies to reminders already queued. ``hours`` here only skips a
    reminder whose expiry day ends before the next daytime start (it could never go)."""
    if not reminder_days:
        return ReminderReport(0, 0, None)
    horizon = today + timedelta(days=max(reminder_days))
    candidates = session.execute(
        select(Member.id, Member.name, Member.expires_on)
        .where(Member.status == MemberStatus.ACTIVE, Member.expires_on >= today, Member.expires_on <= horizon)
        .order_by(Member.id)
    ).all()
    sent = {
        (member_id, expires_on): smallest
        for member_id, expires_on, smallest in session.execute(
            select(ReminderSent.member_id, ReminderSent.expires_on, func.min(ReminderSent.threshold_days))
            .where(ReminderSent.expires_on >= today)
            .group_by(ReminderSent.member_id, ReminderSent.expires_on)
        )
    }
    due: list[tuple[int, str, date, int]] = []
    for member_id, name, expires_on in candidates:
        threshold = due_threshold((expires_on - today).days, reminder_days)
        previous = sent.get((member_id, expires_on))
        if threshold is not None and (previous is None or previous > threshold):
            due.append((member_id, name, expires_on, threshold))
    if not due:
        return ReminderReport(0, 0, None)
    numbers: dict[int, list[str]] = {}
    ids = [d[0] for d in due]
    for start in range(0, len(ids), 500):
        for member_id, e164 in session.execute(
            select(MemberPhone.member_id, MemberPhone.e164)
            .where(MemberPhone.member_id.in_(ids[start : start + 500]), MemberPhone.withdrawn_at.is_(None))
            .order_by(MemberPhone.member_id, MemberPhone.position)
        ):
            numbers.setdefault(member_id, []).append(e164)
    campaign = Campaign(
        kind=CampaignKind.REMINDER, created_at=now, actor=actor, text="reminder", members_count=0, messages_count=0
    )
    session.add(campaign)
    session.flush()
    next_daytime = hours.next_daytime_start(now)
    messages: list[NewMessage] = []
    records = []
    for member_id, name, expires_on, threshold in due:
        member_numbers = numbers.get(member_id, [])
        if not member_numbers:
            continue
        text = reminder_text(name, expires_on, text_settings)
        # Past its expiry day the reminder would be wrong; the outbox lets it die instead.
        expires_at = end_of_local_day(expires_on, hours)
        if expires_at <= next_daytime:
            continue
        messages.extend(
            NewMessage(
                recipient=e164,
                text=text,
                priority=Priority.REMINDER,
                expires_at=expires_at,
                campaign_id=campaign.id,
            )
            for e164 in member_numbers
        )
        records.append(
            {
                "member_id": member_id,
                "expires_on": expires_on,
                "threshold_days": threshold,
                "sent_at": now,
                "campaign_id": campaign.id,
                "numbers": len(member_numbers),
            }
        )
    if records:
        session.execute(insert(ReminderSent), records)
        outbox.enqueue(session, messages, now)
    campaign.members_count, campaign.messages_count = len(records), len(messages)
    audit.record(
        session,
        actor,
        "campaign.reminders",
        f"campaign:{campaign.id}",
        len(messages),
        {"members": len(records), "day": today.isoformat()},
        now=now,
    )
    session.flush()
    return ReminderReport(len(records), len(messages), campaign.id)
