"""``vigicommerce alert …``: preview, send, follow, cancel and list alerts.

The CLI writes alerts straight into the database (one transaction, as the HTTP drop does); a running daemon
picks them up at its next safety wake-up (a couple of seconds) since no in-process notification reaches it.
"""

from __future__ import annotations

import enum
import json
import time
from collections.abc import Callable
from dataclasses import asdict
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn
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
    outbox,
    read_sessions,
    sessions,
)
from gateway.cli.loader import load
from gateway.config import GatewayConfig

if TYPE_CHECKING:
    from rich.console import Console

    from gateway.alerts.models import Alert
    from gateway.alerts.types import AlertProgress, AlertRequest, Preview

app = typer.Typer(no_args_is_help=True, help="Alertes : aperçu, envoi, suivi, annulation.")
ENCODINGS = {"gsm7": "GSM 7 bits", "ucs2": "UCS-2 (70 caractères par SMS)"}
STATUS_LABELS = {"actual": "réelle", "exercise": "EXERCICE", "test": "TEST (opérateurs seulement)"}
TYPE_LABELS = {"alert": "alerte", "update": "mise à jour", "cancel": "fin d'alerte"}
WATCH_INTERVAL = 1.0


# The domain enums (gateway.alerts.models) live with the ORM models; importing those here would load SQLAlchemy
# for every `--help`. These mirror their values and are converted in build_request.
class StatusChoice(enum.StrEnum):
    actual = "actual"
    exercise = "exercise"
    test = "test"


class TypeChoice(enum.StrEnum):
    alert = "alert"
    update = "update"
    cancel = "cancel"


FrOption = Annotated[str, typer.Option("--fr", help="texte en français (obligatoire)")]
EnOption = Annotated[str, typer.Option("--en", help="texte en anglais (facultatif)")]
ZoneOption = Annotated[list[str] | None, typer.Option("--zone", help="quartier visé (répétable)")]
StreetOption = Annotated[list[str] | None, typer.Option("--street", help="rue visée, nom exact (répétable)")]
CategoryOption = Annotated[
    list[str] | None, typer.Option("--category", help="catégorie visée (répétable ; restreint le lieu)")
]
AllOption = Annotated[bool, typer.Option("--all", help="tout le territoire")]
StatusOption = Annotated[StatusChoice, typer.Option("--status", help="actual, exercise ou test")]
TypeOption = Annotated[TypeChoice, typer.Option("--type", help="alert, update ou cancel (fin d'alerte)")]
RefOption = Annotated[int | None, typer.Option("--ref", help="n° de l'alerte d'origine (update, cancel)")]
AlertIdArg = Annotated[int, typer.Argument(help="n° de l'alerte")]


def build_request(  # noqa: PLR0917 - mirrors the command's options
    settings: GatewayConfig,
    fr: str,
    en: str,
    zones: list[str] | None,
    streets: list[str] | None,
    categories: list[str] | None,
    whole: bool,
    status: StatusChoice,
    msg_type: TypeChoice,
    ref: int | None,
    operator: str | None,
) -> AlertRequest:
    """The domain request for the options, or exit 2 on combinations the domain would not explain as well."""
    from gateway.alerts.models import AlertStatus, AlertType  # noqa: PLC0415
    from gateway.alerts.types import AlertRequest, Target  # noqa: PLC0415

    zones, streets, categories = zones or [], streets or [], categories or []
    if msg_type is not TypeChoice.alert:
        if ref is None:
            fail(f"[red]Erreur[/red] : --type {msg_type.value} demande --ref N (le n° de l'alerte d'origine).")
        if zones or streets or categories or whole:
            fail(
                "[red]Erreur[/red] : une mise à jour ou une fin d'alerte va aux destinataires de l'alerte "
                "d'origine ; retirez --zone/--street/--category/--all."
            )
    elif ref is not None:
        fail("[red]Erreur[/red] : --ref ne sert qu'avec --type update ou --type cancel.")
    if status is StatusChoice.test and not settings.operator_numbers:
        fail(
            "[red]Erreur[/red] : une alerte de test ne va qu'aux numéros des opérateurs, et la configuration "
            'n\'en a aucun ; ajoutez operator_numbers = ["+33639980001"] à la configuration.'
        )
    # A street given by its number in the reference list is an id; otherwise it is a name.
    street_keys: list[str | int] = [int(s) if s.isdigit() else s for s in streets]
    return AlertRequest(
        text_fr=fr,
        text_en=en,
        sender=operator_name(operator),
        target=Target(zones=zones, streets=street_keys, categories=categories, whole_territory=whole),
        status=AlertStatus(status.value),
        msg_type=AlertType(msg_type.value),
        references=ref,
    )


