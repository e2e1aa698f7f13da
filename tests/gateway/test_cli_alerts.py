"""``vigicommerce alert …`` on a real SQLite file loaded with the sample members."""

from __future__ import annotations

import io
import json

from rich.console import Console
from sqlalchemy import select

from gateway.alerts.models import Alert
from gateway.alerts.types import AlertProgress
from gateway.audit.models import AuditEntry
from gateway.campaigns.daytime import local_today
from gateway.cli.alerts import watch_progress
from gateway.cli.common import now_utc
from gateway.dispatch.hours import DaytimeWindow
from gateway.outbox.models import OutboxMessage
from gateway.outbox.states import MessageState
from gateway.registry.targeting import recipients
from tests.gateway.test_cli_support import Cli, cli_fixture, template_db_fixture  # noqa: F401 - fixtures

TEXT = "Deux individus suspects rue de Hollande, vigilance."
TARGET = ["--zone", "marigot", "--category", "bijouterie"]


def expected_numbers(cli: Cli, **target: object) -> set[str]:
    today = local_today(now_utc(), DaytimeWindow())
    with cli.session() as session:
        return {r.e164 for r in recipients(session, today=today, **target)}  # type: ignore[arg-type]


def nothing_written(cli: Cli) -> bool:
    return cli.count(OutboxMessage) == 0 and cli.count(Alert) == 0


def test_preview_shows_counts_and_exact_text_and_writes_nothing(cli: Cli) -> None:
    numbers = expected_numbers(cli, zones=["marigot"], categories=["bijouterie"])
    result = cli.run(["alert", "preview", "--fr", TEXT, "--en", "Two suspects", *TARGET])
    assert result.exit_code == 0, result.output
    assert f"numéros : {len(numbers)}" in result.stdout
    assert f"{TEXT}\n---\nTwo suspects" in result.stdout
    assert nothing_written(cli)


