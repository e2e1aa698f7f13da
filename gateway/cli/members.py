"""``vigicommerce members …``: the register of members."""

from __future__ import annotations

import enum
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn
from rich.table import Table

from gateway.cli.common import (
    ConfigOption,
    JsonOption,
    LimitOption,
    OperatorOption,
    YesOption,
    confirm,
    database,
    domain_errors,
    err,
    fail,
    local_date,
    local_time,
    now_utc,
    operator_name,
    out,
    read_sessions,
    sessions,
)
from gateway.cli.loader import load
from gateway.config import GatewayConfig

if TYPE_CHECKING:
    from gateway.registry.models import Member

app = typer.Typer(no_args_is_help=True, help="Registre des adhérents.")
MAX_ERRORS_SHOWN = 50


def load_reference(settings: GatewayConfig, data_dir: Path) -> None:
    from gateway.registry.reference import load_reference as upsert  # noqa: PLC0415

    with database(settings) as engine, sessions(engine).begin() as session:
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
    operator: OperatorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Importe (ou met à jour) les adhérents depuis un CSV : tout ou rien, sauf --partial."""
    from gateway.registry.csv_io import import_members  # noqa: PLC0415

    settings = load(config)
    if not csv_file.is_file():
        err.print(f"[red]Fichier introuvable[/red] : {csv_file}")
        raise typer.Exit(2)
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

        with sessions(engine)() as session:
            report = import_members(
                session,
                csv_file,
                today=local_date(settings, now),
                now=now,
                actor=operator_name(operator),
                dry_run=dry_run,
                partial=partial,
                on_progress=on_progress,
                settings=settings.registry,
            )
    errors = [{"line": e.line, "siren": e.siren, "reason": e.reason} for e in report.errors]
    if as_json:
        out.print(
            json.dumps(
                {
                    "total": report.total,
                    "created": report.created,
                    "updated": report.updated,
                    "unchanged": report.unchanged,
                    "committed": report.committed,
                    "errors": errors,
                }
            )
        )
    else:
        verb = "vérifiées (rien écrit)" if dry_run else ("importées" if report.committed else "NON importées")
        out.print(
            f"{report.total} lignes {verb} : {report.created} créées, {report.updated} mises à jour, "
            f"{report.unchanged} inchangées, {len(errors)} en erreur."
        )
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


class StatusChoice(enum.StrEnum):
    active = "active"
    expired = "expired"
    suspended = "suspended"
    withdrawn = "withdrawn"


STATUS_LABELS = {"active": "actif", "expired": "expiré", "suspended": "suspendu", "withdrawn": "retiré"}
SirenArg = Annotated[
    str,
    typer.Argument(
        metavar="SIRET",
        help="SIRET de l'établissement (14 chiffres), ou SIREN (9) s'il est le seul de son entreprise "
        "ou le seul sans SIRET",
    ),
]
ReasonOption = Annotated[str, typer.Option("--reason", help="motif, inscrit au journal d'audit")]


def _siren(value: str) -> str:
    """The establishment's SIRET or SIREN, or exit 2 saying what is wrong with it (before any database access)."""
    from gateway.registry.siren import parse_key  # noqa: PLC0415

    with domain_errors():
        return parse_key(value).text


def member_dict(member: Member) -> dict[str, Any]:
    """A member as plain JSON-ready data (numbers in E.164, with the time a number was withdrawn)."""
    return {
        "key": member.key,
        "siren": member.siren,
        "siret": member.siret,
        "name": member.name,
        "category": member.category_id,
        "zone": member.zone_id,
        "street": member.street.name if member.street is not None else None,
        "address": member.address,
        "contact": member.contact,
        "status": member.status.value,
        "registered_on": member.registered_on.isoformat(),
        "expires_on": member.expires_on.isoformat(),
        "consent_at": member.consent_at.isoformat() if member.consent_at else None,
        "withdrawn_at": member.withdrawn_at.isoformat() if member.withdrawn_at else None,
        "phones": [
            {
                "e164": p.e164,
                "withdrawn_at": p.withdrawn_at.isoformat() if p.withdrawn_at else None,
                "is_test": p.is_test,
            }
            for p in member.phones
        ],
    }