def preview_dict(preview: Preview) -> dict[str, Any]:
    return {
        **asdict(preview),
        "ucs2_forced_by": list(preview.ucs2_forced_by),
        "folded": [{"original": a, "replacement": b} for a, b in preview.folded],
        "total_segments": preview.total_segments,
    }


def show_preview(request: AlertRequest, preview: Preview, console: Console) -> None:
    """Members, numbers, segments, encoding and the exact text, for a person to check before sending."""
    kind = f"{TYPE_LABELS[request.msg_type.value]} {STATUS_LABELS[request.status.value]}"
    if request.references is not None:
        kind += f" (se rapporte à l'alerte n° {request.references})"
    console.print(f"[bold]Aperçu[/bold] : {kind}, envoyée par {escape(request.sender)}")
    console.print(f"  adhérents : {preview.members}   numéros : {preview.numbers}")
    console.print(
        f"  SMS par numéro : {preview.segments} ({ENCODINGS.get(preview.encoding, preview.encoding)}, "
        f"{preview.length} caractères) ; {preview.total_segments} SMS au total"
    )
    if preview.ucs2_forced_by:
        chars = " ".join(repr(c) for c in preview.ucs2_forced_by)
        console.print(
            f"  [yellow]les caractères {escape(chars)} imposent l'UCS-2[/yellow] : remplacez-les pour "
            "tenir 160 caractères par SMS au lieu de 70"
        )
    if preview.folded:
        changes = ", ".join(f"{a!r} -> {b!r}" for a, b in preview.folded)
        console.print(f"  repli GSM (texte envoyé en 7 bits) : {escape(changes)}")
    console.rule("texte exact")
    console.print(escape(preview.text), soft_wrap=True, highlight=False)
    console.rule()


