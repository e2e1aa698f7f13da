"""``vigicommerce db backup`` and ``db restore``: thin over ``gateway.storage.backup``."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from gateway.cli.common import ConfigOption, YesOption, confirm, fail, local_time, out
from gateway.cli.loader import load

DestArgument = Annotated[
    Path,
    typer.Argument(
        help="fichier à créer, ou répertoire : la sauvegarde y est datée et les anciennes élaguées",
        show_default=False,
    ),
]


def _summary(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {label}" for label, n in counts.items())


def backup(
    dest: DestArgument,
    config: ConfigOption = None,
    keep_daily: Annotated[
        int, typer.Option("--keep-daily", min=1, help="répertoire : derniers jours gardés (une par jour)")
    ] = 14,
    keep_weekly: Annotated[
        int, typer.Option("--keep-weekly", min=0, help="répertoire : dernières semaines gardées (une par semaine)")
    ] = 8,
) -> None:
    """Sauvegarde la base (cohérente même pendant les envois) et vérifie la copie."""
    from gateway.storage import backup as store  # noqa: PLC0415
    from gateway.storage.retention import Retention  # noqa: PLC0415

    settings = load(config)
    zone = settings.hours.tz
    try:
        if dest.is_dir():
            made, removed = store.backup_into(
                settings.database.url,
                dest,
                datetime.now(UTC),
                Retention(daily=keep_daily, weekly=keep_weekly),
                lambda moment: moment.astimezone(zone).date(),
            )
        else:
            made, removed = store.backup(settings.database.url, dest), []
    except store.BackupError as exc:
        fail(f"[red]Sauvegarde impossible[/red] : {escape(str(exc))}", 1)
    contents = f" ({_summary(made.counts)})" if made.counts else ""
    out.print(
        f"Sauvegarde vérifiée : {escape(str(made.path))}, {made.size / 1e6:.1f} Mo, schéma {made.revision}{contents}."
    )
    if removed:
        out.print(f"{len(removed)} ancienne(s) sauvegarde(s) supprimée(s) (garde {keep_daily} j, {keep_weekly} sem.).")


def restore(
    source: Annotated[Path, typer.Argument(help="fichier de sauvegarde (vigicommerce-….db ou .dump)")],
    config: ConfigOption = None,
    yes: YesOption = False,
) -> None:
    """Remplace la base par une sauvegarde ; refusé tant que la passerelle tourne."""
    from gateway.storage import backup as store  # noqa: PLC0415

    settings = load(config)
    try:
        checked = store.inspect(source)
    except store.BackupError as exc:
        fail(f"[red]Restauration refusée[/red] : {escape(str(exc))}")
    contents = f", {_summary(checked.counts)}" if checked.counts else ""
    made = datetime.fromtimestamp(source.stat().st_mtime, UTC)
    out.print(
        f"Sauvegarde {escape(str(source))} du {local_time(settings, made)} : intégrité vérifiée, "
        f"schéma {checked.revision}{contents}."
    )
    if not yes:
        confirm("Remplacer la base actuelle par cette sauvegarde ? (l'actuelle est conservée à côté)")
    try:
        done = store.restore(settings.database.url, source, datetime.now(UTC))
    except store.BackupError as exc:
        fail(f"[red]Restauration refusée[/red] : {escape(str(exc))}", 1)
    out.print("Base restaurée.")
    if done.kept_aside is not None:
        out.print(f"L'ancienne base est conservée dans {escape(str(done.kept_aside))}.")
    if done.needs_upgrade:
        out.print("Schéma plus ancien que ce programme : lancez « vigicommerce db upgrade » avant la passerelle.")
