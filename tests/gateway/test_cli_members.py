"""``vigicommerce members …`` on a real SQLite file loaded with the sample members."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

from sqlalchemy import select

from gateway.audit.models import AuditEntry
from gateway.registry.errors import InvalidSirenError
from gateway.registry.models import Member, MemberPhone, MemberStatus
from gateway.registry.siren import normalize_siren
from tests.gateway.test_cli_support import SAMPLE, Cli, cli_fixture, template_db_fixture  # noqa: F401 - fixtures

SIREN = "682734884"  # Hôtel Corail Lin, grand-case, two numbers, registered 2026-04-23
NUMBERS = ["+33639982536", "+33639984506"]


def member(cli: Cli, siren: str = SIREN) -> Member:
    with cli.session() as session:
        found = session.scalar(select(Member).where(Member.siren == siren))
        assert found is not None
        _ = list(found.phones)
        return found


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


def unknown_valid_siren() -> str:
    taken = {row["siren"] for row in read_csv(SAMPLE)}
    return next(
        s for s in (f"{n:09d}" for n in range(100_000_000, 100_001_000)) if is_valid_siren(s) and s not in taken
    )


def audit_actions(cli: Cli) -> list[tuple[str, str, str]]:
    with cli.session() as session:
        return [(a.actor, a.action, a.subject) for a in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def test_list_filters_by_zone_and_status(cli: Cli) -> None:
    result = cli.run(["members", "list", "--zone", "marigot", "--status", "active", "--limit", "1000", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    expected = cli.count(Member, Member.zone_id == "marigot", Member.status == MemberStatus.ACTIVE)
    assert len(rows) == expected > 0
    assert {(r["zone"], r["status"]) for r in rows} == {("marigot", "active")}
    table = cli.run(["members", "list", "--search", "corail lin"])
    assert table.exit_code == 0
    assert SIREN in table.stdout


def test_list_rejects_unknown_zone_and_status(cli: Cli) -> None:
    result = cli.run(["members", "list", "--zone", "atlantis"])
    assert result.exit_code == 2
    assert "zone inconnu(e) « atlantis »" in result.stderr
    assert "Marigot" in result.stderr  # the valid values are listed
    assert cli.run(["members", "list", "--status", "dormant"]).exit_code == 2


def test_show(cli: Cli) -> None:
    result = cli.run(["members", "show", "682 734 884", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["name"] == "Hôtel Corail Lin"
    assert [p["e164"] for p in data["phones"]] == NUMBERS
    assert data["expires_on"] == "2029-04-23"
    table = cli.run(["members", "show", SIREN]).stdout
    assert all(n in table for n in NUMBERS)
    assert "23/04/2029" in table


def test_bad_and_unknown_sirens_exit_2(cli: Cli) -> None:
    for args, message in (
        (["members", "show", "12345"], "SIRET invalide « 12345 » : 5 chiffres : donnez le SIRET"),
        (["members", "show", "682734885"], "clé de contrôle"),
        (["members", "show", unknown_valid_siren()], "aucun adhérent"),
        (["members", "renew", "abc"], "SIREN invalide"),
        (["members", "withdraw", "12345", "--yes"], "SIRET invalide"),
        (["members", "data", unknown_valid_siren()], "aucun adhérent"),
    ):
        result = cli.run(args)
        assert result.exit_code == 2, (args, result.output)
        assert message in result.stderr, (args, result.stderr)
    assert [a for a in audit_actions(cli) if a[0] != "fixture"] == []


def test_export_is_the_import_format_and_round_trips(cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "export.csv"
    result = cli.run(["members", "export", str(target)])
    assert result.exit_code == 0, result.output
    assert "2000 établissement(s)" in result.stderr
    exported, original = read_csv(target), read_csv(SAMPLE)
    assert list(exported[0].keys()) == [
        "siren",
        "siret",
        *list(original[0].keys())[1:],
        "status",
        "expires_on",
        "phone_states",
    ]
    assert {r.pop("siret") for r in exported} == {""}  # the sample knows no SIRET
    assert {r["status"] for r in exported} == {"actif", "expiré"}
    by_siren = {r["siren"]: r for r in exported}
    for row in original:
        got = by_siren[row["siren"]]
        assert got["phones"].removeprefix("'") == row["phones"]  # a leading '+' is neutralised
        assert {k: got[k] for k in row if k != "phones"} == {k: v for k, v in row.items() if k != "phones"}
    again = cli.run(["members", "import", str(target), "--dry-run", "--json"])
    report = json.loads(again.stdout)
    assert (report["created"], report["updated"], report["unchanged"]) == (0, 0, 2000)
    stdout = cli.run(["members", "export", "--status", "withdrawn"])
    assert stdout.exit_code == 0
    assert stdout.stdout.splitlines() == [
        ",".join(["siren", "siret", *list(original[0].keys())[1:], "status", "expires_on", "phone_states"])
    ]
    xlsx = tmp_path / "export.xlsx"
    assert cli.run(["members", "export", str(xlsx)]).exit_code == 0
    assert xlsx.read_bytes().startswith(b"PK")
    back = json.loads(cli.run(["members", "import", str(xlsx), "--dry-run", "--json"]).stdout)
    assert (back["format"], back["unchanged"], back["errors"]) == ("xlsx", 2000, [])


def test_renew_extends_and_is_audited(cli: Cli) -> None:
    result = cli.run(["members", "renew", SIREN, "--operator", "ccism.agent", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["old_expires_on"] == "2029-04-23"
    assert member(cli).expires_on == date(2032, 4, 23)
    assert ("ccism.agent", "member.renew", f"member:{SIREN}") in audit_actions(cli)


def test_withdraw_member_asks_then_withdraws(cli: Cli) -> None:
    refused = cli.run(["members", "withdraw", SIREN], input="n\n")
    assert refused.exit_code == 1
    assert member(cli).status is MemberStatus.ACTIVE
    done = cli.run(["members", "withdraw", SIREN, "--reason", "fermeture"], input="o\n")
    assert done.exit_code == 0, done.output
    assert member(cli).status is MemberStatus.WITHDRAWN
    assert "déjà retiré" in cli.run(["members", "withdraw", SIREN, "--yes"]).stdout
    renew = cli.run(["members", "renew", SIREN])
    assert renew.exit_code == 1
    assert "ne peut pas être renouvelé" in renew.stderr


def test_withdraw_number(cli: Cli) -> None:
    result = cli.run(["members", "withdraw", "--number", "06 39 98 25 36", "--yes", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "e164": NUMBERS[0],
        "members": [SIREN],
        "withdrawn_members": [],
        "changed": True,
    }
    phones = {p.e164: p.withdrawn_at for p in member(cli).phones}
    assert phones[NUMBERS[0]] is not None
    assert phones[NUMBERS[1]] is None
    assert member(cli).status is MemberStatus.ACTIVE  # it keeps another number
    for args, message in (
        (["--number", "+33639980000"], "aucun adhérent n'a le numéro"),
        (["--number", "n'importe quoi"], "numéro invalide"),
        ([], "un SIRET (ou SIREN) ou --number"),
        ([SIREN, "--number", NUMBERS[1]], "un SIRET (ou SIREN) ou --number"),
    ):
        bad = cli.run(["members", "withdraw", *args, "--yes"])
        assert bad.exit_code == 2, (args, bad.output)
        assert message in bad.stderr, (args, bad.stderr)
    assert cli.count(MemberPhone, MemberPhone.withdrawn_at.is_not(None)) == 1


def test_suspend_and_reactivate(cli: Cli) -> None:
    assert cli.run(["members", "suspend", SIREN, "--reason", "travaux"]).exit_code == 0
    assert member(cli).status is MemberStatus.SUSPENDED
    assert cli.run(["members", "reactivate", SIREN]).exit_code == 0
    assert member(cli).status is MemberStatus.ACTIVE
    again = cli.run(["members", "reactivate", SIREN])
    assert again.exit_code == 1
    assert "n'est pas suspendu" in again.stderr


def test_data_export_is_json_and_audited(cli: Cli, tmp_path: Path) -> None:
    result = cli.run(["members", "data", SIREN, "--operator", "dpo"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["member"]["siren"] == SIREN
    assert [n["e164"] for n in data["numbers"]] == NUMBERS
    assert ("dpo", "member.data_export", f"member:{SIREN}") in audit_actions(cli)
    target = tmp_path / "data.json"
    assert cli.run(["members", "data", SIREN, "-o", str(target)]).exit_code == 0
    assert json.loads(target.read_text(encoding="utf-8"))["member"]["name"] == "Hôtel Corail Lin"


def test_establishments_by_siret_and_a_siren_that_needs_one(cli: Cli, tmp_path: Path) -> None:
    from gateway.registry.fiction import siret_from  # noqa: PLC0415

    hotel, annex = siret_from(SIREN, 1), siret_from(SIREN, 2)
    path = tmp_path / "annex.csv"
    path.write_text(
        "siret,name,category,zone,phones,registered_on\n"
        f"{annex},Hôtel Corail Lin - plage,hotel,baie-orientale,+33639980099,2026-04-23\n",
        encoding="utf-8",
    )
    imported = cli.run(["members", "import", str(path), "--json"])
    assert imported.exit_code == 0, imported.output
    assert json.loads(imported.stdout)["created"] == 1
    # The SIREN still names the establishment known without SIRET; the annex goes by its SIRET.
    shown = json.loads(cli.run(["members", "show", SIREN, "--json"]).stdout)
    assert (shown["siret"], shown["zone"]) == (None, "grand-case")
    annex_shown = json.loads(cli.run(["members", "show", annex, "--json"]).stdout)
    assert (annex_shown["siren"], annex_shown["zone"]) == (SIREN, "baie-orientale")
    # Giving the first its SIRET (a file with a SIRET column) makes the SIREN ambiguous.
    path.write_text(
        "siret,name,category,street,zone,phones,registered_on\n"
        f"{hotel},Hôtel Corail Lin,hotel,Rue de Petite Plage,grand-case,{';'.join(NUMBERS)},2026-04-23\n",
        encoding="utf-8",
    )
    assert cli.run(["members", "import", str(path)]).exit_code == 0
    ambiguous = cli.run(["members", "renew", SIREN])
    assert ambiguous.exit_code == 2
    assert "a 2 établissements" in ambiguous.stderr and hotel in ambiguous.stderr and annex in ambiguous.stderr
    withdrawn = cli.run(["members", "withdraw", annex, "--yes", "--json"])
    assert withdrawn.exit_code == 0 and json.loads(withdrawn.stdout)["status"] == "withdrawn"
    assert json.loads(cli.run(["members", "show", hotel, "--json"]).stdout)["status"] == "active"


def is_valid_siren(value: str) -> bool:
    try:
        normalize_siren(value)
    except InvalidSirenError:
        return False
    return True
