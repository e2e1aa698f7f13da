"""Alembic revisions build exactly the schema the models describe."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from gateway.storage import migrate
from gateway.storage.db import make_engine
from gateway.storage.tables import metadata


def test_upgrade_on_empty_file_matches_the_models(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/fresh.db"
    assert migrate.current(url) is None
    assert migrate.needs_upgrade(url)
    migrate.upgrade(url)
    assert migrate.current(url) == migrate.head()
    assert not migrate.needs_upgrade(url)
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            diff = compare_metadata(context, metadata)
    finally:
        engine.dispose()
    assert diff == [], f"migrations and models differ: {diff}"


def test_first_revision_is_0001_outbox_and_downgrades_cleanly(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/down.db"
    migrate.upgrade(url, "0001_outbox")
    assert migrate.current(url) == "0001_outbox"
    engine = make_engine(url)
    try:
        config = migrate.alembic_config(engine)
        with engine.connect() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "base")
            connection.commit()
        with engine.connect() as connection:
            tables = {row[0] for row in connection.exec_driver_sql("SELECT name FROM sqlite_master WHERE type='table'")}
        assert tables <= {"alembic_version"}
    finally:
        engine.dispose()
    migrate.upgrade(url)
    assert migrate.current(url) == migrate.head()
