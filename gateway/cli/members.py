"""``vigicommerce members …``: the register of establishments, over :mod:`gateway.usecases.members`.

An establishment is named by its SIRET, or by its SIREN when that names one (docs/register.md).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from gateway.cli import member_files
from gateway.cli.common import (
    ConfigOption,
    JsonOption,
    LimitOption,
    OperatorOption,
    YesOption,
    confirm,
    database,
    domain_errors,
    emit_json,
    err,
    fail,
    local_date,
    local_time,
    local_zone_caption,
    now_utc,
    operator_name,
    out,
)
from gateway.cli.loader import load
from gateway.cli.member_files import StatusChoice, store_for
from gateway.config import GatewayConfig

if TYPE_CHECKING:
    from gateway.usecases.members import MemberView

app = typer.Typer(no_args_is_help=True, help="Registre des adhérents (établissements).")
app.command("reference")(member_files.reference)
app.command("import")(member_files.import_file)
app.command("export")(member_files.export)
load_reference = member_files.load_reference


KeyArg = Annotated[
    str,
    typer.Argument(
        metavar="SIRET",
        help="SIRET de l'établissement (14 chiffres), ou SIREN (9) s'il est le seul de son entreprise "
        "ou le seul sans SIRET",
    ),
]
ReasonOption = Annotated[str, typer.Option("--reason", help="motif, inscrit au journal d'audit")]
STATUS_HELP = "statut de l'inscription : active (actif), expired (expiré), suspended (suspendu), withdrawn (retiré)"


def _key(value: str) -> str:
    """The establishment's SIRET or SIREN, or exit 2 saying what is wrong with it (before any database access)."""
    from gateway.registry.siren import parse_key  # noqa: PLC0415

    with domain_errors():
        return parse_key(value).text


def _day(value: date) -> str:
    return f"{value:%d/%m/%Y}"


