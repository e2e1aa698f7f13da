"""Shared fixtures of the CLI tests: a real SQLite file migrated and loaded with the sample members (once per
session, through the CLI itself), copied for each test, and a runner that invokes ``vigicommerce``."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import Result
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from gateway.cli import app
from gateway.storage.db import make_engine, session_factory

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "members-sample.csv"


def write_config(path: Path, db: Path, top: str = "", tables: str = "") -> Path:
    """``top``: top-level keys (they must come before the first table); ``tables``: more sections."""
    path.write_text(f'{top}[database]\nurl = "sqlite:///{db}"\n{tables}', encoding="utf-8")
    return path


@dataclass
class Cli:
    """``vigicommerce`` against one test's database: ``run`` adds ``--config`` and returns click's result."""

    config: Path
    db: Path
    runner: CliRunner

    def run(self, args: Sequence[str], input: str | None = None, env: dict[str, str] | None = None) -> Result:
        return self.runner.invoke(app, [*args, "--config", str(self.config)], input=input, env=env)

    def engine(self) -> Engine:
        return make_engine(f"sqlite:///{self.db}")

    def count(self, model: type, *where: object) -> int:
        engine = self.engine()
        try:
            with session_factory(engine)() as session:
                return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)  # type: ignore[arg-type]
        finally:
            engine.dispose()

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        engine = self.engine()
        try:
            with session_factory(engine)() as session:
                yield session
        finally:
            engine.dispose()


@pytest.fixture(scope="session", name="template_db")
def template_db_fixture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cli-template")
    db = folder / "gateway.db"
    config = write_config(folder / "gateway.toml", db)
    runner = CliRunner()
    upgraded = runner.invoke(app, ["db", "upgrade", "--config", str(config)])
    assert upgraded.exit_code == 0, upgraded.output
    imported = runner.invoke(
        app, ["members", "import", str(SAMPLE), "--config", str(config), "--json", "--operator", "fixture"]
    )
    assert imported.exit_code == 0, imported.output
    return db


@pytest.fixture(name="cli")
def cli_fixture(template_db: Path, tmp_path: Path) -> Cli:
    db = tmp_path / "gateway.db"
    for suffix in ("", "-wal", "-shm"):
        source = template_db.with_name(template_db.name + suffix)
        if source.exists():
            shutil.copyfile(source, db.with_name(db.name + suffix))
    return Cli(write_config(tmp_path / "gateway.toml", db, 'operator_numbers = ["+33639980001"]\n'), db, CliRunner())
