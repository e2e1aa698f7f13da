"""Re-registration campaigns launched by the CCISM: one message per number of every member whose
registration ends within a chosen period, announcing the re-registration window."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway import audit
from gateway.alerts.compose import check_length, join_languages
from gateway.alerts.settings import TextSettings
from gateway.campaigns.errors import CampaignError
from gateway.campaigns.models import Campaign, CampaignKind
from gateway.campaigns.texts import reregistration_text
from gateway.outbox.models import Priority
from gateway.outbox.store import Outbox
from gateway.outbox.types import NewMessage
from gateway.registry.models import Member, MemberPhone, MemberStatus


@dataclass(frozen=True, slots=True)
class CampaignReport:
    campaign_id: int
    members: int
    messages: int
    text: str


def launch_reregistration(
    session: Session,
    outbox: Outbox,
    *,
    ends_from: date,
    ends_to: date,
    window_from: date,
    window_to: date,
    now: datetime,
    actor: str,
    text_settings: TextSettings,
    text_fr: str | None = None,
    text_en: str = "",
) -> CampaignReport:
    """Enqueue the announcement (reminder priority, daytime) to every distinct number, not withdrawn, of the
    members (active, expired or suspended; never withdrawn) whose ``expires_on`` is in
    ``[ends_from, ends_to]``; records the campaign and an audit row, and commits. The workers send reminder
    priority in the daytime window only, whatever the hour of the launch."""
    if ends_to < ends_from or window_to < window_from:
        raise CampaignError("période inversée : la date de début doit précéder la date de fin")
    if text_fr:
        joined = join_languages(text_fr.strip(), text_en.strip(), text_settings.template)
        text = check_length(joined, text_settings).text
    else:
        text = reregistration_text(window_from, window_to, text_settings)
    rows = session.execute(
        select(MemberPhone.e164, Member.id)
        .join(Member, Member.id == MemberPhone.member_id)
        .where(
            Member.expires_on >= ends_from,
            Member.expires_on <= ends_to,
            Member.status != MemberStatus.WITHDRAWN,
            MemberPhone.withdrawn_at.is_(None),
        )
    ).all()
    numbers = sorted({e164 for e164, _ in rows})
    members = len({member_id for _, member_id in rows})
    try:
        campaign = Campaign(
            kind=CampaignKind.REREGISTRATION,
            created_at=now,
            actor=actor,
            text=text,
            ends_from=ends_from,
            ends_to=ends_to,
            window_from=window_from,
            window_to=window_to,
            members_count=members,
            messages_count=len(numbers),
        )
        session.add(campaign)
        session.flush()
        outbox.enqueue(
            session,
            [NewMessage(recipient=n, text=text, priority=Priority.REMINDER, campaign_id=campaign.id) for n in numbers],
            now,
        )
        audit.record(
            session,
            actor,
            "campaign.reregistration",
            f"campaign:{campaign.id}",
            len(numbers),
            {
                "members": members,
                "ends_from": ends_from.isoformat(),
                "ends_to": ends_to.isoformat(),
                "window_from": window_from.isoformat(),
                "window_to": window_to.isoformat(),
            },
            now=now,
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return CampaignReport(campaign.id, members, len(numbers), text)
