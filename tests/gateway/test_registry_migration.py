"""Revision 0002_registry: creates the register and an audit log that the database keeps append-only."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect, text
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session

from gateway.audit import record
from gateway.storage import migrate
from gateway.storage.db import make_engine

REGISTRY_TABLES = {
    "audit_log",
    "registry_zone",
    "registry_street",
    "registry_category",
    "registry_member",
    "registry_member_phone",
}


def test_upgrade_creates_tables_and_append_only_triggers(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/m.db"
    migrate.upgrade(url)
    engine = make_engine(url)
    try:
        assert set(inspect(engine).get_table_names()) >= REGISTRY_TABLES
        with Session(engine) as session:
            record(session, "op", "member.renew", "member:1", 1, now=datetime(2026, 11, 27, tzinfo=UTC))
            session.commit()
            with pytest.raises(DatabaseError, match="append-only"):
                session.execute(text("DELETE FROM audit_log"))
            session.rollback()
            with pytest.raises(DatabaseError, match="ck_registry_member_member_status"):
                session.execute(
                    text(
                        "INSERT INTO registry_member (siren, name, category_id, address, zone_id, contact, "
                        "registered_on, expires_on, status, created_at, updated_at) VALUES ('1', 'n', 'c', '', 'z', "
                        "'', '2026-01-01', '2029-01-01', 'bogus', '2026-01-01', '2026-01-01')"
                    )
                )
    finally:
        engine.dispose()


def test_downgrade_to_0001_removes_the_register(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/d.db"
    migrate.upgrade(url)
    engine = make_engine(url)
    try:
        config = migrate.alembic_config(engine)
        with engine.connect() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0001_outbox")
            connection.commit()
        assert not REGISTRY_TABLES & set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert migrate.current(url) == "0001_outbox"
    migrate.upgrade(url)
    assert migrate.current(url) == migrate.head()
