"""Writing and reading the audit log. There is deliberately no update or delete function."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.audit.models import AuditEntry


class AuditError(Exception):
    """Root of the audit package's errors (e.g. a missing actor)."""


def record(  # noqa: PLR0917 - the positional signature every domain already calls
    session: Session,
    actor: str,
    action: str,
    subject: str,
    count: int = 0,
    details: Mapping[str, Any] | None = None,
    *,
    now: datetime | None = None,
) -> AuditEntry:
    """Add one audit row to ``session``; it is committed with the caller's transaction.

    Being in the same transaction is the point: an import that rolls back leaves no audit row claiming
    it happened, and a committed import always has its row. ``now`` defaults to the current UTC time.
    """
    if not actor.strip():
        raise AuditError("an audit entry needs an actor (who did it)")
    if not action.strip():
        raise AuditError("an audit entry needs an action")
    entry = AuditEntry(
        at=now if now is not None else datetime.now(UTC),
        actor=actor,
        action=action,
        subject=subject,
        count=count,
        details=dict(details or {}),
    )
    session.add(entry)
    return entry


def entries(
    session: Session, *, action: str | None = None, subject: str | None = None, limit: int = 1000
) -> Sequence[AuditEntry]:
    """Audit rows, oldest first, optionally filtered by action and subject."""
    query = select(AuditEntry).order_by(AuditEntry.id)
    if action is not None:
        query = query.where(AuditEntry.action == action)
    if subject is not None:
        query = query.where(AuditEntry.subject == subject)
    return session.scalars(query.limit(limit)).all()
