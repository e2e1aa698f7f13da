"""``vigicommerce …``: the daemon and the operators' commands. Messages for operators are in French.

Every command takes ``--config`` (default /etc/vigicommerce/gateway.toml or $VIGI_CONFIG). Errors say what
is wrong and what to do, and exit non-zero: 2 for bad input or configuration, 1 for other failures.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn
from rich.table import Table

from gateway.settings import ConfigError, Settings, load_settings

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Passerelle SMS Vigicommerce.")
db_app = typer.Typer(no_args_is_help=True, help="Base de données.")
config_app = typer.Typer(no_args_is_help=True, help="Configuration.")
members_app = typer.Typer(no_args_is_help=True, help="Registre des adhérents.")
app.add_typer(db_app, name="db")
app.add_typer(config_app, name="config")
app.add_typer(members_app, name="members")

out = Console()
err = Console(stderr=True)
# The reference lists shipped in the repository (zones, streets, categories); the CCISM may load its own.
DATA_DIR = Path(__file__).resolve().parents[1] / "data"
MAX_ERRORS_SHOWN = 50
ConfigOption = Annotated[Path | None, typer.Option("--config", "-c", help="fichier TOML de configuration")]
JsonOption = Annotated[bool, typer.Option("--json", help="sortie JSON pour les scripts")]


def _settings(config: Path | None) -> Settings:
    try:
        return load_settings(config)
    except ConfigError as exc:
        err.print(f"[red]Configuration invalide[/red] : {exc}")
        raise typer.Exit(2) from exc


@app.command()
def run(config: ConfigOption = None) -> None:
    """Lance la passerelle (dispatcher, tâches quotidiennes) ; arrêt propre sur SIGTERM ou Ctrl-C."""
    from gateway.daemon import run as run_daemon  # noqa: PLC0415 - heavy imports only for the daemon
    from gateway.storage.errors import StorageError  # noqa: PLC0415

    _settings(config)
    try:
        code = run_daemon(config)
    except StorageError as exc:
        err.print(f"[red]Base de données[/red] : {exc}")
        raise typer.Exit(1) from exc
    raise typer.Exit(code)


@config_app.command("check")
def config_check(config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """Vérifie la configuration et affiche les valeurs retenues."""
    settings = _settings(config)
    if as_json:
        out.print_json(settings.model_dump_json())
        return
    out.print(f"Configuration valide : {len(settings.modems)} modem(s), base {settings.database.url}, "
              f"HTTP {settings.http.host}:{settings.http.port}")


@db_app.command("upgrade")
def db_upgrade(config: ConfigOption = None) -> None:
    """Met le schéma de la base à jour (migrations Alembic)."""
    from gateway.storage import migrate  # noqa: PLC0415

    settings = _settings(config)
    url = settings.database.url
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    before = migrate.current(url)
    migrate.upgrade(url)
    out.print(f"Schéma : {before or 'vide'} → {migrate.head()}")
    if before is None and (DATA_DIR / "zones.csv").is_file():
        _load_reference(settings, DATA_DIR)


def _load_reference(settings: Settings, data_dir: Path) -> None:
    from gateway.registry.reference import load_reference  # noqa: PLC0415
    from gateway.storage.db import make_engine, session_factory  # noqa: PLC0415

    engine = make_engine(settings.database.url)
    try:
        with session_factory(engine).begin() as session:
            report = load_reference(session, data_dir)
    finally:
        engine.dispose()
    out.print(f"Listes de référence chargées depuis {data_dir} : {report}")


@members_app.command("reference")
def members_reference(
    data_dir: Annotated[Path, typer.Argument(help="dossier contenant zones.csv, streets.csv, categories.csv")],
    config: ConfigOption = None,
) -> None:
    """Charge ou met à jour les quartiers, rues et catégories (rien n'est supprimé)."""
    if not (data_dir / "zones.csv").is_file():
        err.print(f"[red]{data_dir / 'zones.csv'} introuvable[/red] : donnez le dossier des trois fichiers CSV.")
        raise typer.Exit(2)
    _load_reference(_settings(config), data_dir)


@members_app.command("import")
def members_import(  # noqa: PLR0917 - typer declares options as parameters
    csv_file: Annotated[Path, typer.Argument(help="fichier CSV au format de data/members-sample.csv")],
    config: ConfigOption = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="vérifie sans rien écrire")] = False,
    partial: Annotated[bool, typer.Option("--partial", help="importe les lignes valides, signale les autres")] = False,
    actor: Annotated[str, typer.Option(help="auteur inscrit au journal d'audit")] = "cli",
    as_json: JsonOption = False,
) -> None:
    """Importe (ou met à jour) les adhérents depuis un CSV : tout ou rien, sauf --partial."""
    from gateway.campaigns.daytime import local_today  # noqa: PLC0415
    from gateway.registry.csv_io import import_members  # noqa: PLC0415
    from gateway.registry.settings import RegistrySettings  # noqa: PLC0415
    from gateway.storage.db import make_engine, session_factory  # noqa: PLC0415

    settings = _settings(config)
    if not csv_file.is_file():
        err.print(f"[red]Fichier introuvable[/red] : {csv_file}")
        raise typer.Exit(2)
    engine = make_engine(settings.database.url)
    now = datetime.now(UTC)
    reg = settings.registry
    registry_settings = RegistrySettings(registration_years=reg.registration_years,
                                         default_region=reg.default_region, test_ranges=reg.ranges())
    try:
        with Progress(TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TimeRemainingColumn(),
                      console=err, disable=as_json) as progress:
            task = progress.add_task("Import", total=None)

            def on_progress(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            with session_factory(engine)() as session:
                report = import_members(session, csv_file, today=local_today(now, settings.hours), now=now,
                                        actor=actor, dry_run=dry_run, partial=partial, on_progress=on_progress,
                                        settings=registry_settings)
    finally:
        engine.dispose()
    errors = [{"line": e.line, "siren": e.siren, "reason": e.reason} for e in report.errors]
    if as_json:
        out.print(json.dumps({"total": report.total, "created": report.created, "updated": report.updated,
                              "unchanged": report.unchanged, "committed": report.committed, "errors": errors}))
    else:
        verb = "vérifiées (rien écrit)" if dry_run else ("importées" if report.committed else "NON importées")
        out.print(f"{report.total} lignes {verb} : {report.created} créées, {report.updated} mises à jour, "
                  f"{report.unchanged} inchangées, {len(errors)} en erreur.")
        if errors:
            table = Table("ligne", "SIREN", "problème")
            for e in errors[:MAX_ERRORS_SHOWN]:
                table.add_row(str(e["line"]), str(e["siren"] or ""), str(e["reason"]))
            err.print(table)
            if len(errors) > MAX_ERRORS_SHOWN:
                err.print(f"… et {len(errors) - MAX_ERRORS_SHOWN} autres lignes en erreur (--json pour la liste).")
            if not partial:
                err.print("Corrigez ces lignes puis relancez, ou utilisez --partial pour importer les autres.")
    if errors and not (partial and report.committed):
        raise typer.Exit(2)


@app.command()
def outbox(config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """Messages de la file d'envoi par état et priorité."""
    from gateway.outbox.reads import OutboxReader  # noqa: PLC0415
    from gateway.storage.db import make_engine  # noqa: PLC0415

    settings = _settings(config)
    engine = make_engine(settings.database.url)
    try:
        counts = OutboxReader(engine).counts()
    finally:
        engine.dispose()
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


if __name__ == "__main__":
    main()
