"""``vigicommerce`` configuration errors, campaigns, the daily job, inbox, audit and modems."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from gateway.campaigns.models import Campaign
from gateway.cli import app
from gateway.inbox.models import InboxKind, InboxMessage
from gateway.outbox.models import OutboxMessage
from gateway.registry.models import Member, MemberPhone, MemberStatus
from tests.gateway.test_cli_support import Cli, cli_fixture, template_db_fixture, write_config  # noqa: F401


def test_help_of_every_command() -> None:
    runner = CliRunner()
    commands = [
        [],
        ["alert"],
        ["members"],
        ["campaign"],
        ["daily"],
        ["inbox"],
        ["modems"],
        ["audit"],
        ["alert", "send"],
        ["members", "withdraw"],
        ["campaign", "reregistration"],
    ]
    for command in commands:
        result = runner.invoke(app, [*command, "--help"])
        assert result.exit_code == 0, (command, result.output)


def test_missing_config_file_and_bad_key_exit_2(tmp_path: Path) -> None:
    runner = CliRunner()
    missing = runner.invoke(app, ["members", "list", "--config", str(tmp_path / "nope.toml")])
    assert missing.exit_code == 2
    assert "fichier de configuration introuvable" in missing.stderr
    bad = write_config(tmp_path / "bad.toml", tmp_path / "g.db", tables="[http]\nprot = 8080\n")
    result = runner.invoke(app, ["alert", "list", "--config", str(bad)])
    assert result.exit_code == 2
    assert "http.prot : clé inconnue" in result.stderr


def test_missing_database_exits_2_and_creates_nothing(tmp_path: Path) -> None:
    db = tmp_path / "absent.db"
    config = write_config(tmp_path / "g.toml", db)
    result = CliRunner().invoke(app, ["members", "list", "--config", str(config)])
    assert result.exit_code == 2
    assert "Base de données introuvable" in result.stderr
    assert "vigicommerce db upgrade" in result.stderr
    assert not db.exists()


def _numbers_ending_between(cli: Cli, first: date, last: date) -> set[str]:
    with cli.session() as session:
        query = (
            select(MemberPhone.e164)
            .join(Member, Member.id == MemberPhone.member_id)
            .where(
                Member.expires_on >= first,
                Member.expires_on <= last,
                Member.status != MemberStatus.WITHDRAWN,
                MemberPhone.withdrawn_at.is_(None),
            )
        )
        return set(session.scalars(query))


def test_reregistration_campaign(cli: Cli) -> None:
    args = ["campaign", "reregistration", "--from", "2027-01-01", "--to", "31/03/2027"]
    assert cli.run(args, input="n\n").exit_code == 1
    assert cli.count(Campaign) == 0
    result = cli.run([*args, "--yes", "--json", "--window-from", "2026-12-01", "--window-to", "2027-03-31"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    expected = _numbers_ending_between(cli, date(2027, 1, 1), date(2027, 3, 31))
    assert report["messages"] == len(expected) > 0
    with cli.session() as session:
        queued = set(
            session.scalars(select(OutboxMessage.recipient).where(OutboxMessage.campaign_id == report["campaign_id"]))
        )
    assert queued == expected
    assert "01/12/2026 au 31/03/2027" in report["text"]


def test_campaign_bad_dates_exit_2_and_write_nothing(cli: Cli) -> None:
    for args, message in (
        (["--from", "2027-02-30", "--to", "2027-03-31"], "Date invalide pour --from"),
        (["--from", "2027-01-01", "--to", "demain"], "Date invalide pour --to"),
        (["--from", "2027-03-01", "--to", "2027-01-31"], "Période inversée"),
        (["--from", "2027-01-01", "--to", "2027-01-31", "--en", "only English"], "--en demande aussi --fr"),
    ):
        result = cli.run(["campaign", "reregistration", *args, "--yes"])
        assert result.exit_code == 2, (args, result.output)
        assert message in result.stderr
    assert cli.count(Campaign) == 0
    assert cli.count(OutboxMessage) == 0


def test_daily_run_is_idempotent(cli: Cli) -> None:
    first = cli.run(["daily", "run", "--json"])
    assert first.exit_code == 0, first.output
    queued = cli.count(OutboxMessage)
    assert json.loads(first.stdout)["reminders"]["messages"] == queued
    second = cli.run(["daily", "run", "--json"])
    assert second.exit_code == 0, second.output
    assert json.loads(second.stdout)["reminders"]["messages"] == 0
    assert cli.count(OutboxMessage) == queued


def test_inbox_lists_replies_with_their_alert(cli: Cli) -> None:
    sent = json.loads(
        cli.run(
            ["alert", "send", "--fr", "Vol à l'arraché rue de Hollande.", "--zone", "marigot", "--yes", "--json"]
        ).stdout
    )
    received = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
    with cli.session() as session:
        session.add_all(
            [
                InboxMessage(
                    modem_id="m0",
                    sender="+33639982410",
                    text="Vu deux hommes en scooter",
                    received_at=received,
                    stored_at=received,
                    kind=InboxKind.REPLY,
                    linked_alert_id=sent["alert_id"],
                ),
                InboxMessage(
                    modem_id="m0",
                    sender="+33639980457",
                    text="STOP",
                    received_at=received,
                    stored_at=received,
                    kind=InboxKind.STOP,
                    handled=True,
                ),
            ]
        )
        session.commit()
    result = cli.run(["inbox", "--json"])
    assert result.exit_code == 0, result.output
    (reply,) = json.loads(result.stdout)
    assert (reply["text"], reply["alert_id"]) == ("Vu deux hommes en scooter", sent["alert_id"])
    assert reply["members"] == ["Restaurant Paradis (246341275)"]
    table = cli.run(["inbox"]).stdout
    assert "scooter" in table
    assert f"n° {sent['alert_id']}" in table
    assert "STOP" not in table


def test_audit_newest_first_filtered(cli: Cli) -> None:
    cli.run(["members", "renew", "682734884", "--operator", "first"])
    cli.run(["members", "renew", "246341275", "--operator", "second"])
    result = cli.run(["audit", "--action", "member.renew", "--json"])
    assert result.exit_code == 0, result.output
    assert [e["actor"] for e in json.loads(result.stdout)] == ["second", "first"]
    limited = json.loads(cli.run(["audit", "--limit", "1", "--json"]).stdout)
    assert [e["actor"] for e in limited] == ["second"]
    assert "member.renew" in cli.run(["audit"]).stdout


class FakeDaemon(BaseHTTPRequestHandler):
    """Answers GET /modems like the daemon's API; records the Authorization header of every request."""

    seen: list[str | None]
    status = 200
    body: Any = None

    def do_GET(self) -> None:
        self.seen.append(self.headers.get("Authorization"))
        data = json.dumps(self.body).encode()
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture
def daemon() -> Iterator[tuple[ThreadingHTTPServer, type[FakeDaemon]]]:
    handler = type("Handler", (FakeDaemon,), {"seen": [], "status": 200, "body": None})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, handler
    server.shutdown()
    server.server_close()
    thread.join()


