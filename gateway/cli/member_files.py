"""``vigicommerce members import|export|reference``: the register in and out of the CCISM's spreadsheets, and the
reference lists; registered on the ``members`` command group by :mod:`gateway.cli.members`."""

from __future__ import annotations

import enum
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn
from rich.table import Table

from gateway.cli.common import (
    ConfigOption,
    JsonOption,
    OperatorOption,
    database,
    domain_errors,
    emit_json,
    err,
    fail,
    local_date,
    now_utc,
    operator_name,
    out,
)
from gateway.cli.loader import load
from gateway.config import GatewayConfig

if TYPE_CHECKING:
    from gateway.registry.csv_io import ImportReport
    from gateway.usecases import Store

MAX_ERRORS_SHOWN = 50


class StatusChoice(enum.StrEnum):
    active = "active"
    expired = "expired"
    suspended = "suspended"
    withdrawn = "withdrawn"


class FormatChoice(enum.StrEnum):
    csv = "csv"
    xlsx = "xlsx"


def store_for(engine: object) -> Store:
    from gateway.usecases import Store  # noqa: PLC0415 - keep `--help` fast

    return Store.for_engine(engine)  # type: ignore[arg-type]


def load_reference(settings: GatewayConfig, data_dir: Path) -> None:
    from gateway.usecases import reference  # noqa: PLC0415

    with database(settings) as engine:
        report = reference.load(store_for(engine), data_dir)
    parts = [
        f"{label} : {created} ajouté(e)s, {renamed} renommé(e)s"
        for label, (created, renamed) in (
            ("quartiers", report.zones),
            ("rues", report.streets),
            ("catégories", report.categories),
        )
    ]
    out.print(f"Listes de référence chargées depuis {data_dir} : " + " ; ".join(parts) + ".")


def reference(
    data_dir: Annotated[Path, typer.Argument(help="dossier contenant zones.csv, streets.csv, categories.csv")],
    config: ConfigOption = None,
) -> None:
    """Charge ou met à jour les quartiers, rues et catégories (rien n'est supprimé)."""
    if not (data_dir / "zones.csv").is_file():
        err.print(f"[red]{data_dir / 'zones.csv'} introuvable[/red] : donnez le dossier des trois fichiers CSV.")
        raise typer.Exit(2)
    with domain_errors():
        load_reference(load(config), data_dir)


def import_dict(report: ImportReport) -> dict[str, object]:
    return {
        "total": report.total,
        "created": report.created,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "committed": report.committed,
        "dry_run": report.dry_run,
        "format": report.format,
        "errors": [{"line": e.line, "siren": e.siren, "reason": e.reason} for e in report.errors],
    }


def import_file(  # noqa: PLR0917 - typer declares options as parameters
    source: Annotated[
        Path, typer.Argument(help="tableau des adhérents : .xlsx, ou CSV tel qu'Excel l'enregistre (; , ou tabulation)")
    ],
    config: ConfigOption = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="vérifie sans rien écrire")] = False,
    partial: Annotated[bool, typer.Option("--partial", help="importe les lignes valides, signale les autres")] = False,
    operator: OperatorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Importe (ou met à jour) les établissements d'un tableur : tout ou rien, sauf --partial."""
    from gateway.usecases import members  # noqa: PLC0415

    settings = load(config)
    try:
        data = source.read_bytes()
    except OSError as exc:
        fail(f"[red]Fichier illisible[/red] : {source} ({escape(exc.strerror or str(exc))}).")
    now = now_utc()
    with (
        database(settings) as engine,
        domain_errors(),
        Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            TimeRemainingColumn(),
            console=err,
            disable=as_json,
        ) as progress,
    ):
        task = progress.add_task("Import", total=None)

        def on_progress(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        report = members.import_register(
            store_for(engine),
            data,
            source=source.name,
            actor=operator_name(operator),
            now=now,
            today=local_date(settings, now),
            settings=settings.registry,
            dry_run=dry_run,
            partial=partial,
            on_progress=on_progress,
        )
    if as_json:
        emit_json(import_dict(report))
    else:
        _print_import(report)
    if report.errors and not (partial and report.committed):
        raise typer.Exit(2)


def _print_import(report: ImportReport) -> None:
    verb = "vérifiées (rien écrit)" if report.dry_run else ("importées" if report.committed else "NON importées")
    out.print(
        f"{report.total} lignes {verb} : {report.created} créées, {report.updated} mises à jour, "
        f"{report.unchanged} inchangées, {len(report.errors)} en erreur."
    )
    if not report.errors:
        return
    table = Table("ligne", "SIRET / SIREN", "problème")
    for e in report.errors[:MAX_ERRORS_SHOWN]:
        table.add_row(str(e.line), e.siren, escape(e.reason))
    err.print(table)
    if len(report.errors) > MAX_ERRORS_SHOWN:
        err.print(f"… et {len(report.errors) - MAX_ERRORS_SHOWN} autres lignes en erreur (--json pour la liste).")
    if not report.partial:
        err.print("Corrigez ces lignes puis relancez, ou utilisez --partial pour importer les autres.")


def export(
    target: Annotated[Path | None, typer.Argument(help="fichier à écrire (défaut : la sortie standard)")] = None,
    status: Annotated[list[StatusChoice] | None, typer.Option("--status", help="seulement ces statuts")] = None,
    fmt: Annotated[
        FormatChoice | None, typer.Option("--format", help="csv ou xlsx (défaut : d'après l'extension, sinon csv)")
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Exporte les établissements au format d'import, avec statut, échéance et état de chaque numéro."""
    from gateway.registry.models import MemberStatus  # noqa: PLC0415
    from gateway.usecases import members  # noqa: PLC0415

    settings = load(config)
    statuses = [MemberStatus(s.value) for s in status] if status else None
    chosen = fmt.value if fmt else ("xlsx" if target is not None and target.suffix.lower() == ".xlsx" else "csv")
    if target is None and chosen == "xlsx":
        fail("[red]Erreur[/red] : un classeur .xlsx ne s'écrit pas sur la sortie standard ; donnez un fichier.")
    today = local_date(settings, now_utc())
    with database(settings) as engine, domain_errors():
        store = store_for(engine)
        if target is None:
            count = members.export_register(
                store, sys.stdout.buffer, fmt="csv", statuses=statuses, today=today, tz=settings.hours.tz
            )
            sys.stdout.flush()
        else:
            # Written beside the target and renamed: a failed export never leaves half a file behind.
            partial_file = target.with_name(target.name + ".partial")
            try:
                with partial_file.open("wb") as stream:
                    count = members.export_register(
                        store,
                        stream,
                        fmt=chosen,  # type: ignore[arg-type]
                        statuses=statuses,
                        today=today,
                        tz=settings.hours.tz,
                    )
                partial_file.replace(target)
            except OSError as exc:
                partial_file.unlink(missing_ok=True)
                fail(f"[red]Écriture impossible[/red] : {escape(str(exc))}")
    err.print(f"{count} établissement(s) exporté(s)" + (f" dans {target}." if target else "."))
