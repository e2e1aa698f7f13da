"""``vigicommerce inbox``: replies from members (sightings, questions), newest first, with the alert they answer."""

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

EXCERPT = 50


def inbox(
    alert_id: Annotated[int | None, typer.Option("--alert", help="seulement les réponses liées à cette alerte")] = None,
    limit: LimitOption = 50,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Réponses reçues (hors STOP), la plus récente d'abord, avec l'alerte à laquelle elles répondent."""
    from sqlalchemy import select  # noqa: PLC0415

    from gateway.alerts.models import Alert  # noqa: PLC0415
    from gateway.registry.models import Member, MemberPhone  # noqa: PLC0415
    from gateway.replies.handler import list_replies  # noqa: PLC0415

    settings = load(config)
    with database(settings) as engine, domain_errors(), read_sessions(engine).begin() as session:
        replies = list_replies(session, alert_id=alert_id, limit=limit)
        senders = {r.sender for r in replies}
        names: dict[str, list[str]] = {}
        if senders:
            query = (
                select(MemberPhone.e164, Member.name, Member.siret, Member.siren)
                .join(Member, Member.id == MemberPhone.member_id)
                .where(MemberPhone.e164.in_(senders))
            )
            for e164, name, siret, siren in session.execute(query):
                names.setdefault(e164, []).append(f"{name} ({siret or siren})")
        linked_ids = {r.linked_alert_id for r in replies if r.linked_alert_id is not None}
        alerts = (
            {a.id: a.text for a in session.scalars(select(Alert).where(Alert.id.in_(linked_ids)))} if linked_ids else {}
        )
        rows: list[dict[str, Any]] = [
            {
                "id": r.id,
                "received_at": r.received_at.isoformat(),
                "sender": r.sender,
                "members": names.get(r.sender, []),
                "text": r.text,
                "modem": r.modem_id,
                "alert_id": r.linked_alert_id,
                "alert_text": alerts.get(r.linked_alert_id) if r.linked_alert_id is not None else None,
                "received_local": local_time(settings, r.received_at),
            }
            for r in replies
        ]
    if as_json:
        for row in rows:
            del row["received_local"]
        out.print_json(json.dumps(rows, ensure_ascii=False))
        return
    if not rows:
        out.print("Aucune réponse.")
        return
    table = Table("reçu le", "de", "message", "alerte")
    for row in rows:
        alert = ""
        if row["alert_id"] is not None:
            excerpt = (row["alert_text"] or "").replace("\n", " ")
            alert = f"n° {row['alert_id']} : " + excerpt[:EXCERPT] + ("…" if len(excerpt) > EXCERPT else "")
        who = row["sender"] + "".join(f"\n{name}" for name in row["members"])
        table.add_row(row["received_local"], escape(who), escape(row["text"]), escape(alert))
    out.print(table)
