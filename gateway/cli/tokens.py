"""``vigicommerce tokens …``: the bearer tokens of the HTTP API (created, listed and revoked here only)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.table import Table

from gateway.cli.common import (
    ConfigOption,
    JsonOption,
    database,
    emit_json,
    err,
    local_time,
    local_zone_caption,
    out,
)
from gateway.cli.loader import load

app = typer.Typer(no_args_is_help=True, help="Jetons d'accès à l'API HTTP.")
ActorOption = Annotated[str, typer.Option(help="auteur inscrit au journal d'audit")]


@app.command("create")
def create(
    owner: Annotated[str, typer.Argument(help="opérateur ou programme qui utilisera le jeton (journal d'audit)")],
    role: Annotated[str, typer.Option("--role", "-r", help="alerts, members, read ou admin")] = "read",
    config: ConfigOption = None,
    actor: ActorOption = "cli",
    as_json: JsonOption = False,
) -> None:
    """Crée un jeton et l'affiche UNE seule fois : copiez-le aussitôt (seule son empreinte est conservée)."""
    from gateway.auth.roles import Role  # noqa: PLC0415 - keep `--help` fast
    from gateway.auth.tokens import AuthError, create_token  # noqa: PLC0415
    from gateway.storage.db import session_factory  # noqa: PLC0415

    try:
        chosen = Role(role)
    except ValueError:
        err.print(f"[red]Rôle inconnu[/red] « {role} » : choisissez parmi {', '.join(r.value for r in Role)}.")
        raise typer.Exit(2) from None
    settings = load(config)
    try:
        with database(settings) as engine, session_factory(engine).begin() as session:
            new = create_token(session, owner, chosen, now=datetime.now(UTC), actor=actor)
    except AuthError as exc:
        err.print(f"[red]Jeton non créé[/red] : {exc}")
        raise typer.Exit(2) from exc
    if as_json:
        out.print_json(
            json.dumps({"key_id": new.key_id, "owner": new.owner, "role": new.role.value, "token": new.token})
        )
        return
    out.print(f"Jeton {new.key_id} créé pour « {new.owner} » (rôle {new.role.value}).")
    out.print("Copiez-le maintenant, il ne sera plus jamais affiché :")
    # Printed raw (no markup, no wrapping) so that it can be copied or captured by a script.
    out.print(new.token, markup=False, highlight=False, soft_wrap=True)


@app.command("list")
def list_(config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """Liste les jetons (jamais leur secret)."""
    from gateway.auth.tokens import list_tokens  # noqa: PLC0415
    from gateway.storage.db import session_factory  # noqa: PLC0415

    settings = load(config)
    with database(settings) as engine, session_factory(engine).begin() as session:
        rows = [
            {
                "key_id": t.key_id,
                "owner": t.owner,
                "role": t.role.value,
                "created_at": t.created_at.isoformat(),
                "created_by": t.created_by,
                "revoked_at": t.revoked_at.isoformat() if t.revoked_at else None,
            }
            for t in list_tokens(session)
        ]
    if as_json:
        emit_json(rows)
        return
    table = Table("clé", "propriétaire", "rôle", "créé le", "révoqué le", caption=local_zone_caption(settings))
    for r in rows:
        table.add_row(
            str(r["key_id"]),
            str(r["owner"]),
            str(r["role"]),
            local_time(settings, datetime.fromisoformat(str(r["created_at"]))),
            local_time(settings, datetime.fromisoformat(str(r["revoked_at"]))) if r["revoked_at"] else "",
        )
    out.print(table)


@app.command("revoke")
def revoke(
    key_id: Annotated[str, typer.Argument(help="clé du jeton (colonne « clé » de `tokens list`)")],
    config: ConfigOption = None,
    actor: ActorOption = "cli",
) -> None:
    """Révoque un jeton : il est refusé (401) dès maintenant."""
    from gateway.auth.tokens import TokenNotFoundError, revoke_token  # noqa: PLC0415
    from gateway.storage.db import session_factory  # noqa: PLC0415

    try:
        with database(load(config)) as engine, session_factory(engine).begin() as session:
            row = revoke_token(session, key_id, now=datetime.now(UTC), actor=actor)
    except TokenNotFoundError as exc:
        err.print(f"[red]Jeton introuvable[/red] : {exc}")
        raise typer.Exit(2) from exc
    out.print(f"Jeton {row.key_id} de « {row.owner} » révoqué.")
