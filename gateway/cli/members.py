"""``vigicommerce members …``: the register of members."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn
from rich.table import Table

from gateway.cli.common import ConfigOption, JsonOption, database, err, load, out
from gateway.settings import Settings

app = typer.Typer(no_args_is_help=True, help="Registre des adhérents.")
MAX_ERRORS_SHOWN = 50


def load_reference(settings: Settings, data_dir: Path) -> None:
    from gateway.registry.reference import load_reference as upsert  # noqa: PLC0415
    from gateway.storage.db import session_factory  # noqa: PLC0415

    with database(settings) as engine, session_factory(engine).begin() as session:
        report = upsert(session, data_dir)
    out.print(f"Listes de référence chargées depuis {data_dir} : {report}")


@app.command("reference")
def reference(
    data_dir: Annotated[Path, typer.Argument(help="dossier contenant zones.csv, streets.csv, categories.csv")],
    config: ConfigOption = None,
) -> None:
    """Charge ou met à jour les quartiers, rues et catégories (rien n'est supprimé)."""
    if not (data_dir / "zones.csv").is_file():
        err.print(f"[red]{data_dir / 'zones.csv'} introuvable[/red] : donnez le dossier des trois fichiers CSV.")
        raise typer.Exit(2)
    load_reference(load(config), data_dir)


@app.command("import")
def import_csv(  # noqa: PLR0917 - typer declares options as parameters
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
    from gateway.storage.db import session_factory  # noqa: PLC0415

    settings = load(config)
    if not csv_file.is_file():
        err.print(f"[red]Fichier introuvable[/red] : {csv_file}")
        raise typer.Exit(2)
    now = datetime.now(UTC)
    reg = settings.registry
    registry_settings = RegistrySettings(registration_years=reg.registration_years,
                                         default_region=reg.default_region, test_ranges=reg.ranges())
    with (
        database(settings) as engine,
        Progress(TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TimeRemainingColumn(),
                 console=err, disable=as_json) as progress,
    ):
        task = progress.add_task("Import", total=None)

        def on_progress(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        with session_factory(engine)() as session:
            report = import_members(session, csv_file, today=local_today(now, settings.hours), now=now,
                                    actor=actor, dry_run=dry_run, partial=partial, on_progress=on_progress,
                                    settings=registry_settings)
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
