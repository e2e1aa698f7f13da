"""Resolving who an alert goes to, and checking an alert request against the alert it refers to.

* actual and exercise alerts: the register's targeting (active, unexpired members, numbers not withdrawn);
* test alerts: the operators' own numbers only, never a member;
* updates and cancels: the numbers the referenced alert went to, minus those no longer allowed today.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.alerts.errors import AlertNotFoundError, InvalidAlertError
from gateway.alerts.models import Alert, AlertRecipient, AlertStatus, AlertType
from gateway.alerts.types import AlertRequest
from gateway.outbox.models import OutboxMessage
from gateway.registry.models import Member, MemberPhone
from gateway.registry.targeting import eligible, recipients

CHUNK = 500


@dataclass(frozen=True, slots=True)
class Resolved:
    """Distinct numbers (sorted) and how many members they stand for; per number, its rank (nearest first: see
    ``gateway.registry.targeting``; absent means 0) and the member ids it stands for."""

    numbers: list[str]
    members: int
    ranks: Mapping[str, int] = field(default_factory=dict)
    member_ids: Mapping[str, tuple[int, ...]] = field(default_factory=dict)


def check_request(session: Session, request: AlertRequest) -> Alert | None:
    """Validate the msg_type / references pair; returns the referenced alert, if any."""
    if not request.sender.strip():
        raise InvalidAlertError("expéditeur manquant ; indiquez l'opérateur qui envoie l'alerte")
    if request.msg_type is AlertType.ALERT:
        if request.references is not None:
            raise InvalidAlertError(
                "une alerte initiale ne fait référence à aucune autre ; choisissez « mise à jour » ou « fin d'alerte »"
            )
        return None
    if request.references is None:
        raise InvalidAlertError("une mise à jour ou une fin d'alerte doit indiquer le numéro de l'alerte d'origine")
    original = session.get(Alert, request.references)
    if original is None:
        raise AlertNotFoundError(request.references)
    if original.msg_type is AlertType.CANCEL:
        raise InvalidAlertError(
            f"l'alerte n° {original.id} est une fin d'alerte ; faites référence à l'alerte d'origine"
        )
    if original.status is not request.status:
        raise InvalidAlertError(
            f"l'alerte n° {original.id} est de statut « {original.status.value} » ; sa mise à jour ou sa fin "
            "doit avoir le même statut"
        )
    return original


def eligible_numbers(session: Session, numbers: Sequence[str], today: date) -> dict[str, set[int]]:
    """Among ``numbers``, those allowed to receive an alert today, with the member ids they stand for.

    Uses the register's own eligibility rule (``targeting.eligible``) so that invariant 2 lives in one place.
    """
    found: dict[str, set[int]] = {}
    for start in range(0, len(numbers), CHUNK):
        chunk = list(numbers[start : start + CHUNK])
        query = (
            select(MemberPhone.e164, MemberPhone.member_id)
            .join(Member, Member.id == MemberPhone.member_id)
            .where(*eligible(today), MemberPhone.e164.in_(chunk))
        )
        for e164, member_id in session.execute(query):
            found.setdefault(e164, set()).add(member_id)
    return found


def _distinct(numbers: Iterable[str]) -> list[str]:
    return sorted(set(numbers))


def resolve(
    session: Session,
    request: AlertRequest,
    original: Alert | None,
    *,
    today: date,
    operator_numbers: Sequence[str],
) -> Resolved:
    """The numbers ``request`` goes to today (see the module docstring)."""
    if original is not None:
        previous = list(session.scalars(select(AlertRecipient.e164).where(AlertRecipient.alert_id == original.id)))
        ranks = original_ranks(session, original.id)  # an update or an end of alert goes nearest first too
        if request.status is AlertStatus.TEST:
            allowed = set(operator_numbers)
            return Resolved(_distinct(n for n in previous if n in allowed), 0, ranks)
        eligible = eligible_numbers(session, previous, today)
        members = set().union(*eligible.values()) if eligible else set()
        ids = {n: tuple(sorted(found)) for n, found in eligible.items()}
        return Resolved(_distinct(eligible), len(members), ranks, ids)
    if request.status is AlertStatus.TEST:
        return Resolved(_distinct(operator_numbers), 0)
    target = request.target
    found = recipients(
        session,
        zones=target.zones,
        streets=target.streets,
        categories=target.categories,
        whole_territory=target.whole_territory,
        today=today,
    )
    members = {member_id for r in found for member_id in r.member_ids}
    return Resolved(
        [r.e164 for r in found], len(members), {r.e164: r.rank for r in found}, {r.e164: r.member_ids for r in found}
    )


def original_ranks(session: Session, alert_id: int) -> dict[str, int]:
    """The rank each number of ``alert_id`` was sent with."""
    query = select(OutboxMessage.recipient, OutboxMessage.rank).where(OutboxMessage.alert_id == alert_id)
    return {recipient: int(rank) for recipient, rank in session.execute(query)}
