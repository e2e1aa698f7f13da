"""``vigicommerce modems``: each modem's state, read from the running daemon's HTTP API.

The modems belong to the daemon (one process owns each serial port), so their live state can only come from
it: ``GET /modems`` with a bearer token. Field names are read tolerantly (a missing field shows as empty), so
that this command keeps working while the API grows; SIM budgets are shown with a warning near their limit.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from gateway.cli.common import ConfigOption, JsonOption, fail, out
from gateway.cli.loader import load
from gateway.config import GatewayConfig

TIMEOUT_SECONDS = 5.0
TokenOption = Annotated[
    str | None,
    typer.Option(
        "--token", envvar="VIGI_TOKEN", show_envvar=True, help="jeton d'accès à l'API (vigicommerce tokens create)"
    ),
]
# (column title, candidate field names in the API's answer, first match wins)
COLUMNS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("modem", ("id", "modem_id", "name")),
    ("état", ("state", "status")),
    ("signal", ("signal", "signal_quality", "rssi")),
    ("réseau", ("network", "registration", "network_status")),
    ("opérateur", ("operator", "network_operator")),
    ("modèle", ("model",)),
    ("en file", ("queue", "queued", "queue_length")),
    ("envoyés aujourd'hui", ("sent_today", "sent")),
    ("en échec (depuis le démarrage)", ("failed",)),
    ("dernière erreur", ("last_error", "error")),
    ("réouverture à", ("reopen_at",)),
)


def base_url(settings: GatewayConfig) -> str:
    """Where the daemon listens, as a client reaches it (a wildcard bind is reached on the loopback)."""
    host = settings.http.host
    if host in {"0.0.0.0", "::", ""}:  # noqa: S104 - a wildcard bind, not ours: we only connect
        host = "127.0.0.1"
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{settings.http.port}"


def fetch_modems(url: str, token: str | None) -> Any:
    """The decoded JSON of ``GET {url}/modems``, or exit with a message an operator can act on."""
    import httpx  # noqa: PLC0415 - only this command talks HTTP

    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        response = httpx.get(f"{url}/modems", headers=headers, timeout=TIMEOUT_SECONDS)
    except httpx.HTTPError as exc:
        fail(
            f"[red]La passerelle ne répond pas sur {url}[/red] ({escape(type(exc).__name__)}) : est-elle "
            "lancée ? systemctl status vigicommerce-gateway",
            1,
        )
    if response.status_code in {401, 403}:
        hint = (
            "donnez un jeton avec --token ou la variable VIGI_TOKEN"
            if not token
            else "ce jeton est refusé (révoqué, ou sans le droit de lecture)"
        )
        fail(
            f"[red]Accès refusé par la passerelle[/red] ({response.status_code}) : {hint} ; "
            "un administrateur en crée avec « vigicommerce tokens create ».",
            2,
        )
    if response.status_code != 200:
        fail(
            f"[red]La passerelle a répondu {response.status_code}[/red] sur {url}/modems : "
            f"{escape(response.text[:200])} ; consultez journalctl -u vigicommerce-gateway.",
            1,
        )
    try:
        return response.json()
    except ValueError:
        fail(f"[red]Réponse illisible[/red] de {url}/modems (pas du JSON) : est-ce bien la passerelle ?", 1)


def modem_rows(payload: Any) -> list[dict[str, Any]]:
    """The list of modems, whether the API answers a list or an object holding one."""
    if isinstance(payload, dict):
        for key in ("modems", "items", "data"):
            if isinstance(payload.get(key), list):
                payload = payload[key]
                break
    if not isinstance(payload, list):
        return []
    return [row for row in payload if isinstance(row, dict)]


def _field(row: dict[str, Any], names: tuple[str, ...]) -> Any:
    for name in names:
        if row.get(name) is not None:
            return row[name]
        info = row.get("info")
        if isinstance(info, dict) and info.get(name) is not None:
            return info[name]
    return None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def budget_text(row: dict[str, Any]) -> str:
    """Per-SIM budget use as ``GET /modems`` gives it: "kind used/limit", flagged near the limit, and at the limit
    with what the SIM still sends (the rule of ``gateway.dispatch.claim``)."""
    parts = []
    for item in row.get("budget") or []:
        limit = item.get("limit")
        use = f"{item['used']}/{limit}" if limit is not None else f"{item['used']} (sans limite)"
        if item.get("exhausted"):
            flag = f"  ATTENTION : {item.get('note') or 'budget atteint'}"
        else:
            flag = "  ATTENTION : budget presque atteint" if item.get("warning") else ""
        parts.append(f"{item['kind']} {use}{flag}")
    return "\n".join(parts)


def modems(token: TokenOption = None, config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """État de chaque modem (signal, réseau, file, envoyés, budgets SIM), lu auprès de la passerelle en marche."""
    settings = load(config)
    payload = fetch_modems(base_url(settings), token)
    if as_json:
        out.print_json(json.dumps(payload, ensure_ascii=False))
        return
    rows = modem_rows(payload)
    if not rows:
        out.print("La passerelle ne signale aucun modem : vérifiez les sections [[modems]] de la configuration.")
        return
    # One column per modem (a station has a few): every field stays readable on an 80-column terminal.
    names = [_text(_field(row, COLUMNS[0][1])) or f"#{i + 1}" for i, row in enumerate(rows)]
    table = Table("", *(escape(n) for n in names))
    lines = [(title, [_text(_field(row, fields)) for row in rows]) for title, fields in COLUMNS[1:]]
    lines.append(("budgets SIM", [budget_text(row) for row in rows]))
    for title, cells in lines:
        if any(cells):  # a field this version of the API does not report is left out
            table.add_row(f"[bold]{title}[/bold]", *(escape(c) for c in cells))
    out.print(table)
