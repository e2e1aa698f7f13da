"""Backups and restores: checked copies, refusals that leave everything as it was, retention in a directory,
SQLite through the CLI and PostgreSQL through pg_dump/pg_restore. The copy during a real drain is in
tests/test_backup_drain.py."""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from gateway.cli import app
from gateway.outbox.store import Outbox
from gateway.outbox.types import NewMessage
from gateway.storage import backup, migrate, runlock
from gateway.storage.db import make_engine, session_factory
from gateway.storage.retention import Retention, file_name
from tests.gateway.test_cli_support import Cli, cli_fixture, template_db_fixture, write_config  # noqa: F401

NOW = datetime(2025, 3, 10, 7, 0, tzinfo=UTC)


def members(db: Path) -> set[str]:
    with contextlib.closing(sqlite3.connect(db)) as conn:  # closed now, not at the next garbage collection
        return {row[0] for row in conn.execute("SELECT siren FROM registry_member")}


def test_backup_is_a_checked_single_file_and_restores_into_a_fresh_directory(cli: Cli, tmp_path: Path) -> None:
    dest = tmp_path / "copy.db"
    result = cli.run(["db", "backup", str(dest)])
    assert result.exit_code == 0, result.output
    assert "Sauvegarde vérifiée" in result.output and "2000 membres" in result.output
    assert not dest.with_name("copy.db-wal").exists()  # self-contained: journal mode DELETE
    with sqlite3.connect(dest) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"

    fresh = tmp_path / "fresh" / "state"
    config = write_config(tmp_path / "fresh.toml", fresh / "gateway.db")
    restored = cli.runner.invoke(app, ["db", "restore", str(dest), "--yes", "--config", str(config)])
    assert restored.exit_code == 0, restored.output
    assert "Base restaurée" in restored.output
    assert members(fresh / "gateway.db") == members(cli.db)
    with sqlite3.connect(fresh / "gateway.db") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone()[0] == migrate.head()


def test_restore_keeps_the_replaced_database_and_drops_its_wal(cli: Cli, tmp_path: Path) -> None:
    dest = tmp_path / "before.db"
    assert cli.run(["db", "backup", str(dest)]).exit_code == 0
    conn = sqlite3.connect(cli.db)  # a change after the backup
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("DELETE FROM registry_member_phone")
    conn.execute("DELETE FROM registry_member")
    conn.commit()
    with pytest.raises(backup.BackupError, match="ouverte par une autre commande"):
        backup.restore(f"sqlite:///{cli.db}", dest, NOW)  # a process still has the database open
    assert members(cli.db) == set()
    conn.close()
    done = backup.restore(f"sqlite:///{cli.db}", dest, NOW)
    assert done.kept_aside is not None and not done.needs_upgrade
    assert members(done.kept_aside) == set()  # the replaced database, with its last change, kept aside
    assert len(members(cli.db)) == 2000
    assert not cli.db.with_name(cli.db.name + "-wal").exists()


def test_restore_is_refused_while_the_daemon_holds_the_database(cli: Cli, tmp_path: Path) -> None:
    dest = tmp_path / "copy.db"
    assert cli.run(["db", "backup", str(dest)]).exit_code == 0
    before = cli.db.read_bytes()
    with runlock.held(f"sqlite:///{cli.db}", exclusive=False):  # what `vigicommerce run` holds
        result = cli.run(["db", "restore", str(dest), "--yes"])
    assert result.exit_code == 1
    assert "la passerelle tourne" in result.output and "systemctl stop" in result.output
    assert cli.db.read_bytes() == before
    assert not list(cli.db.parent.glob("*.before-restore-*"))


def test_a_daemon_cannot_start_during_a_restore(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'g.db'}"
    with runlock.held(url, exclusive=True), pytest.raises(runlock.DatabaseInUseError, match="restauration"):  # noqa: SIM117
        with runlock.held(url, exclusive=False):
            pass
    with runlock.held(url, exclusive=False), runlock.held(url, exclusive=False):
        pass  # shared: nothing forbids it here (one station, one daemon is systemd's business)


def corrupt(path: Path) -> None:
    data = bytearray(path.read_bytes())
    page = 4096
    data[page * 3 : page * 3 + 200] = b"\xff" * 200  # a b-tree page overwritten
    path.write_bytes(bytes(data))


def foreign(path: Path) -> None:
    path.unlink()
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (x)")


