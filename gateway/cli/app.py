"""The root of ``vigicommerce``: the daemon, configuration, database and queue; command groups plug in here.

Every command takes ``--config`` (default /etc/vigicommerce/gateway.toml or $VIGI_CONFIG).
"""

from __future__ import annotations

import json

import typer
from rich.markup import escape
from rich.table import Table

from gateway.cli import alerts, audit, backup, campaigns, inbox, members, modems, reference, tokens, users
from gateway.cli.common import DATA_DIR, ConfigOption, JsonOption, database, domain_errors, fail, out
from gateway.cli.loader import config_app, load

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Passerelle SMS Vigicommerce.")
db_app = typer.Typer(no_args_is_help=True, help="Base de données.")
app.add_typer(db_app, name="db")
app.add_typer(config_app, name="config")
app.add_typer(members.app, name="members")
app.add_typer(alerts.app, name="alert")
app.add_typer(campaigns.campaign_app, name="campaign")
app.add_typer(campaigns.daily_app, name="daily")
app.command("inbox")(inbox.inbox)
app.command("modems")(modems.modems)
app.command("audit")(audit.audit)
app.add_typer(tokens.app, name="tokens")
app.add_typer(users.app, name="users")
app.command("zones")(reference.zones)
app.command("streets")(reference.streets)
app.command("categories")(reference.categories)
db_app.command("backup")(backup.backup)
db_app.command("restore")(backup.restore)


@app.command()
def run(config: ConfigOption = None) -> None:
    """Lance la passerelle (dispatcher, tâches quotidiennes) ; arrêt propre sur SIGTERM ou Ctrl-C."""
    from gateway.api.server import ApiServerError  # noqa: PLC0415 - heavy imports only for the daemon
    from gateway.daemon import run as run_daemon  # noqa: PLC0415
    from gateway.storage.errors import StorageError  # noqa: PLC0415

    load(config)
    try:
        code = run_daemon(config)
    except StorageError as exc:
        fail(f"[red]Base de données[/red] : {escape(str(exc))}", 1)
    except ApiServerError as exc:
        fail(f"[red]Serveur HTTP[/red] : {escape(str(exc))}", 2)
    raise typer.Exit(code)


@db_app.command("upgrade")
def db_upgrade(config: ConfigOption = None) -> None:
    """Met le schéma de la base à jour (migrations Alembic) ; charge les listes de référence la première fois."""
    from gateway.storage import migrate  # noqa: PLC0415
    from gateway.storage.db import create_directory  # noqa: PLC0415

    settings = load(config)
    url = settings.database.url
    with domain_errors():  # an unreachable server or an unwritable directory: a sentence, not a traceback
        create_directory(url)  # a new SQLite database: its directory 0700, its file 0600 (make_engine)
        before = migrate.current(url)
        migrate.upgrade(url)
    out.print(f"Schéma : {before or 'vide'} → {migrate.head()}")
    if before is None and (DATA_DIR / "zones.csv").is_file():
        members.load_reference(settings, DATA_DIR)


@app.command()
def outbox(config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """Messages de la file d'envoi par état et priorité."""
    from gateway.outbox.reads import OutboxReader  # noqa: PLC0415

    with database(load(config)) as engine:
        counts = OutboxReader(engine).counts()
    rows = sorted(((s.value, p.name.lower(), n) for (s, p), n in counts.items()))
    if as_json:
        out.print(json.dumps([{"state": s, "priority": p, "count": n} for s, p, n in rows]))
        return
    table = Table("état", "priorité", "messages")
    for s, p, n in rows:
        table.add_row(s, p, str(n))
    out.print(table)


def main() -> None:
    app()