@app.command("list")
def list_(  # noqa: PLR0917 - typer declares options as parameters
    zone: Annotated[str | None, typer.Option("--zone", help="quartier (nom ou identifiant)")] = None,
    status: Annotated[StatusChoice | None, typer.Option("--status", help=STATUS_HELP)] = None,
    search: Annotated[str | None, typer.Option("--search", help="texte cherché dans le nom ou le contact")] = None,
    siren: Annotated[str | None, typer.Option("--siren", help="début du SIREN ou du SIRET")] = None,
    phone: Annotated[str | None, typer.Option("--phone", help="un numéro, écrit comme vous voulez")] = None,
    limit: LimitOption = 100,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Cherche des établissements (tous les critères à la fois), triés par nom."""
    from gateway.registry.models import MemberStatus  # noqa: PLC0415
    from gateway.usecases import members  # noqa: PLC0415

    settings = load(config)
    with database(settings) as engine, domain_errors():
        found = members.search(
            store_for(engine),
            today=local_date(settings, now_utc()),
            settings=settings.registry,
            text=search,
            siren=siren,
            phone=phone,
            zone=zone,
            status=MemberStatus(status.value) if status else None,
            limit=limit,
        )
    if as_json:
        emit_json([m.to_dict() for m in found])
        return
    if not found:
        out.print("Aucun adhérent ne correspond.")
        return
    # Keys and dates stay whole; the name keeps a readable width on an 80-column terminal and wraps.
    table = Table(pad_edge=False)
    table.add_column("SIRET / SIREN", no_wrap=True)
    table.add_column("nom", min_width=20, ratio=3)
    table.add_column("quartier", ratio=1)
    table.add_column("statut", no_wrap=True)
    table.add_column("expire le", no_wrap=True)
    table.add_column("n°", justify="right", no_wrap=True)
    for m in found:
        table.add_row(
            m.key,
            escape(m.name),
            escape(m.zone_name),
            m.status_label,
            _day(m.expires_on),
            str(sum(1 for p in m.phones if p.withdrawn_at is None)),
        )
    out.print(table)
    if len(found) == limit:
        err.print(f"(limité à {limit} lignes : précisez la recherche ou utilisez --limit)")


@app.command("show")
def show(key: KeyArg, config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """Un établissement : coordonnées, numéros et leur état, statut, échéance, s'il reçoit les alertes."""
    from gateway.usecases import members  # noqa: PLC0415

    settings = load(config)
    siret = _key(key)
    with database(settings) as engine, domain_errors():
        member = members.show(store_for(engine), siret, today=local_date(settings, now_utc()))
    if as_json:
        emit_json(member.to_dict())
        return
    _print_member(settings, member)


def _print_member(settings: GatewayConfig, m: MemberView) -> None:
    table = Table(show_header=False, box=None, caption=local_zone_caption(settings))
    alerts = "reçoit les alertes" if m.receives_alerts else f"ne reçoit pas les alertes ({m.not_receiving_because})"
    for label, value in (
        ("SIRET", m.siret or "(inconnu : établissement connu par son SIREN)"),
        ("SIREN", m.siren),
        ("nom", m.name),
        ("catégorie", m.category_label),
        ("quartier", m.zone_name),
        ("rue", m.street or ""),
        ("adresse", m.address),
        ("contact", m.contact),
        ("statut", m.status_label),
        ("alertes", alerts),
        ("inscrit le", _day(m.registered_on)),
        ("expire le", _day(m.expires_on)),
        ("consentement", local_time(settings, m.consent_at)),
    ):
        table.add_row(f"[bold]{label}[/bold]", escape(value))
    for phone in m.phones:
        state = phone.state
        if phone.withdrawn_at is not None:
            state = f"retiré le {local_time(settings, phone.withdrawn_at)}"
        table.add_row("[bold]numéro[/bold]", f"{phone.e164} ({state})")
    if m.withdrawn_at:
        table.add_row("[bold]retiré le[/bold]", local_time(settings, m.withdrawn_at))
    out.print(table)


@app.command("renew")
def renew(
    key: KeyArg,
    force: Annotated[
        bool, typer.Option("--force", help="renouveler encore même s'il l'a déjà été aujourd'hui")
    ] = False,
    operator: OperatorOption = None,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Renouvelle une inscription (depuis l'ancienne échéance, ou aujourd'hui si passée) ; une fois par jour."""
    from gateway.usecases import members  # noqa: PLC0415

    settings = load(config)
    siret = _key(key)
    now = now_utc()
    with database(settings) as engine, domain_errors():
        renewal = members.renew(
            store_for(engine),
            siret,
            actor=operator_name(operator),
            now=now,
            today=local_date(settings, now),
            settings=settings.registry,
            force=force,
        )
    m = renewal.member
    if as_json:
        emit_json({**m.to_dict(), "old_expires_on": renewal.old_expires_on.isoformat(), "renewed": renewal.renewed})
        return
    if not renewal.renewed:
        out.print(
            f"{escape(m.name)} ({m.key}) a déjà été renouvelé aujourd'hui : échéance {_day(m.expires_on)}, "
            "rien de changé (--force pour renouveler encore)."
        )
        return
    out.print(
        f"{escape(m.name)} ({m.key}) renouvelé : échéance {_day(renewal.old_expires_on)} → "
        f"{_day(m.expires_on)}, statut {m.status_label}."
    )


@app.command("withdraw")
def withdraw(  # noqa: PLR0917 - typer declares options as parameters
    key: Annotated[
        str | None, typer.Argument(metavar="SIRET", help="SIRET (ou SIREN) de l'établissement qui quitte le dispositif")
    ] = None,
    number: Annotated[
        str | None,
        typer.Option("--number", help="retirer ce numéro seulement (de tous les établissements qui l'ont)"),
    ] = None,
    reason: ReasonOption = "",
    operator: OperatorOption = None,
    yes: YesOption = False,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Retire un établissement (SIRET) ou un numéro (--number) : plus aucune alerte, dès maintenant."""
    if (key is None) == (number is None):
        fail("[red]Erreur[/red] : donnez un SIRET (ou SIREN) ou --number NUMÉRO (l'un des deux).")
    settings = load(config)
    if number is not None:
        _withdraw_number(settings, number, reason or "CLI", operator, yes=yes, as_json=as_json)
        return
    from gateway.usecases import members  # noqa: PLC0415

    siret = _key(key or "")
    now = now_utc()
    today = local_date(settings, now)
    with database(settings) as engine, domain_errors():
        store = store_for(engine)
        before = members.show(store, siret, today=today)
        if before.status.value == "withdrawn":
            if as_json:
                emit_json({**before.to_dict(), "changed": False})
            else:
                out.print(f"{escape(before.name)} ({before.key}) est déjà retiré : rien à faire.")
            return
        if not yes:
            confirm(f"Retirer {before.name} ({before.key}) et ses {len(before.phones)} numéro(s) des alertes ?")
        change = members.withdraw(store, siret, actor=operator_name(operator), now=now, today=today, reason=reason)
    m = change.member
    if as_json:
        emit_json({**m.to_dict(), "changed": change.changed})
        return
    out.print(f"{escape(m.name)} ({m.key}) retiré : il ne recevra plus d'alertes.")


def _withdraw_number(
    settings: GatewayConfig, number: str, reason: str, operator: str | None, *, yes: bool, as_json: bool
) -> None:
    from gateway.usecases import members  # noqa: PLC0415

    reg = settings.registry
    with database(settings) as engine, domain_errors():
        store = store_for(engine)
        holders = members.number_holders(store, number, settings=reg)
        if not holders.known:
            fail(
                f"[red]Erreur[/red] : aucun adhérent n'a le numéro {holders.e164} ; vérifiez-le "
                "(vigicommerce members list --phone NUMÉRO)."
            )
        if not holders.active:
            if as_json:
                emit_json({"e164": holders.e164, "members": [], "withdrawn_members": [], "changed": False})
            else:
                out.print(f"Le numéro {holders.e164} est déjà retiré : rien à faire.")
            return
        if not yes:
            names = ", ".join(f"{name} ({key})" for key, name in holders.active)
            confirm(f"Retirer le numéro {holders.e164} des alertes de : {names} ?")
        done = members.withdraw_number(
            store, number, actor=operator_name(operator), now=now_utc(), settings=reg, reason=reason
        )
    if as_json:
        emit_json(
            {
                "e164": done.e164,
                "members": list(done.members),
                "withdrawn_members": list(done.withdrawn_members),
                "changed": True,
            }
        )
        return
    out.print(f"Numéro {done.e164} retiré pour {len(done.members)} établissement(s).")
    if done.withdrawn_members:
        out.print(f"Sans autre numéro, ces établissements sont retirés : {', '.join(done.withdrawn_members)}.")


@app.command("suspend")
def suspend(
    key: KeyArg,
    reason: ReasonOption = "",
    operator: OperatorOption = None,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Suspend les alertes d'un établissement (ex. fermé pour travaux) sans mettre fin à l'inscription."""
    from gateway.usecases import members  # noqa: PLC0415

    settings = load(config)
    siret = _key(key)
    now = now_utc()
    with database(settings) as engine, domain_errors():
        change = members.suspend(
            store_for(engine),
            siret,
            actor=operator_name(operator),
            now=now,
            today=local_date(settings, now),
            reason=reason,
        )
    m = change.member
    if as_json:
        emit_json({**m.to_dict(), "changed": change.changed})
        return
    if not change.changed:
        out.print(f"{escape(m.name)} ({m.key}) était déjà suspendu : rien à faire.")
        return
    out.print(
        f"{escape(m.name)} ({m.key}) suspendu : plus d'alertes jusqu'à « vigicommerce members reactivate {m.key} »."
    )


@app.command("reactivate")
def reactivate(
    key: KeyArg, operator: OperatorOption = None, config: ConfigOption = None, as_json: JsonOption = False
) -> None:
    """Met fin à une suspension (l'établissement redevient actif, ou expiré si son inscription a pris fin)."""
    from gateway.usecases import members  # noqa: PLC0415

    settings = load(config)
    siret = _key(key)
    now = now_utc()
    with database(settings) as engine, domain_errors():
        m = members.reactivate(
            store_for(engine), siret, actor=operator_name(operator), now=now, today=local_date(settings, now)
        )
    if as_json:
        emit_json(m.to_dict())
        return
    out.print(f"{escape(m.name)} ({m.key}) : statut {m.status_label}.")


def _parse_day(value: str) -> date:
    from gateway.registry.csv_io import parse_day  # noqa: PLC0415
    from gateway.registry.errors import RegistryError  # noqa: PLC0415

    try:
        return parse_day(value, date.max)
    except RegistryError:
        fail(f"[red]Erreur[/red] : date invalide « {escape(value)} » ; écrivez-la JJ/MM/AAAA.")


@app.command("rejoin")
def rejoin(  # noqa: PLR0917 - typer declares options as parameters
    key: KeyArg,
    consent: Annotated[
        str,
        typer.Option("--consent", help="date de la nouvelle demande signée à la CCISM (JJ/MM/AAAA)"),
    ],
    number: Annotated[
        list[str] | None,
        typer.Option(
            "--number", help="numéro à réinscrire (répétable) ; un numéro qui a dit STOP ne revient que s'il est cité"
        ),
    ] = None,
    operator: OperatorOption = None,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Réinscrit un établissement retiré (nouvelle inscription de trois ans) ou des numéros qui ont dit STOP."""
    from gateway.usecases import members  # noqa: PLC0415

    settings = load(config)
    siret = _key(key)
    consent_on = _parse_day(consent)
    now = now_utc()
    with database(settings) as engine, domain_errors():
        m = members.rejoin(
            store_for(engine),
            siret,
            consent_on=consent_on,
            numbers=number or (),
            actor=operator_name(operator),
            now=now,
            today=local_date(settings, now),
            settings=settings.registry,
        )
    if as_json:
        emit_json(m.to_dict())
        return
    receiving = [p.e164 for p in m.phones if p.receives_alerts]
    out.print(
        f"{escape(m.name)} ({m.key}) réinscrit (consentement du {_day(consent_on)}) : statut {m.status_label}, "
        f"échéance {_day(m.expires_on)} ; numéros qui recevront les alertes : {', '.join(receiving) or 'aucun'}."
    )


@app.command("data")
def data(
    key: KeyArg,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="fichier JSON à écrire")] = None,
    operator: OperatorOption = None,
    config: ConfigOption = None,
) -> None:
    """Tout ce que la passerelle détient sur un établissement (droit d'accès), en JSON ; la consultation est
    journalisée."""
    import json  # noqa: PLC0415

    from gateway.usecases import members  # noqa: PLC0415

    settings = load(config)
    siret = _key(key)
    with database(settings) as engine, domain_errors():
        held = members.personal_data(store_for(engine), siret, actor=operator_name(operator), now=now_utc())
    if output is None:
        emit_json(held)
        return
    try:
        output.write_text(json.dumps(held, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        fail(f"[red]Écriture impossible[/red] : {escape(str(exc))}", 1)
    err.print(f"Données de {siret} écrites dans {output}.")
