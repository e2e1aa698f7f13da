"""``vigicommerce campaign …`` and ``vigicommerce daily …``: re-registration campaigns and the daily job."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date, datetime
from typing import Annotated

import typer
from rich.markup import escape

from gateway.cli.common import (
    ConfigOption,
    JsonOption,
    OperatorOption,
    YesOption,
    confirm,
    database,
    domain_errors,
    err,
    fail,
    local_date,
    now_utc,
    operator_name,
    out,
    outbox,
    sessions,
)
from gateway.cli.loader import load

campaign_app = typer.Typer(no_args_is_help=True, help="Campagnes de réinscription.")
daily_app = typer.Typer(no_args_is_help=True, help="Tâche quotidienne (expirations, rappels, purge).")
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y")


def parse_day(value: str, option: str) -> date:
    """A date written 2027-03-31 or 31/03/2027, or exit 2 saying how to write it."""
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(value.strip(), fmt).date()
        except ValueError:
            continue
    fail(f"[red]Date invalide[/red] pour {option} : « {escape(value)} » ; écrivez 2027-03-31 ou 31/03/2027.")


def _fr(day: date) -> str:
    return day.strftime("%d/%m/%Y")


@campaign_app.command("reregistration")
def reregistration(  # noqa: PLR0917 - typer declares options as parameters
    ends_from: Annotated[str, typer.Option("--from", help="inscriptions qui prennent fin à partir du …")],
    ends_to: Annotated[str, typer.Option("--to", help="… jusqu'au (inclus)")],
    window_from: Annotated[
        str | None, typer.Option("--window-from", help="ouverture des réinscriptions (défaut : aujourd'hui)")
    ] = None,
    window_to: Annotated[
        str | None, typer.Option("--window-to", help="clôture des réinscriptions (défaut : la date --to)")
    ] = None,
    fr: Annotated[str | None, typer.Option("--fr", help="texte français (défaut : le texte type)")] = None,
    en: Annotated[str, typer.Option("--en", help="texte anglais, avec --fr")] = "",
    operator: OperatorOption = None,
    yes: YesOption = False,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Annonce la période de réinscription par SMS (en journée) aux adhérents dont l'inscription prend fin
    dans la période donnée."""
    from gateway.campaigns.reregistration import launch_reregistration  # noqa: PLC0415
    from gateway.campaigns.texts import custom_text, reregistration_text  # noqa: PLC0415

    settings = load(config)
    first, last = parse_day(ends_from, "--from"), parse_day(ends_to, "--to")
    if last < first:
        fail(f"[red]Période inversée[/red] : --from {_fr(first)} est après --to {_fr(last)}.")
    opens = parse_day(window_from, "--window-from") if window_from else local_date(settings, now_utc())
    closes = parse_day(window_to, "--window-to") if window_to else last
    if closes < opens:
        fail(
            f"[red]Période de réinscription inversée[/red] : du {_fr(opens)} au {_fr(closes)} ; "
            "précisez --window-from et --window-to."
        )
    if en and not fr:
        fail("[red]Erreur[/red] : --en demande aussi --fr (le texte français est obligatoire).")
    with domain_errors():
        text = custom_text(fr, en, settings.text) if fr else reregistration_text(opens, closes, settings.text)
    with database(settings) as engine, domain_errors():
        shown = err if as_json else out
        shown.print(
            f"Campagne de réinscription : adhérents dont l'inscription prend fin du {_fr(first)} au "
            f"{_fr(last)} (sauf retirés) ; envoi en journée, après les alertes."
        )
        shown.rule("texte exact")
        shown.print(escape(text), soft_wrap=True, highlight=False)
        shown.rule()
        if not yes:
            confirm("Lancer cette campagne ?")
        with sessions(engine)() as session:
            report = launch_reregistration(
                session,
                outbox(engine, settings),
                ends_from=first,
                ends_to=last,
                window_from=opens,
                window_to=closes,
                now=now_utc(),
                actor=operator_name(operator),
                text_settings=settings.text,
                text_fr=fr,
                text_en=en,
            )
    if as_json:
        out.print_json(json.dumps(asdict(report), ensure_ascii=False))
        return
    out.print(
        f"Campagne n° {report.campaign_id} lancée : {report.messages} SMS en file pour {report.members} adhérent(s)."
    )


@daily_app.command("run")
def daily_run(operator: OperatorOption = None, config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """Lance maintenant la tâche quotidienne (expirations, rappels dus, purge) ; sans effet si déjà faite."""
    from gateway.campaigns.daily import run_daily  # noqa: PLC0415

    settings = load(config)
    with database(settings) as engine, domain_errors():
        report = run_daily(
            sessions(engine),
            outbox(engine, settings),
            now_utc(),
            campaigns=settings.campaigns,
            hours=settings.hours,
            text=settings.text,
            actor=operator_name(operator),
        )
    if as_json:
        out.print_json(json.dumps({**asdict(report), "day": report.day.isoformat()}))
        return
    r, p = report.reminders, report.purged
    out.print(
        f"Tâche du {_fr(report.day)} : {report.expired} inscription(s) expirée(s) ; {r.messages} rappel(s) "
        f"en file pour {r.members} adhérent(s) ; purgés : {p.members} adhérent(s), {p.numbers} numéro(s), "
        f"{p.messages} message(s), {p.inbox} réponse(s)."
    )
