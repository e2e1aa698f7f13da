"""``vigicommerce`` register commands as the CCISM uses them: the CCISM's spreadsheet, names people use,
re-admission, renewal once a day, words and screens, and every ``--json`` output parsing."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from gateway.audit.models import AuditEntry
from gateway.registry.models import Member, MemberPhone
from tests.gateway.test_cli_support import ROOT, Cli, cli_fixture, template_db_fixture  # noqa: F401 - fixtures

CCISM = ROOT / "data" / "ccism-export.csv"
SIREN = "682734884"  # Hôtel Corail Lin, grand-case, two numbers, registered 2026-04-23
NUMBERS = ["+33639982536", "+33639984506"]


def actions(cli: Cli, subject: str) -> list[str]:
    with cli.session() as session:
        return list(
            session.scalars(select(AuditEntry.action).where(AuditEntry.subject == subject).order_by(AuditEntry.id))
        )


def test_the_ccism_spreadsheet_imports_as_it_is(cli: Cli) -> None:
    result = cli.run(["members", "import", str(CCISM), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["total"], report["errors"], report["format"]) == (40, [], "csv windows-1252 ;")
    assert report["created"] + report["updated"] + report["unchanged"] == 40


def test_import_json_parses_even_with_rejected_rows(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        "SIREN;Nom;Catégorie;Quartier;Portables;Date d'inscription\n"
        "123456789;[bold]Crochets[/bold] et un nom très long qui dépasse largement la largeur d'un terminal de "
        "quatre-vingts colonnes;Hôtel;Grand Kase;06 39 98 00 01;01/01/2025\n",
        encoding="utf-8",
    )
    result = cli.run(["members", "import", str(path), "--json"])
    assert result.exit_code == 2
    report = json.loads(result.stdout)
    assert report["committed"] is False and len(report["errors"]) == 1
    assert "clé de contrôle" in report["errors"][0]["reason"]
    table = cli.run(["members", "import", str(path)])
    assert "LoadReport(" not in table.output and "ImportReport(" not in table.output
    assert "Corrigez ces lignes" in table.stderr


def test_names_people_use(cli: Cli) -> None:
    zones = json.loads(cli.run(["zones", "--json"]).stdout)
    grand_case = next(z for z in zones if z["id"] == "grand-case")
    with cli.session() as session:
        in_zone = session.scalars(select(Member).where(Member.zone_id == "grand-case")).all()
    assert grand_case["name"] == "Grand-Case" and grand_case["members"] == len(in_zone) > 0
    assert 0 < grand_case["receiving"] <= grand_case["members"]
    streets = json.loads(cli.run(["streets", "--zone", "Marigot", "--json"]).stdout)
    assert {s["zone"] for s in streets} == {"marigot"} and "Rue de Hollande" in {s["name"] for s in streets}
    categories = json.loads(cli.run(["categories", "--json"]).stdout)
    assert {"id": "hotel", "name": "Hôtel"}.items() <= next(c for c in categories if c["id"] == "hotel").items()
    table = cli.run(["zones"])
    assert table.exit_code == 0 and "Grand-Case" in table.stdout and "reçoivent" in table.stdout
    listed = json.loads(cli.run(["members", "list", "--zone", "grand case", "--limit", "1000", "--json"]).stdout)
    assert len(listed) == grand_case["members"]
    miss = cli.run(["streets", "--zone", "Grand Kase"])
    assert miss.exit_code == 2 and "vouliez-vous dire « Grand-Case » ?" in miss.stderr


def test_renew_twice_the_same_day_extends_once(cli: Cli) -> None:
    first = json.loads(cli.run(["members", "renew", SIREN, "--json"]).stdout)
    assert (first["old_expires_on"], first["expires_on"], first["renewed"]) == ("2029-04-23", "2032-04-23", True)
    second = cli.run(["members", "renew", SIREN])
    assert second.exit_code == 0 and "déjà été renouvelé aujourd'hui" in second.stdout
    assert json.loads(cli.run(["members", "show", SIREN, "--json"]).stdout)["expires_on"] == "2032-04-23"
    forced = json.loads(cli.run(["members", "renew", SIREN, "--force", "--json"]).stdout)
    assert (forced["expires_on"], forced["renewed"]) == ("2035-04-23", True)
    assert actions(cli, f"member:{SIREN}").count("member.renew") == 2


def test_a_withdrawn_member_rejoins_through_the_ccism(cli: Cli) -> None:
    assert cli.run(["members", "withdraw", SIREN, "--yes"]).exit_code == 0
    refused = cli.run(["members", "renew", SIREN])
    assert refused.exit_code == 1 and f"members rejoin {SIREN} --consent" in refused.stderr
    future = cli.run(["members", "rejoin", SIREN, "--consent", "01/01/2099"])
    assert future.exit_code == 2 and "dans le futur" in future.stderr
    today = date.today().strftime("%d/%m/%Y")
    back = cli.run(["members", "rejoin", SIREN, "--consent", today, "--operator", "ccism.agent", "--json"])
    assert back.exit_code == 0, back.output
    data = json.loads(back.stdout)
    assert (data["status"], data["receives_alerts"], data["withdrawn_at"]) == ("active", True, None)
    assert data["registered_on"] == date.today().isoformat()
    assert [p["receives_alerts"] for p in data["phones"]] == [True, True]
    held = json.loads(cli.run(["members", "data", SIREN]).stdout)
    rejoin = [a for a in held["audit"] if a["action"] == "member.rejoin"]
    assert rejoin and rejoin[0]["actor"] == "ccism.agent"
    assert rejoin[0]["details"]["consent_on"] == date.today().isoformat()
    assert held["member"]["consent_at"].startswith(date.today().isoformat())


def test_a_stopped_number_comes_back_only_when_listed(cli: Cli) -> None:
    assert cli.run(["members", "withdraw", "--number", NUMBERS[0], "--yes"]).exit_code == 0
    today = date.today().strftime("%d/%m/%Y")
    # Re-admitting the establishment's other number does not bring the STOP'd one back.
    none = cli.run(["members", "rejoin", SIREN, "--consent", today])
    assert none.exit_code == 1 and "--number" in none.stderr
    back = json.loads(
        cli.run(["members", "rejoin", SIREN, "--consent", today, "--number", "06 39 98 25 36", "--json"]).stdout
    )
    assert [(p["e164"], p["receives_alerts"]) for p in back["phones"]] == [(NUMBERS[0], True), (NUMBERS[1], True)]
    with cli.session() as session:
        assert session.scalar(select(MemberPhone.withdrawn_at).where(MemberPhone.e164 == NUMBERS[0])) is None


def test_show_says_receives_alerts_only_when_it_does(cli: Cli) -> None:
    active = cli.run(["members", "show", SIREN])
    assert "reçoit les alertes" in active.stdout and "ne reçoit pas" not in active.stdout
    assert "America/Marigot" in active.stdout
    cli.run(["members", "suspend", SIREN])
    suspended = cli.run(["members", "show", SIREN]).stdout
    assert "ne reçoit pas les alertes (suspendu)" in suspended
    assert "(reçoit les alertes)" not in suspended
    with cli.session() as session:
        expired = session.scalar(select(Member).where(Member.expires_on < date(2026, 11, 1)).limit(1))
        assert expired is not None
        key = expired.siren
    shown = cli.run(["members", "show", key]).stdout
    assert "statut" in shown and "expiré" in shown and "(reçoit les alertes)" not in shown
    assert "ne reçoit pas les alertes (inscription expirée le" in shown


def test_list_keeps_the_name_column_at_80_columns(cli: Cli) -> None:
    result = cli.run(["members", "list", "--search", "cocotiers bernard"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    text = " ".join(lines)
    assert "Supermarché" in text and "Cocotiers" in text and "Bernard" in text
    assert "actif" in text or "expiré" in text


@pytest.mark.parametrize(
    "args",
    [
        ["members", "list", "--limit", "3", "--json"],
        ["members", "show", SIREN, "--json"],
        ["members", "renew", SIREN, "--json"],
        ["members", "suspend", SIREN, "--json"],
        ["members", "reactivate", SIREN, "--json"],
        ["members", "withdraw", "--number", NUMBERS[1], "--yes", "--json"],
        ["members", "withdraw", SIREN, "--yes", "--json"],
        ["members", "data", SIREN],
        ["members", "import", str(CCISM), "--dry-run", "--json"],
        ["zones", "--json"],
        ["streets", "--json"],
        ["categories", "--json"],
        ["tokens", "list", "--json"],
    ],
)
def test_every_json_output_parses(cli: Cli, args: list[str]) -> None:
    if args[1] == "reactivate":
        assert cli.run(["members", "suspend", SIREN]).exit_code == 0
    result = cli.run(args, env={"COLUMNS": "40"})
    assert result.exit_code == 0, result.output
    json.loads(result.stdout)
    assert "Report(" not in result.stdout


def test_tokens_list_in_local_time_with_its_zone(cli: Cli) -> None:
    assert cli.run(["tokens", "create", "ccism", "--role", "members"]).exit_code == 0
    table = cli.run(["tokens", "list"]).stdout
    assert "America/Marigot" in table
    created = json.loads(cli.run(["tokens", "list", "--json"]).stdout)[0]["created_at"]
    from datetime import datetime  # noqa: PLC0415
    from zoneinfo import ZoneInfo  # noqa: PLC0415

    local = datetime.fromisoformat(created).astimezone(ZoneInfo("America/Marigot")).strftime("%d/%m/%Y %H:%M")
    assert local in table