def future(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")


def not_sqlite(path: Path) -> None:
    path.write_text("siren,name\n", encoding="utf-8")


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        (corrupt, "endommagée"),
        (foreign, "pas une base de la passerelle"),
        (future, "plus récente"),
        (not_sqlite, "pas une sauvegarde de la passerelle"),
    ],
)
def test_a_bad_backup_is_refused_and_the_database_left_as_it_was(
    cli: Cli, tmp_path: Path, spoil: object, message: str
) -> None:
    dest = tmp_path / "copy.db"
    assert cli.run(["db", "backup", str(dest)]).exit_code == 0
    spoil(dest)  # type: ignore[operator]
    before = cli.db.read_bytes()
    result = cli.run(["db", "restore", str(dest), "--yes"])
    assert result.exit_code in (1, 2), result.output
    assert "Restauration refusée" in result.output and message in result.output, result.output
    assert cli.db.read_bytes() == before


def test_backup_never_overwrites_and_needs_an_existing_directory(cli: Cli, tmp_path: Path) -> None:
    dest = tmp_path / "copy.db"
    dest.write_text("precious", encoding="utf-8")
    result = cli.run(["db", "backup", str(dest)])
    assert result.exit_code == 1 and "existe déjà" in result.output
    assert dest.read_text(encoding="utf-8") == "precious"
    result = cli.run(["db", "backup", str(tmp_path / "nowhere" / "x.db")])
    assert result.exit_code == 1 and "n'existe pas" in result.output


def test_a_full_disk_leaves_no_half_backup(cli: Cli, tmp_path: Path) -> None:
    disk = tmp_path / "small"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(disk)], capture_output=True, text=True, check=False
    )
    if mounted.returncode != 0:
        pytest.skip(f"mounting a small tmpfs needs root: {mounted.stderr.strip()}")
    try:
        result = cli.run(["db", "backup", str(disk / "copy.db")])
        assert result.exit_code == 1, result.output
        assert "écriture de la sauvegarde impossible" in result.output and "full" in result.output
        assert list(disk.iterdir()) == []  # no partial file, nothing that looks like a backup
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def test_restore_asks_first_and_a_no_writes_nothing(cli: Cli, tmp_path: Path) -> None:
    dest = tmp_path / "copy.db"
    assert cli.run(["db", "backup", str(dest)]).exit_code == 0
    before = cli.db.read_bytes()
    result = cli.run(["db", "restore", str(dest)], input="n\n")
    assert result.exit_code == 1 and "intégrité vérifiée" in result.output
    assert cli.db.read_bytes() == before


def test_backup_into_a_directory_names_by_time_and_prunes_old_backups(cli: Cli, tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    folder.mkdir()
    old = [folder / file_name(NOW - timedelta(days=d), "db") for d in range(1, 40)]
    for path in old:
        path.write_bytes(b"old")
    other = folder / "notes.txt"
    other.write_text("keep me", encoding="utf-8")
    url = f"sqlite:///{cli.db}"
    made, removed = backup.backup_into(url, folder, NOW, Retention(daily=3, weekly=2), lambda t: t.date())
    assert made.path.name == file_name(NOW, "db") and made.counts["membres"] == 2000
    left = sorted(p.name for p in folder.iterdir())
    # The new one, the 2 days before it, and the newest of the 2 weeks: this week's is the new one, last week's
    # newest is Sunday 9 March (1 day ago, already kept), so nothing more.
    assert left == sorted([file_name(NOW, "db"), old[0].name, old[1].name, "notes.txt"]), left
    assert len(removed) == len(old) - 2


def test_cli_backup_into_a_directory(cli: Cli, tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    folder.mkdir()
    result = cli.run(["db", "backup", str(folder), "--keep-daily", "2", "--keep-weekly", "0"])
    assert result.exit_code == 0, result.output
    (made,) = list(folder.iterdir())
    assert made.name.startswith("vigicommerce-") and made.suffix == ".db"
    assert backup.inspect(made).counts["membres"] == 2000


def test_postgresql_backup_and_restore(database_url: str, tmp_path: Path) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("the PostgreSQL path (pg_dump): SQLite is covered above")
    if shutil.which("pg_dump") is None:
        pytest.skip("pg_dump not installed")
    migrate.upgrade(database_url)
    engine = make_engine(database_url)
    try:
        with session_factory(engine).begin() as session:
            Outbox(engine).enqueue(
                session, [NewMessage(recipient=f"+3363998{i:04d}", text=f"m{i}") for i in range(50)], NOW
            )
        dest = tmp_path / "copy.dump"
        made = backup.backup(database_url, dest)
        assert made.kind == "postgresql" and made.revision == migrate.head()
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM outbox_message"))
        with runlock.held(database_url, exclusive=False), pytest.raises(backup.BackupError, match="tourne"):
            backup.restore(database_url, dest, NOW)
        done = backup.restore(database_url, dest, NOW)
        assert done.kept_aside is not None and done.kept_aside.is_file()
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM outbox_message")).scalar_one() == 50
    finally:
        engine.dispose()
