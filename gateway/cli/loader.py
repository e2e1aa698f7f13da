"""The command line's door to the configuration file: the only CLI module that knows its schema.

Commands call :func:`load` and get the packages' plain values (``gateway.config.GatewayConfig``); ``config
check`` shows the values in force as the file spells them, secrets masked.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape

from gateway.cli.common import ConfigOption, JsonOption, fail, out
from gateway.redact import mask_passwords

if TYPE_CHECKING:
    from gateway.config import GatewayConfig
    from gateway.settings import Settings

config_app = typer.Typer(no_args_is_help=True, help="Configuration.")


def _settings(config: Path | None) -> Settings:
    from gateway.settings import ConfigError, load_settings  # noqa: PLC0415 - `--help` stays fast

    try:
        return load_settings(config)
    except ConfigError as exc:
        fail(f"[red]Configuration invalide[/red] : {escape(str(exc))}")


def load(config: Path | None) -> GatewayConfig:
    """The configuration, or exit 2 with what is wrong and what to write."""
    return _settings(config).build()


@config_app.command("check")
def config_check(config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """Vérifie la configuration et affiche les valeurs retenues (mot de passe et code PIN masqués)."""
    from gateway.settings import config_path  # noqa: PLC0415

    settings = _settings(config)
    if as_json:
        out.print(json.dumps(settings.shown(), ensure_ascii=False, indent=2), markup=False, highlight=False)
        return
    modems = ", ".join(m.id for m in settings.modems if m.enabled) or "aucun"
    out.print(
        f"Configuration valide ({config_path(config)}) : {len(settings.modems)} modem(s) ({modems}), "
        f"base {mask_passwords(settings.database.url)}, HTTP {settings.http.host}:{settings.http.port}, "
        f"fuseau {settings.hours.timezone}",
        markup=False,
        highlight=False,
    )
