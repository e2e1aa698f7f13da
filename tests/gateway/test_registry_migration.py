"""Revision 0002_registry: creates the register and an audit log that the database keeps append-only."""

from __future__ import annotations

from datetime import UTC, date, datetime
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


def test_0006_turns_each_member_into_one_establishment_keeping_its_data(database_url: str) -> None:
    """A register at the previous head, with members, numbers (one withdrawn), reminders and audit rows,
    upgraded: every member is an establishment known by its SIREN, nothing lost, and a business can then
    register a second establishment."""
    from gateway.registry import members  # noqa: PLC0415
    from gateway.registry.fiction import siret_from  # noqa: PLC0415
    from gateway.registry.records import MemberInput  # noqa: PLC0415

    migrate.upgrade(database_url, "0005_inbox_fragments")
    engine = make_engine(database_url)
    stamp = "2026-01-01 10:00:00"
    try:
        with engine.begin() as c:
            c.execute(text("INSERT INTO registry_zone VALUES ('marigot', 'Marigot')"))
            c.execute(text("INSERT INTO registry_category VALUES ('hotel', 'Hôtel')"))
            for i, siren in enumerate(("246341275", "682734884"), start=1):
                c.execute(
                    text(
                        "INSERT INTO registry_member (siren, name, category_id, address, zone_id, contact, "
                        "registered_on, expires_on, status, created_at, updated_at) VALUES "
                        f"('{siren}', 'Shop {i}', 'hotel', '', 'marigot', 'c', '2025-01-10', '2028-01-10', "
                        f"'active', '{stamp}', '{stamp}')"
                    )
                )
                c.execute(
                    text(
                        "INSERT INTO registry_member_phone (member_id, e164, is_test, position, withdrawn_at) VALUES "
                        f"({i}, '+3363998000{i}', true, 0, NULL), ({i}, '+3363998001{i}', true, 1, "
                        f"{'NULL' if i == 1 else repr(stamp)})"
                    )
                )
            c.execute(
                text(
                    "INSERT INTO campaign (kind, created_at, actor, text, members_count, messages_count) "
                    f"VALUES ('reminder', '{stamp}', 'system', 'x', 1, 1)"
                )
            )
            c.execute(
                text(
                    "INSERT INTO reminder_sent (member_id, expires_on, threshold_days, sent_at, campaign_id, numbers) "
                    f"SELECT 1, '2028-01-10', 60, '{stamp}', id, 2 FROM campaign"
                )
            )
        with Session(engine) as session:
            record(session, "ccism", "member.renew", "member:246341275", 1, now=datetime(2026, 1, 1, tzinfo=UTC))
            session.commit()
    finally:
        engine.dispose()

    migrate.upgrade(database_url)
    assert migrate.current(database_url) == migrate.head()
    engine = make_engine(database_url)
    try:
        with engine.connect() as c:
            assert c.execute(text("SELECT id, siren, siret FROM registry_member ORDER BY id")).all() == [
                (1, "246341275", None),
                (2, "682734884", None),
            ]
            phones = c.execute(
                text("SELECT member_id, e164, withdrawn_at IS NULL FROM registry_member_phone ORDER BY id")
            ).all()
            assert [tuple(p) for p in phones] == [
                (1, "+33639980001", True),
                (1, "+33639980011", True),
                (2, "+33639980002", True),
                (2, "+33639980012", False),
            ]
            assert c.execute(text("SELECT member_id FROM reminder_sent")).scalars().all() == [1]
            assert c.execute(text("SELECT count(*) FROM audit_log")).scalar() == 1
        with Session(engine) as session:
            assert members.get_member(session, "246341275").name == "Shop 1"
            second = MemberInput(
                siren="",
                siret=siret_from("246341275", 2),
                name="Restaurant",
                category="hotel",
                zone="marigot",
                phones=["+33639980021"],
                registered_on=date(2025, 1, 10),
            )
            members.create_member(session, second, now=datetime(2026, 11, 27, tzinfo=UTC), actor="op")
            session.commit()
            # The SIREN still names the establishment without SIRET; the new one by its SIRET.
            assert members.get_member(session, "246341275").name == "Shop 1"
            assert members.get_member(session, siret_from("246341275", 2)).name == "Restaurant"
    finally:
        engine.dispose()


def test_0006_downgrades_while_each_business_has_one_establishment(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/down.db"
    migrate.upgrade(url)
    engine = make_engine(url)
    try:
        with engine.begin() as c:
            c.execute(text("INSERT INTO registry_zone VALUES ('marigot', 'Marigot')"))
            c.execute(text("INSERT INTO registry_category VALUES ('hotel', 'Hôtel')"))
            c.execute(
                text(
                    "INSERT INTO registry_member (id, siren, name, category_id, address, zone_id, contact, "
                    "registered_on, expires_on, status, created_at, updated_at) VALUES (1, '246341275', 'S', "
                    "'hotel', '', 'marigot', '', '2025-01-10', '2028-01-10', 'active', '2026-01-01', '2026-01-01')"
                )
            )
            c.execute(
                text("INSERT INTO registry_member_phone (member_id, e164, is_test, position) VALUES (1, '+1', 1, 0)")
            )
    finally:
        engine.dispose()
    migrate.downgrade(url, "0005_inbox_fragments")
    engine = make_engine(url)
    try:
        with engine.connect() as c:
            # Foreign keys were off while the table was rebuilt: the number is still there.
            assert c.execute(text("SELECT count(*) FROM registry_member_phone")).scalar() == 1
    finally:
        engine.dispose()
