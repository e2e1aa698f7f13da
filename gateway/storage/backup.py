"""Backups that restore: a consistent copy while the daemon sends, checked before it is trusted.

SQLite: the online backup API in one step, i.e. one read transaction, so the copy is the database as of one
commit even while the daemon writes (WAL lets the writer go on meanwhile); the copy is a single self-contained
file (journal mode DELETE), integrity-checked, written under a temporary name and renamed, so a crash or a full
disk never leaves a file that looks like a backup. PostgreSQL: ``pg_dump --format=custom`` (Debian's
postgresql-client), checked with ``pg_restore --list``.

A restore refuses while a daemon holds the database (``runlock``), checks the file first, keeps the database it
replaces beside it, and removes the old WAL so it can never be replayed into the restored file.
Messages are for operators, in French.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from gateway.storage import migrate, retention, runlock
from gateway.storage.errors import StorageError

# Rows counted in a SQLite backup, so an operator sees at a glance that it holds the register and the alerts.
COUNTED = {"membres": "registry_member", "alertes": "alert", "messages": "outbox_message"}


class BackupError(StorageError):
    """A backup or a restore that could not be done; the message says why and what to do (in French)."""


@dataclass(frozen=True)
class BackupFile:
    """A checked backup: its path and size, the schema revision it holds, and a few row counts (SQLite)."""

    path: Path
    size: int
    kind: str  # "sqlite" or "postgresql"
    revision: str | None
    counts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Restored:
    source: BackupFile
    kept_aside: Path | None  # the database that was replaced, kept in case the wrong file was restored
    needs_upgrade: bool  # the backup's schema is older than this program's: run `vigicommerce db upgrade`


def suffix_for(database_url: str) -> str:
    return "dump" if _backend(database_url) == "postgresql" else "db"


def backup(database_url: str, dest: Path) -> BackupFile:
    """Write a checked backup of the database to ``dest``, which must not exist yet."""
    if dest.exists():
        raise BackupError(f"{dest} existe déjà : choisissez un autre nom ou un répertoire (jamais d'écrasement)")
    if not dest.parent.is_dir():
        raise BackupError(f"le répertoire {dest.parent} n'existe pas : créez-le d'abord")
    partial = dest.with_name(f".{dest.name}.partial")
    partial.unlink(missing_ok=True)
    try:
        if _backend(database_url) == "postgresql":
            _pg_dump(make_url(database_url), partial)
        else:
            db = _sqlite_path(database_url)
            if not db.is_file():
                raise BackupError(f"base introuvable : {db} (vérifiez [database] url dans la configuration)")
            _sqlite_copy(db, partial)
            _match_owner(db, [db.with_name(db.name + s) for s in ("-wal", "-shm")])
        checked = inspect(partial)
        partial.chmod(0o600)  # members' names and numbers: readable by the service user (or root) only
        _fsync(partial)
        os.replace(partial, dest)
        _fsync(dest.parent)
    except (OSError, sqlite3.Error) as exc:  # a full disk comes as either, depending on who writes
        raise BackupError(f"écriture de la sauvegarde impossible ({_reason(exc)}) : {dest}") from exc
    finally:
        partial.unlink(missing_ok=True)
    return BackupFile(dest, dest.stat().st_size, checked.kind, checked.revision, checked.counts)


def backup_into(
    database_url: str, directory: Path, now: datetime, keep: retention.Retention, day_of: Callable[[datetime], date]
) -> tuple[BackupFile, list[Path]]:
    """A backup named by ``now`` in ``directory``, then the directory's older backups pruned by ``keep``.

    Only files named like this program's backups are ever removed; the new one is always kept.
    """
    made = backup(database_url, directory / retention.file_name(now, suffix_for(database_url)))
    found = {moment: path for path in directory.iterdir() if (moment := retention.time_of(path.name)) is not None}
    kept = retention.to_keep(found, keep, day_of)
    removed = []
    for moment, path in sorted(found.items()):
        if moment not in kept and path != made.path:
            path.unlink(missing_ok=True)
            removed.append(path)
    return made, removed


def inspect(path: Path) -> BackupFile:
    """Check a backup file (SQLite ``integrity_check``, or a readable pg_dump archive) and say what it holds."""
    if not path.is_file():
        raise BackupError(f"fichier introuvable : {path}")
    with path.open("rb") as handle:
        magic = handle.read(16)
    if magic.startswith(b"PGDMP"):
        return BackupFile(path, path.stat().st_size, "postgresql", _pg_revision(path))
    if magic != b"SQLite format 3\x00":
        raise BackupError(f"{path} n'est pas une sauvegarde de la passerelle (ni base SQLite, ni archive pg_dump)")
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            problems = [row[0] for row in conn.execute("PRAGMA integrity_check")]
            if problems != ["ok"]:
                raise BackupError(f"{path} est endommagée (integrity_check : {'; '.join(problems[:3])})")
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if "alembic_version" not in tables:
                raise BackupError(f"{path} est une base SQLite, mais pas une base de la passerelle")
            revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()
            counts = {
                label: int(conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0])  # noqa: S608 - constant names
                for label, table in COUNTED.items()
                if table in tables
            }
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} est illisible ou endommagée ({exc})") from exc
    return BackupFile(path, path.stat().st_size, "sqlite", revision[0] if revision else None, counts)


def restore(database_url: str, source: Path, now: datetime) -> Restored:
    """Replace the database with the backup ``source``; refused while a daemon uses the database."""
    checked = inspect(source)
    known = migrate.revisions()
    if checked.revision is not None and checked.revision not in known:
        raise BackupError(
            f"{source} a le schéma {checked.revision}, inconnu de ce programme (sauvegarde d'une version plus "
            "récente) : installez cette version avant de restaurer"
        )
    is_pg = checked.kind == "postgresql"
    if is_pg != (_backend(database_url) == "postgresql"):
        kind = "PostgreSQL" if is_pg else "SQLite"
        raise BackupError(f"{source} est une sauvegarde {kind}, la base configurée ne l'est pas")
    try:
        with runlock.held(database_url, exclusive=True):
            kept: Path | None
            if is_pg:
                kept = _pg_restore(make_url(database_url), source, now)
            else:
                kept = _sqlite_restore(_sqlite_path(database_url), source, now)
    except runlock.DatabaseInUseError as exc:
        raise BackupError(str(exc)) from exc
    return Restored(checked, kept, checked.revision != migrate.head())


# -- SQLite -------------------------------------------------------------------------------------------------


def _sqlite_copy(db: Path, dest: Path) -> None:
    with contextlib.closing(sqlite3.connect(db, timeout=15)) as src, contextlib.closing(sqlite3.connect(dest)) as dst:
        src.backup(dst)  # pages=-1: one step, one read transaction, one consistent snapshot
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it


def _sqlite_restore(db: Path, source: Path, now: datetime) -> Path | None:
    db.parent.mkdir(parents=True, exist_ok=True)
    partial = db.with_name(f".{db.name}.restoring")
    partial.unlink(missing_ok=True)
    try:
        _sqlite_copy(source, partial)
        partial.chmod(0o600)  # the register: readable by the service user only, like the database it replaces
        _fsync(partial)
        kept = None
        owner = db if db.exists() else db.parent
        if db.exists():
            _close_wal(db)
            kept = db.with_name(f"{db.name}.before-restore-{now:%Y%m%dT%H%M%S}")
            os.replace(db, kept)
        os.replace(partial, db)
        _fsync(db.parent)
    except (OSError, sqlite3.Error) as exc:
        raise BackupError(f"restauration impossible ({_reason(exc)}) : {db}") from exc
    finally:
        partial.unlink(missing_ok=True)
    _match_owner(owner, [db])
    return kept


def _close_wal(db: Path) -> None:
    """Fold the WAL into the database file and delete it: a WAL left beside the restored file would be
    replayed into it. Fails (database locked) while another process has the database open."""
    conn = sqlite3.connect(db, timeout=5)
    cursor = conn.cursor()
    try:
        mode = str(cursor.execute("PRAGMA journal_mode=DELETE").fetchone()[0])
    except sqlite3.OperationalError as exc:
        mode = str(exc)
    finally:
        # Closed explicitly, cursor first: a statement kept alive by a traceback would keep the file open (and
        # SQLite's POSIX locks with it) after the connection is "closed".
        cursor.close()
        conn.close()
    if mode.lower() != "delete":
        raise BackupError(f"la base {db} est ouverte par une autre commande ({mode}) : réessayez plus tard")
    for suffix in ("-wal", "-shm"):
        db.with_name(db.name + suffix).unlink(missing_ok=True)


# -- PostgreSQL ---------------------------------------------------------------------------------------------


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq URI without the password (not on a command line, where ps shows it) and the environment."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _pg_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} introuvable : installez le paquet Debian postgresql-client")
    return path


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
    result = subprocess.run(args, env=env, capture_output=True, check=False, timeout=3600)  # noqa: S603
    if result.returncode != 0:
        detail = result.stderr.decode(errors="replace").strip().splitlines()
        raise BackupError(f"{Path(args[0]).name} a échoué : {detail[-1] if detail else result.returncode}")
    return result


def _pg_dump(url: URL, dest: Path) -> None:
    conninfo, env = _libpq(url)
    _run([_pg_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", f"--file={dest}", conninfo], env)


def _pg_revision(path: Path) -> str | None:
    result = _run(
        [_pg_tool("pg_restore"), "--data-only", "--table=alembic_version", "--file=-", str(path)], dict(os.environ)
    )
    lines = result.stdout.decode(errors="replace").splitlines()
    for i, line in enumerate(lines):
        if line.startswith("COPY ") and "alembic_version" in line and i + 1 < len(lines):
            value = lines[i + 1].strip()
            return None if value == "\\." else value
    raise BackupError(f"{path} est une archive pg_dump, mais pas d'une base de la passerelle")


def _pg_restore(url: URL, source: Path, now: datetime) -> Path:
    kept = source.with_name(f"vigicommerce-before-restore-{now:%Y%m%dT%H%M%S}.dump")
    _pg_dump(url, kept)
    conninfo, env = _libpq(url)
    _run(
        [
            _pg_tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={conninfo}",
            str(source),
        ],
        env,
    )
    return kept


# -- files --------------------------------------------------------------------------------------------------


def _backend(database_url: str) -> str:
    return make_url(database_url).get_backend_name()


def _sqlite_path(database_url: str) -> Path:
    database = make_url(database_url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise BackupError("une base SQLite en mémoire ne se sauvegarde pas : configurez un fichier")
    return Path(database).resolve()


def _reason(exc: OSError | sqlite3.Error) -> str:
    return (exc.strerror if isinstance(exc, OSError) else None) or str(exc)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _match_owner(reference: Path, paths: list[Path]) -> None:
    # Run as root (sudo), a restore or a backup must not leave the service user a database it cannot write.
    if os.geteuid() != 0:
        return
    owner = reference.stat()
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            os.chown(path, owner.st_uid, owner.st_gid)
