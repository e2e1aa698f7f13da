"""Everything that differs between SQLite and PostgreSQL lives here, and only here.

SQLite (the default, one station): one writer at a time. Every write transaction starts with
``BEGIN IMMEDIATE`` so it takes the write lock up front; a claim's SELECT and UPDATE then run under that
lock, which makes them atomic across threads *and* processes. PostgreSQL (several stations): row locks,
``FOR UPDATE SKIP LOCKED`` lets concurrent workers claim different rows without waiting on each other.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError

from gateway.storage.errors import StorageBusyError, StorageError, StorageFullError, StorageUnavailableError

# Set on a connection or session bind (``execution_options(sqlite_begin="DEFERRED")``) for read-only work,
# so that readers do not queue behind the write lock.
BEGIN_OPTION = "sqlite_begin"
_BEGIN_MODES = frozenset({"DEFERRED", "IMMEDIATE", "EXCLUSIVE"})

SQLITE_RETURNING = sqlite3.sqlite_version_info >= (3, 35, 0)


def sqlite_connect_pragmas(busy_timeout_ms: int) -> list[str]:
    """PRAGMAs run on every new SQLite connection.

    WAL lets readers work beside the writer; ``synchronous=FULL`` fsyncs each commit so that a committed
    message survives a power cut (NORMAL could lose the last commits, which would break "nothing accepted
    is lost").
    """
    return [
        "PRAGMA journal_mode=WAL",
        "PRAGMA synchronous=FULL",
        "PRAGMA foreign_keys=ON",
        f"PRAGMA busy_timeout={int(busy_timeout_ms)}",
    ]


def sqlite_begin_statement(mode: object) -> str:
    """The BEGIN statement for a transaction; IMMEDIATE unless a caller asked for a read-only DEFERRED one."""
    text = str(mode or "IMMEDIATE").upper()
    if text not in _BEGIN_MODES:
        raise ValueError(f"unknown SQLite BEGIN mode {mode!r}")
    return f"BEGIN {text}"


def lock_for_claim(stmt: Select[Any], dialect: Dialect) -> Select[Any]:
    """Make the candidate SELECT (one ``id`` column) of a claim safe against concurrent claimers.

    PostgreSQL: lock the chosen rows and skip rows another worker holds, inside a MATERIALIZED CTE: as a
    plain ``IN (SELECT ... LIMIT n FOR UPDATE SKIP LOCKED)`` the planner may run the subquery more than
    once and the UPDATE then takes more than ``n`` rows (seen in this project's tests).
    SQLite: nothing to add, the transaction already holds the database's write lock (BEGIN IMMEDIATE).
    """
    if dialect.name == "postgresql":
        candidates = stmt.with_for_update(skip_locked=True).cte("claim_candidates").prefix_with("MATERIALIZED")
        return select(candidates.c[0])
    return stmt


def supports_update_returning(dialect: Dialect) -> bool:
    """Whether ``UPDATE ... RETURNING`` can be used (SQLite gained it in 3.35)."""
    if dialect.name == "sqlite":
        return SQLITE_RETURNING and bool(dialect.update_returning)
    return bool(dialect.update_returning)


def translate_error(exc: DBAPIError, dialect_name: str) -> StorageError | None:
    """Turn a driver error an operator can act on into our own type; None leaves it alone."""
    message = str(exc.orig).lower() if exc.orig is not None else str(exc).lower()
    if dialect_name == "sqlite":
        if "database or disk is full" in message:
            return StorageFullError(
                "la base ou son disque est plein : libérez de la place sur le disque de la base (anciens journaux, "
                "sauvegardes) ; les messages en file sont en sécurité"
            )
        if "unable to open database file" in message or "readonly database" in message:
            return StorageUnavailableError(
                "impossible d'écrire le fichier de la base SQLite : vérifiez que son répertoire existe et que "
                "l'utilisateur du service peut y écrire (voir systemd/vigicommerce.tmpfiles.conf)"
            )
        if "database is locked" in message:
            return StorageBusyError("la base SQLite est restée verrouillée trop longtemps par un autre programme")
    elif dialect_name == "postgresql":
        if "no space left on device" in message or "could not extend file" in message:
            return StorageFullError("le disque du serveur PostgreSQL est plein : libérez de la place sur le serveur")
        if "connection refused" in message or "could not connect" in message:
            return StorageUnavailableError(
                "connexion à PostgreSQL impossible : vérifiez que le serveur tourne et [database] url"
            )
    return None


def insert_or_ignore(dialect: Dialect, table: Any, values: dict[str, Any]) -> Any:
    """INSERT that does nothing when the primary key exists (``ON CONFLICT DO NOTHING``)."""
    return _insert(dialect, table).values(**values).on_conflict_do_nothing()


def insert_or_add(dialect: Dialect, table: Any, values: dict[str, Any], key: list[str], column: str) -> Any:
    """INSERT, or add ``values[column]`` to the existing row's ``column`` (an atomic counter)."""
    stmt = _insert(dialect, table).values(**values)
    return stmt.on_conflict_do_update(
        index_elements=key, set_={column: getattr(table.c, column) + stmt.excluded[column]}
    )


def _insert(dialect: Dialect, table: Any) -> Any:
    if dialect.name == "sqlite":
        return sqlite_insert(table)
    if dialect.name == "postgresql":
        return pg_insert(table)
    raise NotImplementedError(f"no upsert for database {dialect.name!r}")
