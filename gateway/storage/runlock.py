"""Who uses the database: the daemon holds a lock for its whole life; a restore takes it exclusively.

SQLite: ``flock`` on ``<database>.daemon.lock`` beside the file (the kernel drops it when the process dies, even
by SIGKILL, so a crash never leaves a stale lock). PostgreSQL, which several stations may share: a session-level
advisory lock, shared by every daemon, exclusive for a restore.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Connection, make_url

from gateway.storage.db import create_directory, make_engine
from gateway.storage.errors import StorageError

# An arbitrary application-wide key for pg_advisory_lock (the bytes of "vigicomm").
ADVISORY_KEY = 0x76696769636F6D6D


class DatabaseInUseError(StorageError):
    """A daemon (or a restore) is using the database."""


def lock_path(database_url: str) -> Path | None:
    """The lock file beside a SQLite database; None for a server database or an in-memory one."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    db = Path(url.database).resolve()
    return db.with_name(db.name + ".daemon.lock")


@contextlib.contextmanager
def held(database_url: str, *, exclusive: bool) -> Iterator[None]:
    """Hold the database's lock: shared for a daemon, exclusive for a restore; raises ``DatabaseInUseError``
    at once (no waiting) when someone holds it in a conflicting mode."""
    path = lock_path(database_url)
    if path is not None:
        create_directory(database_url)  # private (0700) when it is new, as for the database itself
        with _file_lock(path, exclusive=exclusive):
            yield
        return
    if make_url(database_url).get_backend_name() != "postgresql":
        yield  # in-memory SQLite: only this process can see it
        return
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            _advisory_lock(connection, exclusive=exclusive)
            try:
                yield
            finally:
                unlock = "pg_advisory_unlock" if exclusive else "pg_advisory_unlock_shared"
                connection.execute(text(f"SELECT {unlock}(:k)"), {"k": ADVISORY_KEY})
                connection.commit()
    finally:
        engine.dispose()


@contextlib.contextmanager
def _file_lock(path: Path, *, exclusive: bool) -> Iterator[None]:
    fd = os.open(path, os.O_RDONLY | os.O_CREAT | os.O_CLOEXEC, 0o660)
    try:
        _give_to_directory_owner(path)
        try:
            fcntl.flock(fd, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise DatabaseInUseError(_in_use(exclusive)) from exc
        yield
    finally:
        os.close(fd)  # releases the lock


def _give_to_directory_owner(path: Path) -> None:
    # Created by root (sudo vigicommerce db restore), the file must stay openable by the service user.
    if os.geteuid() == 0:
        owner = path.parent.stat()
        with contextlib.suppress(OSError):
            os.chown(path, owner.st_uid, owner.st_gid)


def _advisory_lock(connection: Connection, *, exclusive: bool) -> None:
    function = "pg_try_advisory_lock" if exclusive else "pg_try_advisory_lock_shared"
    got = connection.execute(text(f"SELECT {function}(:k)"), {"k": ADVISORY_KEY}).scalar_one()
    connection.commit()
    if not got:
        raise DatabaseInUseError(_in_use(exclusive))


def _in_use(exclusive: bool) -> str:
    if exclusive:
        return (
            "la passerelle tourne sur cette base : arrêtez-la d'abord "
            "(systemctl stop vigicommerce-gateway), puis relancez la commande"
        )
    return "une restauration de la base est en cours : attendez sa fin avant de lancer la passerelle"