@app.command("list")
def list_(  # noqa: PLR0917 - typer declares options as parameters
    zone: Annotated[str | None, typer.Option("--zone", help="quartier (identifiant, ex. marigot)")] = None,
    status: Annotated[StatusChoice | None, typer.Option("--status", help="statut de l'inscription")] = None,
    search: Annotated[str | None, typer.Option("--search", help="texte cherché dans le nom ou le contact")] = None,
    siren: Annotated[str | None, typer.Option("--siren", help="début du SIREN ou du SIRET")] = None,
    phone: Annotated[str | None, typer.Option("--phone", help="un numéro, écrit comme vous voulez")] = None,
    limit: LimitOption = 100,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Cherche des adhérents (tous les critères à la fois), triés par nom."""
    from gateway.registry.members import search_members  # noqa: PLC0415
    from gateway.registry.models import MemberStatus  # noqa: PLC0415

    settings = load(config)
    with database(settings) as engine, domain_errors(), read_sessions(engine).begin() as session:
        found = search_members(
            session,
            text=search,
            siren=siren,
            phone=phone,
            zone=zone,
            status=MemberStatus(status.value) if status else None,
            limit=limit,
            settings=settings.registry,
        )
        rows = [member_dict(m) for m in found]
    if as_json:
        out.print_json(json.dumps(rows, ensure_ascii=False))
        return
    if not rows:
        out.print("Aucun adhérent ne correspond.")
        return
    table = Table()
    for title in ("SIRET / SIREN", "nom", "catégorie", "quartier", "statut", "expire le", "numéros"):
        # Keys and dates must stay whole; names may wrap.
        table.add_column(title, no_wrap=title != "nom")
    for m in rows:
        table.add_row(
            m["key"],
            escape(m["name"]),
            m["category"],
            m["zone"],
            STATUS_LABELS[m["status"]],
            _day(m["expires_on"]),
            str(sum(1 for p in m["phones"] if p["withdrawn_at"] is None)),
        )
    out.print(table)
    if len(rows) == limit:
        err.print(f"(limité à {limit} lignes : précisez la recherche ou utilisez --limit)")


def _day(iso: str) -> str:
    year, month, day = iso.split("-")
    return f"{day}/{month}/{year}"


@app.command("show")
def show(siren: SirenArg, config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """Un adhérent : coordonnées, numéros, statut, date d'expiration."""
    from gateway.registry.members import get_member  # noqa: PLC0415

    settings = load(config)
    key = _siren(siren)
    with database(settings) as engine, domain_errors(), read_sessions(engine).begin() as session:
        data = member_dict(get_member(session, key))
    if as_json:
        out.print_json(json.dumps(data, ensure_ascii=False))
        return
    table = Table(show_header=False, box=None)
    for label, value in (
        ("SIRET", data["siret"] or "(inconnu)"),
        ("SIREN", data["siren"]),
        ("nom", data["name"]),
        ("catégorie", data["category"]),
        ("quartier", data["zone"]),
        ("rue", data["street"] or ""),
        ("adresse", data["address"]),
        ("contact", data["contact"]),
        ("statut", STATUS_LABELS[data["status"]]),
        ("inscrit le", _day(data["registered_on"])),
        ("expire le", _day(data["expires_on"])),
    ):
        table.add_row(f"[bold]{label}[/bold]", escape(value))
    for phone in data["phones"]:
        withdrawn = phone["withdrawn_at"]
        state = f"retiré le {local_time(settings, _parse(withdrawn))}" if withdrawn else "reçoit les alertes"
        table.add_row("[bold]numéro[/bold]", f"{phone['e164']} ({state})")
    if data["withdrawn_at"]:
        table.add_row("[bold]retiré le[/bold]", local_time(settings, _parse(data["withdrawn_at"])))
    out.print(table)


def _parse(iso: str) -> datetime:
    return datetime.fromisoformat(iso)


@app.command("export")
def export(
    csv_file: Annotated[Path | None, typer.Argument(help="fichier à écrire (défaut : la sortie standard)")] = None,
    status: Annotated[list[StatusChoice] | None, typer.Option("--status", help="seulement ces statuts")] = None,
    config: ConfigOption = None,
) -> None:
    """Exporte les adhérents au format d'import (data/members-sample.csv)."""
    from gateway.registry.csv_io import export_members  # noqa: PLC0415
    from gateway.registry.models import MemberStatus  # noqa: PLC0415

    settings = load(config)
    statuses = [MemberStatus(s.value) for s in status] if status else None
    with database(settings) as engine, domain_errors(), read_sessions(engine).begin() as session:
        if csv_file is None:
            count = export_members(session, sys.stdout, statuses=statuses)
        else:
            # Written beside the target and renamed: a failed export never leaves half a file behind.
            partial_file = csv_file.with_name(csv_file.name + ".partial")
            try:
                with partial_file.open("w", encoding="utf-8", newline="") as stream:
                    count = export_members(session, stream, statuses=statuses)
                partial_file.replace(csv_file)
            except OSError as exc:
                partial_file.unlink(missing_ok=True)
                fail(f"[red]Écriture impossible[/red] : {escape(str(exc))}")
    err.print(f"{count} adhérent(s) exporté(s)" + (f" dans {csv_file}." if csv_file else "."))


@app.command("renew")
def renew(
    siren: SirenArg, operator: OperatorOption = None, config: ConfigOption = None, as_json: JsonOption = False
) -> None:
    """Renouvelle une inscription pour la durée configurée (depuis l'ancienne échéance, ou aujourd'hui si passée)."""
    from gateway.registry import members as registry  # noqa: PLC0415

    settings = load(config)
    key = _siren(siren)
    now = now_utc()
    with database(settings) as engine, domain_errors(), sessions(engine).begin() as session:
        old = registry.get_member(session, key).expires_on
        member = registry.renew(
            session,
            key,
            today=local_date(settings, now),
            now=now,
            actor=operator_name(operator),
            settings=settings.registry,
        )
        data = member_dict(member)
    if as_json:
        out.print_json(json.dumps({**data, "old_expires_on": old.isoformat()}, ensure_ascii=False))
        return
    out.print(
        f"{escape(data['name'])} ({data['key']}) renouvelé : échéance {_day(old.isoformat())} → "
        f"{_day(data['expires_on'])}, statut {STATUS_LABELS[data['status']]}."
    )


@app.command("withdraw")
def withdraw(  # noqa: PLR0917 - typer declares options as parameters
    siren: Annotated[
        str | None, typer.Argument(metavar="SIRET", help="SIRET (ou SIREN) de l'établissement qui quitte le dispositif")
    ] = None,
    number: Annotated[
        str | None, typer.Option("--number", help="retirer ce numéro seulement (de tous les adhérents qui l'ont)")
    ] = None,
    reason: ReasonOption = "",
    operator: OperatorOption = None,
    yes: YesOption = False,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Retire un établissement (SIRET) ou un numéro (--number) : plus aucune alerte, dès maintenant."""
    if (siren is None) == (number is None):
        fail("[red]Erreur[/red] : donnez un SIRET (ou SIREN) ou --number NUMÉRO (l'un des deux).")
    settings = load(config)
    if number is not None:
        _withdraw_number(settings, number, reason or "CLI", operator, yes=yes, as_json=as_json)
        return
    from gateway.registry.members import get_member, withdraw_member  # noqa: PLC0415

    key = _siren(siren or "")
    with database(settings) as engine, domain_errors():
        with read_sessions(engine).begin() as session:
            before = member_dict(get_member(session, key))
        if before["status"] == "withdrawn":
            out.print(f"{escape(before['name'])} ({key}) est déjà retiré : rien à faire.")
            return
        if not yes:
            confirm(f"Retirer {before['name']} ({key}) et ses {len(before['phones'])} numéro(s) des alertes ?")
        with sessions(engine).begin() as session:
            data = member_dict(
                withdraw_member(session, key, now=now_utc(), actor=operator_name(operator), reason=reason)
            )
    if as_json:
        out.print_json(json.dumps(data, ensure_ascii=False))
        return
    out.print(f"{escape(data['name'])} ({key}) retiré : il ne recevra plus d'alertes.")


def _withdraw_number(
    settings: GatewayConfig, number: str, reason: str, operator: str | None, *, yes: bool, as_json: bool
) -> None:
    from sqlalchemy import select  # noqa: PLC0415

    from gateway.registry.members import withdraw_number  # noqa: PLC0415
    from gateway.registry.models import MemberPhone  # noqa: PLC0415
    from gateway.registry.phones import parse_phone  # noqa: PLC0415

    reg = settings.registry
    with domain_errors():
        e164 = parse_phone(number, default_region=reg.default_region, test_ranges=reg.test_ranges).e164
    with database(settings) as engine, domain_errors():
        with read_sessions(engine).begin() as session:
            rows = session.scalars(select(MemberPhone).where(MemberPhone.e164 == e164)).all()
            holders = [(p.member.key, p.member.name) for p in rows if p.withdrawn_at is None]
            known = bool(rows)
        if not known:
            fail(
                f"[red]Erreur[/red] : aucun adhérent n'a le numéro {e164} ; vérifiez-le "
                "(vigicommerce members list --phone NUMÉRO)."
            )
        if not holders:
            out.print(f"Le numéro {e164} est déjà retiré : rien à faire.")
            return
        if not yes:
            names = ", ".join(f"{name} ({siren})" for siren, name in holders)
            confirm(f"Retirer le numéro {e164} des alertes de : {names} ?")
        with sessions(engine).begin() as session:
            touched = withdraw_number(session, e164, now=now_utc(), actor=operator_name(operator), reason=reason)
            result = {
                "e164": e164,
                "members": [m.key for m in touched],
                "withdrawn_members": [m.key for m in touched if m.status.value == "withdrawn"],
            }
    if as_json:
        out.print_json(json.dumps(result))
        return
    out.print(f"Numéro {e164} retiré pour {len(result['members'])} adhérent(s).")
    if result["withdrawn_members"]:
        out.print(f"Sans autre numéro, ces adhérents sont retirés : {', '.join(result['withdrawn_members'])}.")


@app.command("suspend")
def suspend(
    siren: SirenArg, reason: ReasonOption = "", operator: OperatorOption = None, config: ConfigOption = None
) -> None:
    """Suspend les alertes d'un adhérent (ex. commerce fermé pour travaux) sans mettre fin à l'inscription."""
    from gateway.registry.members import suspend as suspend_member  # noqa: PLC0415

    settings = load(config)
    key = _siren(siren)
    with database(settings) as engine, domain_errors(), sessions(engine).begin() as session:
        name = suspend_member(session, key, now=now_utc(), actor=operator_name(operator), reason=reason).name
    out.print(f"{escape(name)} ({key}) suspendu : plus d'alertes jusqu'à « vigicommerce members reactivate {key} ».")


@app.command("reactivate")
def reactivate(siren: SirenArg, operator: OperatorOption = None, config: ConfigOption = None) -> None:
    """Met fin à une suspension (l'adhérent redevient actif, ou expiré si son inscription a pris fin)."""
    from gateway.registry.members import reactivate as reactivate_member  # noqa: PLC0415

    settings = load(config)
    key = _siren(siren)
    now = now_utc()
    with database(settings) as engine, domain_errors(), sessions(engine).begin() as session:
        member = reactivate_member(
            session, key, today=local_date(settings, now), now=now, actor=operator_name(operator)
        )
        name, status = member.name, member.status.value
    out.print(f"{escape(name)} ({key}) : statut {STATUS_LABELS[status]}.")


@app.command("data")
def data(
    siren: SirenArg,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="fichier JSON à écrire")] = None,
    operator: OperatorOption = None,
    config: ConfigOption = None,
) -> None:
    """Tout ce que la passerelle détient sur un adhérent (droit d'accès), en JSON ; la consultation est journalisée."""
    from gateway import audit  # noqa: PLC0415
    from gateway.privacy.export import export_member_data  # noqa: PLC0415

    settings = load(config)
    key = _siren(siren)
    now = now_utc()
    with database(settings) as engine, domain_errors(), sessions(engine).begin() as session:
        held = export_member_data(session, key)
        # Reading someone's personal data is itself accountable: who looked, and when.
        audit.record(session, operator_name(operator), "member.data_export", f"member:{key}", 1, now=now)
    text = json.dumps(held, ensure_ascii=False, indent=2)
    if output is None:
        sys.stdout.write(text + "\n")
        return
    try:
        output.write_text(text + "\n", encoding="utf-8")
    except OSError as exc:
        fail(f"[red]Écriture impossible[/red] : {escape(str(exc))}", 1)
    err.print(f"Données de {key} écrites dans {output}.")