def test_modems_reads_the_daemon_api(cli: Cli, daemon: tuple[ThreadingHTTPServer, type[FakeDaemon]]) -> None:
    server, handler = daemon
    # The shape of gateway.api's ModemList; the second modem stands for an older API with fewer fields.
    handler.body = {
        "items": [
            {
                "id": "m0",
                "state": "open",
                "signal": 21,
                "operator": "Orange Caraïbe",
                "queue": 3,
                "sent_today": 42,
                "last_error": None,
                "budget": [
                    {"kind": "messages/jour", "used": 42, "limit": 500},
                    {"kind": "destinataires/mois", "used": 7, "limit": None},
                    {"kind": "destinataires/mois", "used": 250, "limit": 250, "exhausted": True, "note": "NOTE"},
                ],
            },
            {"id": "m1", "state": "failed", "last_error": "modem unplugged"},
        ]
    }
    config = write_config(cli.config, cli.db, tables=f"[http]\nport = {server.server_address[1]}\n")
    result = CliRunner().invoke(app, ["modems", "--config", str(config)], env={"VIGI_TOKEN": "secret-1"})
    assert result.exit_code == 0, result.output
    assert handler.seen == ["Bearer secret-1"]
    for text in (
        "m0",
        "Orange Caraïbe",
        "42",
        "modem unplugged",
        "messages/jour 42/500",
        "destinataires/mois 7 (sans limite)",
        "250/250",
        "ATTENTION : NOTE",
    ):
        assert text in result.stdout, text
    as_json = CliRunner().invoke(app, ["modems", "--config", str(config), "--token", "t2", "--json"])
    assert json.loads(as_json.stdout) == handler.body
    assert handler.seen[-1] == "Bearer t2"
    handler.status, handler.body = 401, {"detail": "no token"}
    refused = CliRunner().invoke(app, ["modems", "--config", str(config)])
    assert refused.exit_code == 2
    assert "--token ou la variable VIGI_TOKEN" in refused.stderr


def test_modems_when_the_daemon_is_not_running(cli: Cli, tmp_path: Path) -> None:
    with ThreadingHTTPServer(("127.0.0.1", 0), FakeDaemon) as probe:
        port = probe.server_address[1]  # free once closed: nothing listens there
    config = write_config(tmp_path / "down.toml", cli.db, tables=f"[http]\nport = {port}\n")
    result = CliRunner().invoke(app, ["modems", "--config", str(config)])
    assert result.exit_code == 1
    assert f"la passerelle ne répond pas sur http://127.0.0.1:{port}" in result.stderr.lower()
    assert "systemctl status vigicommerce-gateway" in result.stderr
