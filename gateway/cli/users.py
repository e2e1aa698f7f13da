"""``vigicommerce users …``: the web console's accounts (created, listed, disabled, enabled, passwords changed).

A password is read from stdin with ``--password-stdin`` (``printf '%s' "$PASS" | vigicommerce users create …``,
never on the command line, where ``ps`` and the shell history would show it), or generated and shown once.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from gateway.cli.common import (
    ConfigOption,
    JsonOption,
    OperatorOption,
    database,
    emit_json,
    fail,
    local_time,
    local_zone_caption,
    now_utc,
    operator_name,
    out,
)
from gateway.cli.loader import load

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from gateway.usecases import Store

app = typer.Typer(no_args_is_help=True, help="Comptes de la console web (nom, rôle, mot de passe).")
NameArgument = Annotated[str, typer.Argument(help="nom de connexion (par exemple « dupont »)")]
PasswordStdin = Annotated[
    bool,
    typer.Option(
        "--password-stdin", help="lire le mot de passe sur l'entrée standard (sinon il est généré et affiché)"
    ),
]


def _store(engine: Engine) -> Store:
    from gateway.usecases import Store  # noqa: PLC0415 - keep `--help` fast

    return Store.for_engine(engine)


def _read_password(from_stdin: bool) -> str | None:
    if not from_stdin:
        return None
    text = sys.stdin.read()
    # One trailing newline is what `echo` adds, not part of the password.
    password = text[:-1] if text.endswith("\n") else text
    if not password:
        fail("[red]Mot de passe vide[/red] sur l'entrée standard : rien n'a été écrit.")
    return password


def _show_generated(password: str) -> None:
    out.print("Mot de passe généré, copiez-le maintenant, il ne sera plus jamais affiché :")
    out.print(password, markup=False, highlight=False, soft_wrap=True)


def _errors() -> tuple[type[Exception], ...]:
    from gateway.auth.users import InvalidUserError, UserNotFoundError  # noqa: PLC0415

    return InvalidUserError, UserNotFoundError


@app.command("create")
def create(  # noqa: PLR0917 - typer passes options positionally
    name: NameArgument,
    role: Annotated[str, typer.Option("--role", "-r", help="alerts, members, read ou admin")],
    password_stdin: PasswordStdin = False,
    config: ConfigOption = None,
    actor: OperatorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Crée un compte de la console avec un rôle (alerts : envoi d'alertes ; members : adhérents ; read : lecture
    seule ; admin : tout)."""
    from gateway.auth.roles import Role  # noqa: PLC0415
    from gateway.usecases import users  # noqa: PLC0415

    try:
        chosen = Role(role)
    except ValueError:
        fail(f"[red]Rôle inconnu[/red] « {escape(role)} » : choisissez parmi {', '.join(r.value for r in Role)}.")
    password = _read_password(password_stdin)
    settings = load(config)
    with database(settings) as engine:
        try:
            new = users.create(_store(engine), name, chosen, password, actor=operator_name(actor), now=now_utc())
        except _errors() as exc:
            fail(f"[red]Compte non créé[/red] : {escape(str(exc))}")
    if as_json:
        emit_json({**new.user.to_dict(), "password": new.generated_password})
        return
    out.print(f"Compte « {new.user.name} » créé (rôle {new.user.role.value}, {new.user.role_label}).")
    if new.generated_password is not None:
        _show_generated(new.generated_password)


@app.command("list")
def list_(config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """Liste les comptes de la console (jamais leur mot de passe)."""
    from gateway.usecases import users  # noqa: PLC0415

    settings = load(config)
    with database(settings) as engine:
        found = users.list_all(_store(engine))
    if as_json:
        emit_json([u.to_dict() for u in found])
        return
    table = Table("nom", "rôle", "créé le", "par", "dernière connexion", "état", caption=local_zone_caption(settings))
    for u in found:
        state = f"désactivé le {local_time(settings, u.disabled_at)}" if u.disabled_at else "actif"
        table.add_row(
            u.name,
            f"{u.role.value} ({u.role_label})",
            local_time(settings, u.created_at),
            u.created_by,
            local_time(settings, u.last_login_at) or "jamais",
            state,
        )
    out.print(table)


@app.command("disable")
def disable(name: NameArgument, config: ConfigOption = None, actor: OperatorOption = None) -> None:
    """Désactive un compte : il ne peut plus se connecter et ses sessions ouvertes se ferment aussitôt."""
    from gateway.usecases import users  # noqa: PLC0415

    with database(load(config)) as engine:
        try:
            user, ended = users.disable(_store(engine), name, actor=operator_name(actor), now=now_utc())
        except _errors() as exc:
            fail(f"[red]Erreur[/red] : {escape(str(exc))}")
    out.print(f"Compte « {user.name} » désactivé ; sessions fermées : {ended}.")


@app.command("enable")
def enable(name: NameArgument, config: ConfigOption = None, actor: OperatorOption = None) -> None:
    """Réactive un compte désactivé."""
    from gateway.usecases import users  # noqa: PLC0415

    with database(load(config)) as engine:
        try:
            user = users.enable(_store(engine), name, actor=operator_name(actor), now=now_utc())
        except _errors() as exc:
            fail(f"[red]Erreur[/red] : {escape(str(exc))}")
    out.print(f"Compte « {user.name} » actif.")


@app.command("passwd")
def passwd(
    name: NameArgument,
    password_stdin: PasswordStdin = False,
    config: ConfigOption = None,
    actor: OperatorOption = None,
) -> None:
    """Change le mot de passe d'un compte (lu sur l'entrée standard ou généré) ; ses sessions ouvertes se ferment."""
    from gateway.usecases import users  # noqa: PLC0415

    password = _read_password(password_stdin)
    with database(load(config)) as engine:
        try:
            user, generated = users.change_password(
                _store(engine), name, password, actor=operator_name(actor), now=now_utc()
            )
        except _errors() as exc:
            fail(f"[red]Mot de passe inchangé[/red] : {escape(str(exc))}")
    out.print(f"Mot de passe de « {user.name} » changé ; ses sessions ouvertes sont fermées.")
    if generated is not None:
        _show_generated(generated)
