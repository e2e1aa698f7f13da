"""Engines and sessions: a durable SQLite file by default, PostgreSQL (psycopg 3) when configured.

``make_engine`` is the only place that creates an engine, so every process gets the same durability
settings. Dialect-specific SQL is in ``gateway.storage.dialect``.

The SQLite file holds the members' register: it is created readable by its owner only (0600, and SQLite gives its
-wal and -shm files the same mode), in a directory created 0700 (``create_directory``), whatever the umask.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, ExceptionContext, make_url
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

from gateway.redact import mask_passwords
from gateway.storage import dialect
from gateway.storage.errors import StorageError, StorageUnavailableError

DEFAULT_BUSY_TIMEOUT_MS = 15_000


def make_engine(url: str, *, busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS, echo: bool = False) -> Engine:
    """Create the engine for ``url`` (``sqlite:////var/lib/vigicommerce/gateway.db``, ``postgresql+psycopg://…``).

    SQLite: checks that the file's directory exists and is writable (raises ``StorageUnavailableError`` with
    the fix), creates a missing file 0600, WAL, ``synchronous=FULL``, foreign keys, a busy timeout, and
    ``BEGIN IMMEDIATE`` for every transaction unless the bind carries ``execution_options(sqlite_begin="DEFERRED")``.
    Driver errors an operator can fix (disk full, file not writable) are raised as ``StorageError``s.
    """
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StorageUnavailableError(
            f"adresse de base de données illisible « {mask_passwords(url)} » : écrivez sqlite:////chemin/gateway.db "
            "ou postgresql+psycopg://utilisateur:motdepasse@serveur/base dans [database] url"
        ) from exc
    backend = parsed.get_backend_name()
    kwargs: dict[str, Any] = {"echo": echo}
    if backend == "sqlite":
        _check_sqlite_path(parsed.database)
    elif backend == "postgresql":
        if parsed.drivername == "postgresql":
            # psycopg 3, not the legacy psycopg2 default.
            parsed = parsed.set(drivername="postgresql+psycopg")
        kwargs["pool_pre_ping"] = True
    engine = create_engine(parsed, **kwargs)
    if backend == "sqlite":
        _install_sqlite_events(engine, busy_timeout_ms)
    _install_error_translation(engine)
    return engine


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions bound to ``engine``; objects stay readable after commit (no lazy reload across threads)."""
    return sessionmaker(bind=engine, expire_on_commit=False)


def free_bytes(engine: Engine) -> int | None:
    """Free space on the filesystem of a SQLite database file (None for a server or an in-memory database).

    A full disk refuses every commit; monitoring should hear of it before that, through ``/healthz``.
    """
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:" or database.startswith("file:"):
        return None
    try:
        stats = os.statvfs(Path(database).resolve().parent)
    except OSError:
        return None
    return stats.f_bavail * stats.f_frsize


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL (None for a server, an in-memory database or an unreadable URL)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return None
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def create_directory(url: str) -> None:
    """Create the directory of a SQLite database when it is missing, private to this user (0700). An existing
    directory is left as it is (``/var/lib/vigicommerce`` comes from systemd-tmpfiles, 0750)."""
    path = sqlite_file(url)
    if path is None or path.parent.is_dir():
        return
    try:
        path.parent.mkdir(mode=0o700, parents=True)
        path.parent.chmod(0o700)  # mkdir's mode passes through the umask; this one must not
    except OSError as exc:
        raise StorageUnavailableError(
            f"impossible de créer le répertoire de la base {path.parent} ({exc.strerror}) : créez-le pour "
            "l'utilisateur du service ou corrigez [database] url"
        ) from exc


def _check_sqlite_path(database: str | None) -> None:
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise StorageUnavailableError(
            f"le répertoire de la base {path} n'existe pas : créez {directory} (systemd-tmpfiles le fait pour "
            "/var/lib/vigicommerce ; « vigicommerce db upgrade » aussi) ou corrigez [database] url"
        )
    if path.exists() and not os.access(path, os.R_OK | os.W_OK):
        raise StorageUnavailableError(
            f"le fichier de la base {path} n'est pas lisible et modifiable par cet utilisateur : lancez la "
            "commande en tant qu'utilisateur du service (sudo -u vigicommerce …)"
        )
    if not os.access(directory, os.W_OK | os.X_OK):
        # SQLite creates the -wal and -shm files beside the database: the directory must be writable too.
        raise StorageUnavailableError(
            f"le répertoire {directory} n'est pas modifiable par cet utilisateur ; SQLite en a besoin pour la base "
            "et ses fichiers -wal et -shm"
        )
    if not path.exists():
        _create_private(path)


def _create_private(path: Path) -> None:
    """An empty database file, 0600 whatever the umask (SQLite would create it 0644 on first connect)."""
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:  # another process was first: its file, its mode
        return
    try:
        os.fchmod(fd, 0o600)
    finally:
        os.close(fd)


def _install_sqlite_events(engine: Engine, busy_timeout_ms: int) -> None:
    # The SQLAlchemy-documented recipe for SQLite transactions: stop pysqlite from issuing its own
    # (deferred, late) BEGIN and emit ours at the start of every transaction.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            for pragma in dialect.sqlite_connect_pragmas(busy_timeout_ms):
                cursor.execute(pragma)
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get(dialect.BEGIN_OPTION)
        conn.exec_driver_sql(dialect.sqlite_begin_statement(mode))


def _install_error_translation(engine: Engine) -> None:
    name = engine.dialect.name

    @event.listens_for(engine, "handle_error")
    def _on_error(context: ExceptionContext) -> None:
        original = context.sqlalchemy_exception
        if isinstance(original, DBAPIError):
            translated = dialect.translate_error(original, name)
            if translated is not None:
                raise translated from context.original_exception


__all__ = ["StorageError", "create_directory", "free_bytes", "make_engine", "session_factory", "sqlite_file"]
