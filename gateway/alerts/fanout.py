"""Preview and send an alert. Sending is one transaction: the alert, its recipients, one outbox row per
distinct number at alert priority, and the audit row are committed together or not at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gateway import audit
from gateway.alerts.compose import compose
from gateway.alerts.errors import IdempotencyConflictError, NoRecipientsError
from gateway.alerts.models import Alert, AlertRecipient
from gateway.alerts.recipients import check_request, resolve
from gateway.alerts.settings import TextSettings
from gateway.alerts.types import AlertRequest, AlertResult, Preview
from gateway.outbox.models import OutboxMessage, Priority
from gateway.outbox.store import Outbox
from gateway.outbox.types import NewMessage

CHUNK = 2000


def preview_alert(
    session: Session,
    request: AlertRequest,
    *,
    today: date,
    text_settings: TextSettings,
    operator_numbers: Sequence[str] = (),
) -> Preview:
    """What :func:`create_alert` would send today: members, numbers, segments, encoding, exact text.

    Writes nothing. Raises the same errors as sending would (text too long, unknown zone ...).
    """
    text = compose(request.text_fr, request.text_en, status=request.status, settings=text_settings)
    original = check_request(session, request)
    resolved = resolve(session, request, original, today=today, operator_numbers=operator_numbers)
    return Preview(
        members=resolved.members,
        numbers=len(resolved.numbers),
        segments=text.segments,
        encoding=text.encoding,
        text=text.text,
        length=text.length,
        ucs2_forced_by=text.ucs2_forced_by,
        folded=text.folded,
    )


def _existing(session: Session, key: str, fingerprint: str) -> AlertResult | None:
    alert = session.scalar(select(Alert).where(Alert.idempotency_key == key))
    if alert is None:
        return None
    if alert.request_hash != fingerprint:
        raise IdempotencyConflictError(key, alert.id)
    return AlertResult(alert.id, False, alert.members_count, alert.numbers_count, alert.segments, alert.text)


def create_alert(
    session: Session,
    outbox: Outbox,
    request: AlertRequest,
    *,
    now: datetime,
    today: date,
    text_settings: TextSettings,
    operator_numbers: Sequence[str] = (),
    idempotency_key: str | None = None,
    expires_after: timedelta | None = None,
) -> AlertResult:
    """Send an alert: fan it out to every distinct number of the target and commit.

    Returns after the commit, so an HTTP caller may acknowledge. With ``idempotency_key``: a key already
    used with the same request returns that alert (``created=False``) and sends nothing; with another
    request it raises :class:`IdempotencyConflictError`. A target that reaches nobody raises
    :class:`NoRecipientsError`. ``expires_after``: rows not sent by then end ``dead`` (None: never).
    The session must have no pending work of its own: it is committed or rolled back here.
    """
    fingerprint = request.fingerprint()
    if idempotency_key is not None:
        found = _existing(session, idempotency_key, fingerprint)
        if found is not None:
            session.rollback()
            return found
    text = compose(request.text_fr, request.text_en, status=request.status, settings=text_settings)
    original = check_request(session, request)
    resolved = resolve(session, request, original, today=today, operator_numbers=operator_numbers)
    if not resolved.numbers:
        session.rollback()
        raise NoRecipientsError("aucun destinataire : la cible ne contient aucun membre actif avec un numéro valide")
    target = request.target if original is None else None
    alert = Alert(
        text_fr=request.text_fr,
        text_en=request.text_en,
        text=text.text,
        encoding=text.encoding,
        segments=text.segments,
        status=request.status,
        msg_type=request.msg_type,
        references_id=request.references,
        target_zones=list(target.zones) if target else original.target_zones if original else [],
        target_streets=list(target.streets) if target else original.target_streets if original else [],
        target_categories=list(target.categories) if target else original.target_categories if original else [],
        whole_territory=target.whole_territory if target else bool(original and original.whole_territory),
        sender=request.sender,
        template=request.template,
        created_at=now,
        members_count=resolved.members,
        numbers_count=len(resolved.numbers),
        idempotency_key=idempotency_key,
        request_hash=fingerprint,
    )
    try:
        session.add(alert)
        session.flush()
        alert_id = alert.id
        expires_at = now + expires_after if expires_after is not None else None
        outbox.enqueue_many(
            session,
            [
                NewMessage(
                    recipient=n,
                    text=text.text,
                    priority=Priority.ALERT,
                    alert_id=alert_id,
                    expires_at=expires_at,
                    rank=resolved.ranks.get(n, 0),
                )
                for n in resolved.numbers
            ],
            now,
        )
        query = select(OutboxMessage.recipient, OutboxMessage.id).where(OutboxMessage.alert_id == alert_id)
        ids: dict[str, int] = {recipient: message_id for recipient, message_id in session.execute(query)}
        rows = [
            {"alert_id": alert_id, "e164": n, "message_id": ids[n], "member_ids": list(resolved.member_ids.get(n, ()))}
            for n in resolved.numbers
        ]
        for start in range(0, len(rows), CHUNK):
            session.execute(insert(AlertRecipient), rows[start : start + CHUNK])
        audit.record(
            session,
            request.sender,
            f"alert.{request.msg_type.value}",
            f"alert:{alert_id}",
            len(resolved.numbers),
            {
                "status": request.status.value,
                "members": resolved.members,
                "segments": text.segments,
                "references": request.references,
                "zones": alert.target_zones,
                "streets": alert.target_streets,
                "categories": alert.target_categories,
                "whole_territory": alert.whole_territory,
            },
            now=now,
        )
        session.commit()
    except IntegrityError:
        # Two requests with the same key raced (PostgreSQL: the unique index decides); the loser returns
        # the winner's alert, or the conflict error.
        session.rollback()
        if idempotency_key is None:
            raise
        found = _existing(session, idempotency_key, fingerprint)
        if found is None:
            raise
        session.rollback()
        return found
    except BaseException:
        session.rollback()
        raise
    return AlertResult(alert_id, True, resolved.members, len(resolved.numbers), text.segments, text.text)
