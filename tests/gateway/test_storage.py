"""Engines: durable SQLite settings, atomic write transactions, operator-readable errors."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
from sqlalchemy import text

from gateway.storage import dialect
from gateway.storage.db import free_bytes, make_engine, session_factory
from gateway.storage.errors import StorageError, StorageFullError, StorageUnavailableError


def test_sqlite_pragmas_make_commits_durable(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/db.sqlite", busy_timeout_ms=1234)
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 1234
    finally:
        engine.dispose()


def test_write_transactions_take_the_lock_at_begin(tmp_path: Path) -> None:
    """With BEGIN IMMEDIATE a second writer waits at BEGIN, before it could read stale rows."""
    url = f"sqlite:///{tmp_path}/lock.sqlite"
    first, second = make_engine(url), make_engine(url, busy_timeout_ms=50)
    try:
        with first.begin() as conn:
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
        with first.begin() as conn:
            conn.execute(text("SELECT 1"))  # a read only, yet the lock is held from BEGIN
            with pytest.raises(StorageError), second.begin() as other:
                other.execute(text("SELECT 1"))
            # Read-only transactions opt out and run beside the writer.
            reader = second.execution_options(**{dialect.BEGIN_OPTION: "DEFERRED"})
            with reader.begin() as other:
                assert other.execute(text("SELECT count(*) FROM t")).scalar() == 0
    finally:
        first.dispose()
        second.dispose()


def test_missing_directory_is_explained(tmp_path: Path) -> None:
    with pytest.raises(StorageUnavailableError, match="n'existe pas"):
        make_engine(f"sqlite:///{tmp_path}/nowhere/db.sqlite")


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_read_only_directory_is_explained(tmp_path: Path) -> None:
    locked = tmp_path / "ro"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(StorageUnavailableError, match="pas modifiable"):
            make_engine(f"sqlite:///{locked}/db.sqlite")
    finally:
        locked.chmod(0o700)


def test_disk_full_becomes_storage_full_error(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/full.sqlite")
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (x TEXT)"))
        with pytest.raises(StorageFullError, match="libérez de la place") as caught, engine.begin() as conn:
            # A tiny page limit stands in for a full disk: SQLite raises the same SQLITE_FULL error.
            conn.execute(text("PRAGMA max_page_count = 3"))
            for _ in range(100):
                conn.execute(text("INSERT INTO t VALUES (:x)"), {"x": "x" * 4000})
        assert caught.value.__cause__ is not None, "the driver's error is kept as the cause"
    finally:
        engine.dispose()


def test_invalid_url_is_a_storage_error() -> None:
    with pytest.raises(StorageUnavailableError):
        make_engine("not a url")


def test_sessions_keep_objects_after_commit_across_threads(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/s.sqlite")
    sessions = session_factory(engine)
    seen: list[int] = []

    def work() -> None:
        with sessions.begin() as session:
            seen.append(int(session.execute(text("SELECT 41 + 1")).scalar_one()))

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(10)
    engine.dispose()
    assert seen == [42]


def test_free_bytes_of_a_file_database_and_none_elsewhere(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/space.db")
    memory = make_engine("sqlite:///:memory:")
    try:
        free = free_bytes(engine)
        assert free is not None and 0 < free <= shutil.disk_usage(tmp_path).total
        assert free_bytes(memory) is None
    finally:
        engine.dispose()
        memory.dispose()
