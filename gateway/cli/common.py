"""What every command group shares: consoles, the ``--config``/``--json`` options, settings and database access.

Messages for operators are in French. Errors say what is wrong and what to do, and exit non-zero: 2 for bad
input or configuration, 1 for other failures.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy.engine import Engine

from gateway.settings import ConfigError, Settings, load_settings

out = Console()
err = Console(stderr=True)
# The reference lists shipped in the repository (zones, streets, categories); the CCISM may load its own.
DATA_DIR = Path(__file__).resolve().parents[2] / "data"
ConfigOption = Annotated[Path | None, typer.Option("--config", "-c", help="fichier TOML de configuration")]
JsonOption = Annotated[bool, typer.Option("--json", help="sortie JSON pour les scripts")]


def load(config: Path | None) -> Settings:
    """The settings, or exit 2 with the configuration error explained."""
    try:
        return load_settings(config)
    except ConfigError as exc:
        err.print(f"[red]Configuration invalide[/red] : {exc}")
        raise typer.Exit(2) from exc


@contextlib.contextmanager
def database(settings: Settings) -> Iterator[Engine]:
    """An engine on the configured database, disposed of afterwards."""
    from gateway.storage.db import make_engine  # noqa: PLC0415 - keep `--help` fast

    engine = make_engine(settings.database.url)
    try:
        yield engine
    finally:
        engine.dispose()
