"""What operators read about a member: statuses and number states in French, and whether alerts reach it.

``receives_alerts`` is the targeting rule (:func:`gateway.registry.targeting.eligible`) for one member, so that
``members show`` never says "reçoit les alertes" to a member the next alert would skip.
"""

from __future__ import annotations

from datetime import date, datetime

from gateway.registry.models import MemberStatus

STATUS_LABELS: dict[MemberStatus, str] = {
    MemberStatus.ACTIVE: "actif",
    MemberStatus.EXPIRED: "expiré",
    MemberStatus.SUSPENDED: "suspendu",
    MemberStatus.WITHDRAWN: "retiré",
}
LABEL_STATUSES = {label: status for status, label in STATUS_LABELS.items()}


def receives_alerts(status: MemberStatus, expires_on: date, today: date) -> bool:
    """True when an alert sent today reaches this member's numbers that were not withdrawn."""
    return status is MemberStatus.ACTIVE and expires_on >= today


def why_not(status: MemberStatus, expires_on: date, today: date) -> str:
    """Why a member gets no alerts, in French ("" when it does)."""
    if status is MemberStatus.WITHDRAWN:
        return "retiré du dispositif"
    if status is MemberStatus.SUSPENDED:
        return "suspendu"
    if status is MemberStatus.EXPIRED or expires_on < today:
        return f"inscription expirée le {expires_on:%d/%m/%Y}"
    return ""


def day(value: date) -> str:
    """A date as operators write it."""
    return f"{value:%d/%m/%Y}"


def phone_state(withdrawn_at: datetime | None, member_reason: str, local: str = "") -> str:
    """One number's state in French: ``reçoit les alertes``, ``retiré le …`` (STOP or withdrawal), or why its
    member gets none. ``local`` is the withdrawal time as the operator reads it (defaults to its date)."""
    if withdrawn_at is not None:
        return f"retiré le {local or day(withdrawn_at.date())}"
    if member_reason:
        return f"ne reçoit pas les alertes ({member_reason})"
    return "reçoit les alertes"
