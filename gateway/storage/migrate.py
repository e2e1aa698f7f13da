"""Schema migrations without an alembic.ini: ``upgrade``, ``current``, ``head``, ``needs_upgrade``.

The daemon calls ``needs_upgrade`` at start-up and either upgrades (``[database] auto_migrate``) or refuses
to start with ``MigrationRequiredError``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from gateway.storage.db import make_engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(engine: Engine | None = None) -> Config:
    """A programmatic Alembic configuration; callers put an open connection in ``attributes["connection"]``.

    No URL goes into the config: ConfigParser would choke on ``%`` in URL-encoded passwords or socket paths.
    """
    del engine  # kept in the signature for callers that think in engines
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def head() -> str:
    """The newest revision this program knows."""
    revision = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if revision is None:
        raise RuntimeError("no migration revision found in " + str(MIGRATIONS_DIR))
    return revision


def revisions() -> set[str]:
    """Every revision this program knows (a backup from a newer version has one that is not here)."""
    return {script.revision for script in ScriptDirectory.from_config(alembic_config()).walk_revisions()}


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at ``url`` to ``revision`` (creates the schema on an empty database)."""
    engine = make_engine(url)
    try:
        upgrade_engine(engine, revision)
    finally:
        engine.dispose()


def upgrade_engine(engine: Engine, revision: str = "head") -> None:
    """Like ``upgrade`` on an existing engine (tests, the daemon's start-up)."""
    _run(engine, lambda config: command.upgrade(config, revision))


def downgrade(url: str, revision: str) -> None:
    """Take the database at ``url`` back to ``revision`` (tests, and an operator undoing an upgrade)."""
    engine = make_engine(url)
    try:
        _run(engine, lambda config: command.downgrade(config, revision))
    finally:
        engine.dispose()


def _run(engine: Engine, step: Callable[[Config], None]) -> None:
    """Run a migration step in one transaction.

    On SQLite, foreign keys are off while it runs (SQLite's own procedure for schema changes): a revision
    that rebuilds a table drops the old one, which with foreign keys on would delete the rows that refer
    to it (a member's numbers). ``PRAGMA foreign_key_check`` then proves nothing dangles before the commit.
    """
    config = alembic_config(engine)
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as connection:
        if sqlite:
            # Outside any transaction, where SQLite honours it; the raw connection does not begin one.
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
        try:
            config.attributes["connection"] = connection
            step(config)
            if sqlite:
                dangling = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if dangling:
                    connection.rollback()
                    raise RuntimeError(f"migration left rows whose foreign key points nowhere: {dangling[:5]}")
            connection.commit()
        finally:
            if sqlite:
                connection.rollback()
                connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]


def current(url: str) -> str | None:
    """The database's revision, None for an empty database."""
    engine = make_engine(url)
    try:
        return current_engine(engine)
    finally:
        engine.dispose()


def current_engine(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def needs_upgrade(url: str) -> bool:
    """Whether the database is behind this program's schema."""
    return current(url) != head()
