"""``vigicommerce audit``: the append-only journal of who did what, newest first."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from gateway.cli.common import (
    ConfigOption,
    JsonOption,
    LimitOption,
    database,
    domain_errors,
    local_time,
    out,
    read_sessions,
)
from gateway.cli.loader import load


def audit(  # noqa: PLR0917 - typer declares options as parameters
    action: Annotated[
        str | None, typer.Option("--action", help="ex. alert.alert, member.renew, member.withdraw")
    ] = None,
    subject: Annotated[str | None, typer.Option("--subject", help="ex. member:246341275, alert:12")] = None,
    actor: Annotated[str | None, typer.Option("--actor", help="qui a agi")] = None,
    limit: LimitOption = 50,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Journal d'audit : qui a fait quoi, quand, sur quoi, combien ; le plus récent d'abord."""
    from sqlalchemy import select  # noqa: PLC0415

    from gateway.audit.models import AuditEntry  # noqa: PLC0415

    settings = load(config)
    # Newest first with a limit: ``audit.entries`` reads oldest first, which suits exports, not a console.
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if action:
        query = query.where(AuditEntry.action == action)
    if subject:
        query = query.where(AuditEntry.subject == subject)
    if actor:
        query = query.where(AuditEntry.actor == actor)
    with database(settings) as engine, domain_errors(), read_sessions(engine).begin() as session:
        rows: list[dict[str, Any]] = [
            {
                "id": e.id,
                "at": e.at.isoformat(),
                "actor": e.actor,
                "action": e.action,
                "subject": e.subject,
                "count": e.count,
                "details": e.details,
                "local": local_time(settings, e.at),
            }
            for e in session.scalars(query)
        ]
    if as_json:
        out.print_json(json.dumps([{k: v for k, v in r.items() if k != "local"} for r in rows], ensure_ascii=False))
        return
    if not rows:
        out.print("Aucune entrée.")
        return
    table = Table()
    for title in ("date", "qui", "action", "sur", "nombre"):
        table.add_column(title, no_wrap=True)
    table.add_column("détails")
    for r in rows:
        details = json.dumps(r["details"], ensure_ascii=False) if r["details"] else ""
        table.add_row(
            r["local"], escape(r["actor"]), r["action"], escape(r["subject"]), str(r["count"]), escape(details)
        )
    out.print(table)
