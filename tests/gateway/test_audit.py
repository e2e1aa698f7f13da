"""The audit log: rows are recorded with the caller's transaction and can never be changed or removed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import delete, text, update
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session

import gateway.audit
from gateway.audit import AuditEntry, AuditError, entries, record
from gateway.storage.base import Base
from gateway.storage.db import make_engine

NOW = datetime(2026, 11, 27, 14, 30, tzinfo=UTC)


@pytest.fixture
def session(database_url: str) -> Iterator[Session]:
    engine = make_engine(database_url)
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        yield s
    engine.dispose()


def test_record_writes_who_when_what_how_many(session: Session) -> None:
    record(session, "op.durand", "registry.import", "file:members.csv", 12, {"created": 12}, now=NOW)
    session.commit()
    (entry,) = entries(session)
    assert (entry.actor, entry.action, entry.subject, entry.count) == (
        "op.durand",
        "registry.import",
        "file:members.csv",
        12,
    )
    assert entry.details == {"created": 12}
    assert entry.at == NOW


def test_record_defaults_to_the_current_utc_time(session: Session) -> None:
    before = datetime.now(UTC)
    entry = record(session, "system", "member.expire", "date:2026-11-27")
    session.commit()
    assert before <= entry.at <= datetime.now(UTC)


def test_rolled_back_work_leaves_no_audit_row(session: Session) -> None:
    record(session, "op", "member.renew", "member:246341275", 1, now=NOW)
    session.rollback()
    assert entries(session) == []


def test_actor_and_action_are_required(session: Session) -> None:
    with pytest.raises(AuditError, match="actor"):
        record(session, " ", "member.renew", "x", now=NOW)
    with pytest.raises(AuditError, match="action"):
        record(session, "op", "", "x", now=NOW)


def test_filters_by_action_and_subject(session: Session) -> None:
    record(session, "op", "member.renew", "member:1", 1, now=NOW)
    record(session, "op", "member.withdraw", "member:1", 1, now=NOW)
    record(session, "op", "member.renew", "member:2", 1, now=NOW)
    session.commit()
    assert [e.subject for e in entries(session, action="member.renew")] == ["member:1", "member:2"]
    assert [e.action for e in entries(session, subject="member:1")] == ["member.renew", "member.withdraw"]


def test_the_database_refuses_update_and_delete(session: Session) -> None:
    record(session, "op", "member.renew", "member:1", 1, now=NOW)
    session.commit()
    with pytest.raises(DatabaseError, match="append-only"):
        session.execute(update(AuditEntry).values(actor="someone else"))
    session.rollback()
    with pytest.raises(DatabaseError, match="append-only"):
        session.execute(delete(AuditEntry))
    session.rollback()
    with pytest.raises(DatabaseError, match="append-only"):
        session.execute(text("UPDATE audit_log SET count = 0"))
    session.rollback()
    assert [e.actor for e in entries(session)] == ["op"]


def test_the_package_offers_no_update_or_delete() -> None:
    public = {name for name in dir(gateway.audit) if not name.startswith("_")}
    assert not {n for n in public if any(w in n for w in ("update", "delete", "remove", "purge", "edit"))}