def test_preview_json(cli: Cli) -> None:
    numbers = expected_numbers(cli, whole_territory=True)
    result = cli.run(["alert", "preview", "--fr", TEXT, "--all", "--status", "exercise", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["numbers"] == len(numbers)
    assert data["text"].startswith("Gendarmerie - Vigicommerce : EXERCICE - ")
    assert data["encoding"] == "gsm7"
    assert data["total_segments"] == data["segments"] * len(numbers)


def test_send_yes_queues_exactly_the_targeted_numbers(cli: Cli) -> None:
    numbers = expected_numbers(cli, zones=["marigot"], categories=["bijouterie"])
    assert numbers
    result = cli.run(["alert", "send", "--fr", TEXT, *TARGET, "--yes", "--operator", "adj. Martin", "--json"])
    assert result.exit_code == 0, result.output
    sent = json.loads(result.stdout)
    assert sent["created"] is True
    with cli.session() as session:
        rows = session.execute(select(OutboxMessage.recipient, OutboxMessage.text, OutboxMessage.alert_id)).all()
        actors = session.scalars(select(AuditEntry.actor).where(AuditEntry.action == "alert.alert")).all()
    assert sorted(r.recipient for r in rows) == sorted(numbers)
    assert {(r.text, r.alert_id) for r in rows} == {(f"Gendarmerie - Vigicommerce : {TEXT}", sent["alert_id"])}
    assert actors == ["adj. Martin"]


def test_send_asks_and_a_refusal_writes_nothing(cli: Cli) -> None:
    for answer in ("n\n", "", "non\n"):
        result = cli.run(["alert", "send", "--fr", TEXT, *TARGET], input=answer)
        assert result.exit_code == 1, result.output
        assert "rien n'a été écrit" in result.stderr
        assert TEXT in result.stdout  # the preview was shown before the question
    assert nothing_written(cli)


def test_send_confirmed_in_french(cli: Cli) -> None:
    result = cli.run(["alert", "send", "--fr", TEXT, *TARGET], input="oui\n")
    assert result.exit_code == 0, result.output
    assert cli.count(OutboxMessage) == len(expected_numbers(cli, zones=["marigot"], categories=["bijouterie"]))


def test_bad_input_exits_2_with_a_clear_message_and_writes_nothing(cli: Cli) -> None:
    cases = [
        (["--fr", TEXT, "--zone", "atlantis", "--yes"], "zone inconnu"),
        (["--fr", TEXT, "--street", "Rue Imaginaire", "--yes"], "rue inconnu"),
        (["--fr", "trop " * 400, "--all", "--yes"], "texte trop long"),
        (["--fr", TEXT, "--yes"], "cible vide"),
        (["--fr", TEXT, "--all", "--zone", "marigot", "--yes"], "contradictoire"),
        (["--fr", TEXT, "--type", "update", "--yes"], "--ref"),
        (["--fr", TEXT, "--type", "update", "--ref", "999", "--yes"], "aucune alerte n° 999"),
        (["--fr", TEXT, "--all", "--ref", "1", "--yes"], "--ref ne sert"),
        (["--fr", "   ", "--all", "--yes"], "texte français manquant"),
        (["--fr", TEXT, "--all", "--status", "bogus", "--yes"], "bogus"),
        (["--fr", "Vol\x07nul", "--all", "--yes"], "(--fr) : caractère interdit en position 4 : U+0007 BEL"),
        (["--fr", TEXT, "--en", "Theft \u202eyelsew", "--all", "--yes"], "(--en) : caractère interdit en position 7"),
    ]
    for args, message in cases:
        result = cli.run(["alert", "send", *args])
        assert result.exit_code == 2, (args, result.output)
        assert message in result.stderr, (args, result.stderr)
    assert nothing_written(cli)


def test_test_status_goes_to_operators_only(cli: Cli) -> None:
    result = cli.run(["alert", "send", "--fr", TEXT, "--status", "test", "--yes"])
    assert result.exit_code == 0, result.output
    with cli.session() as session:
        assert session.scalars(select(OutboxMessage.recipient)).all() == ["+33639980001"]


def test_update_goes_to_the_original_recipients(cli: Cli) -> None:
    first = json.loads(cli.run(["alert", "send", "--fr", TEXT, *TARGET, "--yes", "--json"]).stdout)
    result = cli.run(
        [
            "alert",
            "send",
            "--fr",
            "Fin de l'alerte.",
            "--type",
            "cancel",
            "--ref",
            str(first["alert_id"]),
            "--yes",
            "--json",
        ]
    )
    assert result.exit_code == 0, result.output
    second = json.loads(result.stdout)
    with cli.session() as session:

        def numbers(alert_id: int) -> list[str]:
            query = select(OutboxMessage.recipient).where(OutboxMessage.alert_id == alert_id)
            return sorted(session.scalars(query))

        assert numbers(second["alert_id"]) == numbers(first["alert_id"])
    refused = cli.run(["alert", "send", "--fr", TEXT, "--type", "update", "--ref", "1", "--zone", "marigot"])
    assert refused.exit_code == 2
    assert "destinataires de l'alerte d'origine" in refused.stderr


def test_status_list_and_cancel(cli: Cli) -> None:
    sent = json.loads(cli.run(["alert", "send", "--fr", TEXT, *TARGET, "--yes", "--json"]).stdout)
    alert_id = str(sent["alert_id"])
    status = cli.run(["alert", "status", alert_id, "--json"])
    assert status.exit_code == 0, status.output
    progress = json.loads(status.stdout)["progress"]
    assert progress["queued"] == progress["total"] == sent["numbers"]
    assert progress["percent_done"] == 0.0
    assert "en file" in cli.run(["alert", "status", alert_id]).stdout

    listed = json.loads(cli.run(["alert", "list", "--json"]).stdout)
    assert [a["id"] for a in listed] == [sent["alert_id"]]

    assert cli.run(["alert", "cancel", alert_id], input="n\n").exit_code == 1
    assert cli.count(OutboxMessage, OutboxMessage.state == MessageState.CANCELLED) == 0
    cancelled = cli.run(["alert", "cancel", alert_id, "--yes", "--operator", "lt. Durand", "--json"])
    assert cancelled.exit_code == 0, cancelled.output
    assert json.loads(cancelled.stdout)["cancelled"] == sent["numbers"]
    assert cli.count(OutboxMessage, OutboxMessage.state == MessageState.CANCELLED) == sent["numbers"]
    watched = cli.run(["alert", "status", alert_id, "--watch"])
    assert watched.exit_code == 0, watched.output
    assert "100.0 %" in watched.stdout
    assert "lt. Durand" in watched.stdout


def test_unknown_alert_id_exits_2(cli: Cli) -> None:
    for command in (["alert", "status", "42"], ["alert", "cancel", "42", "--yes"]):
        result = cli.run(command)
        assert result.exit_code == 2, result.output
        assert "aucune alerte n° 42" in result.stderr
    assert cli.run(["alert", "status", "abc"]).exit_code == 2


def test_watch_progress_reads_until_nothing_is_left() -> None:
    def snapshot(queued: int, sending: int, sent: int) -> AlertProgress:
        return AlertProgress(7, 10, queued, sending, sent, 0, 0, 0, 0)

    snapshots = iter([snapshot(10, 0, 0), snapshot(4, 2, 4), snapshot(0, 1, 9), snapshot(0, 0, 10)])
    sleeps: list[float] = []
    screen = io.StringIO()
    final = watch_progress(lambda: next(snapshots), Console(file=screen), interval=0.5, sleep=sleeps.append)
    assert final.sent == 10
    assert sleeps == [0.5, 0.5, 0.5]
    assert "100%" in screen.getvalue()


def test_preview_lists_what_gsm_folding_changed(cli: Cli) -> None:
    result = cli.run(["alert", "preview", "--fr", "« Vol » à l’étalage", "--all"])
    assert result.exit_code == 0, result.output
    assert "repli GSM (texte envoyé en 7 bits) : '«' -> '\"', '»' -> '\"', '’' -> \"'\"" in result.stdout
    data = json.loads(cli.run(["alert", "preview", "--fr", "« Vol » 🚨", "--all", "--json"]).stdout)
    assert (data["encoding"], data["text"], data["folded"]) == ("ucs2", "Gendarmerie - Vigicommerce : « Vol » 🚨", [])


def test_targets_by_the_names_people_use(cli: Cli) -> None:
    by_ids = expected_numbers(cli, zones=["grand-case"], streets=["Rue de Hollande"], categories=["hotel"])
    assert by_ids
    result = cli.run(
        [
            "alert",
            "preview",
            "--fr",
            TEXT,
            "--zone",
            "Grand-Case",
            "--street",
            "rue de hollande",
            "--category",
            "Hôtel",
            "--json",
        ]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["numbers"] == len(by_ids)
    miss = cli.run(["alert", "preview", "--fr", TEXT, "--zone", "Grand Kase"])
    assert miss.exit_code == 2 and "vouliez-vous dire « Grand-Case » ?" in miss.stderr
    assert nothing_written(cli)