@app.command("preview")
def preview(  # noqa: PLR0917 - typer declares options as parameters
    fr: FrOption,
    en: EnOption = "",
    zone: ZoneOption = None,
    street: StreetOption = None,
    category: CategoryOption = None,
    whole: AllOption = False,
    status: StatusOption = StatusChoice.actual,
    msg_type: TypeOption = TypeChoice.alert,
    ref: RefOption = None,
    operator: OperatorOption = None,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Montre ce que l'envoi ferait (adhérents, numéros, SMS, encodage, texte exact) sans rien écrire."""
    from gateway.alerts.fanout import preview_alert  # noqa: PLC0415

    settings = load(config)
    request = build_request(settings, fr, en, zone, street, category, whole, status, msg_type, ref, operator)
    now = now_utc()
    with database(settings) as engine, domain_errors(), read_sessions(engine).begin() as session:
        result = preview_alert(
            session,
            request,
            today=local_date(settings, now),
            text_settings=settings.text,
            operator_numbers=settings.operator_numbers,
        )
    if as_json:
        out.print_json(json.dumps(preview_dict(result), ensure_ascii=False))
        return
    show_preview(request, result, out)


@app.command("send")
def send(  # noqa: PLR0917 - typer declares options as parameters
    fr: FrOption,
    en: EnOption = "",
    zone: ZoneOption = None,
    street: StreetOption = None,
    category: CategoryOption = None,
    whole: AllOption = False,
    status: StatusOption = StatusChoice.actual,
    msg_type: TypeOption = TypeChoice.alert,
    ref: RefOption = None,
    operator: OperatorOption = None,
    key: Annotated[
        str | None, typer.Option("--idempotency-key", help="relancer avec la même clé n'envoie rien deux fois")
    ] = None,
    yes: YesOption = False,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Montre l'aperçu, demande confirmation (sauf --yes), puis envoie : un SMS par numéro ciblé."""
    from gateway.alerts.errors import NoRecipientsError  # noqa: PLC0415
    from gateway.alerts.fanout import create_alert, preview_alert  # noqa: PLC0415

    settings = load(config)
    request = build_request(settings, fr, en, zone, street, category, whole, status, msg_type, ref, operator)
    with database(settings) as engine, domain_errors():
        now = now_utc()
        today = local_date(settings, now)
        with read_sessions(engine).begin() as session:
            seen = preview_alert(
                session, request, today=today, text_settings=settings.text, operator_numbers=settings.operator_numbers
            )
        show_preview(request, seen, err if as_json else out)
        if seen.numbers == 0:
            raise NoRecipientsError(
                "aucun destinataire : la cible ne contient aucun adhérent actif avec un numéro ; "
                "élargissez la cible (vigicommerce members list --zone …)"
            )
        if not yes:
            confirm(f"Envoyer cette alerte à {seen.numbers} numéro(s) ?")
        now = now_utc()
        with sessions(engine)() as session:
            result = create_alert(
                session,
                outbox(engine, settings),
                request,
                now=now,
                today=local_date(settings, now),
                text_settings=settings.text,
                operator_numbers=settings.operator_numbers,
                idempotency_key=key,
            )
    if as_json:
        out.print_json(json.dumps(asdict(result), ensure_ascii=False))
        return
    if not result.created:
        out.print(f"Alerte n° {result.alert_id} déjà envoyée avec cette clé : rien de plus n'est envoyé.")
        return
    out.print(
        f"[green]Alerte n° {result.alert_id} envoyée[/green] : {result.numbers} SMS en file "
        f"({result.members} adhérents). Suivi : vigicommerce alert status {result.alert_id} --watch"
    )


def progress_dict(progress: AlertProgress) -> dict[str, Any]:
    return {**asdict(progress), "percent_done": progress.percent_done}


def alert_dict(alert: Alert) -> dict[str, Any]:
    return {
        "id": alert.id,
        "type": alert.msg_type.value,
        "status": alert.status.value,
        "sender": alert.sender,
        "created_at": alert.created_at.isoformat(),
        "text": alert.text,
        "encoding": alert.encoding,
        "segments": alert.segments,
        "members": alert.members_count,
        "numbers": alert.numbers_count,
        "references": alert.references_id,
        "zones": alert.target_zones,
        "streets": alert.target_streets,
        "categories": alert.target_categories,
        "whole_territory": alert.whole_territory,
        "cancelled_at": alert.cancelled_at.isoformat() if alert.cancelled_at else None,
        "cancelled_by": alert.cancelled_by,
    }


def _rows(progress: AlertProgress) -> list[tuple[str, int]]:
    return [
        ("en file", progress.queued),
        ("en cours d'envoi", progress.sending),
        ("envoyés", progress.sent),
        ("remis", progress.delivered),
        ("en échec", progress.failed),
        ("abandonnés", progress.dead),
        ("annulés", progress.cancelled),
    ]


def _describe(progress: AlertProgress) -> str:
    return " · ".join(f"{label} {count}" for label, count in _rows(progress) if count)


def watch_progress(
    read: Callable[[], AlertProgress],
    console: Console,
    *,
    interval: float = WATCH_INTERVAL,
    sleep: Callable[[float], None] = time.sleep,
) -> AlertProgress:
    """Show a progress bar, re-reading every ``interval`` s, until nothing of the alert is queued or sending."""
    current = read()
    with Progress(
        TextColumn("n° {task.fields[alert]}"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.description}"),
        console=console,
        transient=False,
    ) as bar:
        task = bar.add_task(_describe(current), total=current.total, alert=current.alert_id)
        while True:
            left = current.queued + current.sending
            bar.update(task, completed=current.total - left, total=current.total, description=_describe(current))
            if left == 0:
                return current
            sleep(interval)
            current = read()


@app.command("status")
def status(
    alert_id: AlertIdArg,
    watch: Annotated[
        bool,
        typer.Option(
            "--watch", "-w", help="barre de progression jusqu'à la fin (Ctrl-C : arrêter de suivre, l'alerte continue)"
        ),
    ] = False,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Où en est une alerte : messages en file, envoyés, remis, en échec."""
    from gateway.alerts.tracking import alert_progress, get_alert  # noqa: PLC0415

    settings = load(config)
    with database(settings) as engine, domain_errors():
        reads = read_sessions(engine)
        with reads.begin() as session:
            alert = get_alert(session, alert_id)
            info = alert_dict(alert)
            progress = alert_progress(session, alert_id)

        def read() -> AlertProgress:
            with reads.begin() as session:
                return alert_progress(session, alert_id)

        if watch and not as_json:
            _header(settings, alert, out)
            try:
                progress = watch_progress(read, out)
            except KeyboardInterrupt:
                err.print(
                    "Suivi interrompu ; l'alerte continue (vigicommerce alert status "
                    f"{alert_id} --watch pour reprendre)."
                )
                return
            out.print(f"Terminé : {progress.percent_done} % traités.")
            return
    if as_json:
        out.print_json(json.dumps({"alert": info, "progress": progress_dict(progress)}, ensure_ascii=False))
        return
    _header(settings, alert, out)
    table = Table("état", "messages")
    for label, count in _rows(progress):
        table.add_row(label, str(count))
    table.add_row("[bold]total[/bold]", str(progress.total))
    out.print(table)
    out.print(f"Traités : {progress.percent_done} %")


def _header(settings: GatewayConfig, alert: Alert, console: Console) -> None:
    console.print(
        f"[bold]Alerte n° {alert.id}[/bold] ({TYPE_LABELS[alert.msg_type.value]} "
        f"{STATUS_LABELS[alert.status.value]}) du {local_time(settings, alert.created_at)} par "
        f"{escape(alert.sender)} : {alert.numbers_count} numéros, {alert.members_count} adhérents"
    )
    if alert.cancelled_at is not None:
        console.print(
            f"[yellow]Annulée le {local_time(settings, alert.cancelled_at)} par "
            f"{escape(alert.cancelled_by or '?')}[/yellow]"
        )
    console.print(escape(alert.text), soft_wrap=True, highlight=False)


@app.command("cancel")
def cancel(
    alert_id: AlertIdArg,
    operator: OperatorOption = None,
    yes: YesOption = False,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Annule une alerte : ce qui n'est pas encore parti ne partira pas."""
    from gateway.alerts.tracking import alert_progress, cancel_alert, get_alert  # noqa: PLC0415

    settings = load(config)
    with database(settings) as engine, domain_errors():
        with read_sessions(engine).begin() as session:
            alert = get_alert(session, alert_id)
            progress = alert_progress(session, alert_id)
        if not yes:
            _header(settings, alert, err)
            confirm(f"Annuler l'alerte n° {alert_id} ({progress.queued + progress.sending} SMS pas encore partis) ?")
        with sessions(engine)() as session:
            result = cancel_alert(
                session, outbox(engine, settings), alert_id, now=now_utc(), actor=operator_name(operator)
            )
    if as_json:
        out.print_json(json.dumps(asdict(result)))
        return
    out.print(
        f"Alerte n° {alert_id} annulée : {result.cancelled} SMS ne partiront pas"
        + (
            f", {result.pending} en cours d'envoi sur un modem (annulés s'ils ne sont pas déjà partis)."
            if result.pending
            else "."
        )
    )


@app.command("list")
def list_(
    limit: LimitOption = 20,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Les dernières alertes, la plus récente d'abord."""
    from gateway.alerts.tracking import list_alerts  # noqa: PLC0415

    settings = load(config)
    with database(settings) as engine, domain_errors(), read_sessions(engine).begin() as session:
        found = list_alerts(session, limit=limit)
        alerts = [alert_dict(a) for a in found]
        created = {a.id: local_time(settings, a.created_at) for a in found}
    if as_json:
        out.print_json(json.dumps(alerts, ensure_ascii=False))
        return
    if not alerts:
        out.print("Aucune alerte.")
        return
    table = Table("n°", "date", "type", "statut", "par", "numéros", "texte")
    for a in alerts:
        kind = TYPE_LABELS[a["type"]] + (f" de {a['references']}" if a["references"] else "")
        text = a["text"].replace("\n", " ")
        table.add_row(
            str(a["id"]),
            created[a["id"]],
            kind + (" (annulée)" if a["cancelled_at"] else ""),
            STATUS_LABELS[a["status"]],
            escape(a["sender"]),
            str(a["numbers"]),
            escape(text[:60] + ("…" if len(text) > 60 else "")),
        )
    out.print(table)
