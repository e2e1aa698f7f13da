"""``vigicommerce zones|streets|categories``: the names alerts and members are given, with member counts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from gateway.cli.common import (
    ConfigOption,
    JsonOption,
    database,
    domain_errors,
    emit_json,
    local_date,
    now_utc,
    out,
)
from gateway.cli.loader import load

if TYPE_CHECKING:
    from gateway.usecases.reference import Entry

COUNT_HELP = "« reçoivent » : établissements qu'une alerte envoyée aujourd'hui atteint ; « inscrits » : tous statuts."


def _render(entries: list[Entry], *, title: str, with_zone: bool = False) -> None:
    table = Table(title=title, caption=COUNT_HELP)
    table.add_column("nom")
    table.add_column("identifiant", no_wrap=True)
    if with_zone:
        table.add_column("quartier")
    table.add_column("reçoivent", justify="right")
    table.add_column("inscrits", justify="right")
    for e in entries:
        cells = [escape(e.name), e.id] + ([escape(e.zone_name)] if with_zone else [])
        table.add_row(*cells, str(e.receiving), str(e.members))
    out.print(table)


def zones(config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """Quartiers (zones d'alerte), avec le nombre d'établissements de chacun."""
    from gateway.usecases import Store, reference  # noqa: PLC0415

    settings = load(config)
    with database(settings) as engine, domain_errors():
        found = reference.zones(Store.for_engine(engine), today=local_date(settings, now_utc()))
    if as_json:
        emit_json([e.to_dict() for e in found])
        return
    _render(found, title="Quartiers")


def streets(
    zone: Annotated[
        str | None, typer.Option("--zone", help="seulement les rues de ce quartier (nom ou identifiant)")
    ] = None,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Rues, par quartier, avec le nombre d'établissements de chacune."""
    from gateway.usecases import Store, reference  # noqa: PLC0415

    settings = load(config)
    with database(settings) as engine, domain_errors():
        found = reference.streets(Store.for_engine(engine), today=local_date(settings, now_utc()), zone=zone)
    if as_json:
        emit_json([e.to_dict() for e in found])
        return
    _render(found, title="Rues", with_zone=True)


def categories(config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """Catégories d'activité, avec le nombre d'établissements de chacune."""
    from gateway.usecases import Store, reference  # noqa: PLC0415

    settings = load(config)
    with database(settings) as engine, domain_errors():
        found = reference.categories(Store.for_engine(engine), today=local_date(settings, now_utc()))
    if as_json:
        emit_json([e.to_dict() for e in found])
        return
    _render(found, title="Catégories")
