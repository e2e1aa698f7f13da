"""Alembic environment: driven by ``gateway.storage.migrate``, which passes an open connection."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from gateway.storage.tables import metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite cannot ALTER most things in place: batch mode copies the table.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _main() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("run migrations through gateway.storage.migrate, which provides the connection")
    _run(connection)


_main()
