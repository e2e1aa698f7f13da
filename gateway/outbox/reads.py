"""Read-only queries on the outbox, for the dispatcher's sleep, the API, the CLI and tests.

They run in DEFERRED transactions on SQLite so that they never wait for the write lock (WAL readers).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from sqlalchemy import case, func, or_, select
from sqlalchemy.engine import Engine
from sqlalchemy.sql.elements import ColumnElement

from gateway.outbox.models import OutboxMessage, Priority
from gateway.outbox.states import MessageState
from gateway.outbox.types import MessageView
from gateway.storage import dialect
from gateway.storage.db import session_factory

M = OutboxMessage
S = MessageState


class OutboxReader:
    """Queries that change nothing; ``Outbox`` extends it with the state changes."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._read_sessions = session_factory(engine.execution_options(**{dialect.BEGIN_OPTION: "DEFERRED"}))

    def get(self, message_id: int) -> MessageView | None:
        with self._read_sessions.begin() as session:
            row = session.get(M, message_id)
            return None if row is None else _view(row)

    def counts(self) -> dict[tuple[MessageState, Priority], int]:
        """Number of rows per (state, priority); absent pairs are zero."""
        with self._read_sessions.begin() as session:
            rows = session.execute(select(M.state, M.priority, func.count()).group_by(M.state, M.priority))
            return {(state, priority): int(n) for state, priority, n in rows}

    def oldest_queued_age(self, now: datetime) -> timedelta | None:
        """Age of the oldest queued row that is due now (a reminder waiting for daytime does not count)."""
        with self._read_sessions.begin() as session:
            oldest = session.scalar(select(func.min(M.created_at)).where(*due_conditions(now)))
        return None if oldest is None else now - _aware(oldest)

    def count_due(self, now: datetime, priorities: Iterable[Priority] | None = None, cap: int = 1000) -> int:
        """Queued rows that may be claimed now, counted up to ``cap`` (the cost stays bounded on a long queue)."""
        query = select(M.id).where(*due_conditions(now))
        if priorities is not None:
            query = query.where(M.priority.in_(list(priorities)))
        with self._read_sessions.begin() as session:
            return int(session.scalar(select(func.count()).select_from(query.limit(cap).subquery())) or 0)

    def alerts_completed(
        self, since: datetime, now: datetime, window: timedelta = timedelta(days=1)
    ) -> dict[int, timedelta]:
        """Alerts dropped within ``window`` before ``now`` with nothing left to send, whose last SMS a modem
        accepted after ``since``: id → time from the drop (the fan-out's commit) to that last acceptance."""
        pending = func.sum(case((M.state.in_([S.QUEUED, S.SENDING]), 1), else_=0))
        query = (
            select(M.alert_id, func.min(M.created_at), func.max(M.sent_at))
            .where(M.alert_id.is_not(None), M.created_at >= now - window)
            .group_by(M.alert_id)
            .having(pending == 0, func.max(M.sent_at) >= since)
        )
        with self._read_sessions.begin() as session:
            rows = session.execute(query).all()
        # alert_id and sent_at are not NULL here (WHERE, HAVING); the types cannot say so.
        return {int(alert_id or 0): _aware(last or first) - _aware(first) for alert_id, first, last in rows}

    def next_due(self, now: datetime) -> datetime | None:
        """Earliest future moment a queued row becomes due (retry or not_before), for the dispatcher's sleep."""
        with self._read_sessions.begin() as session:
            times = [
                session.scalar(select(func.min(col)).where(M.state == S.QUEUED, col > now))
                for col in (M.next_attempt_at, M.not_before)
            ]
        found = [_aware(t) for t in times if t is not None]
        return min(found) if found else None


def due_conditions(now: datetime) -> list[ColumnElement[bool]]:
    """WHERE clauses of a queued row that may be claimed at ``now``."""
    return [
        M.state == S.QUEUED,
        or_(M.not_before.is_(None), M.not_before <= now),
        or_(M.next_attempt_at.is_(None), M.next_attempt_at <= now),
        or_(M.expires_at.is_(None), M.expires_at > now),
    ]


def _aware(value: datetime) -> datetime:
    # Aggregates (MIN) bypass the column type on SQLite and come back as naive UTC text.
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _view(row: OutboxMessage) -> MessageView:
    return MessageView(**{field: getattr(row, field) for field in MessageView.__dataclass_fields__})
