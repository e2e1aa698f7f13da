"""Configuration that cannot lie (issue 10, point 9): ``config check`` and ``db upgrade`` as an operator runs them.

The daemon's start refuses the same files with the same messages (``tests/test_daemon.py``): both go through the
schema's checks.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from gateway.cli import app

PASSWORD = "Tr0ub4dor&3"
PG_URL = f"postgresql+psycopg://vigi:{PASSWORD}@127.0.0.1:1/vigi"  # nothing listens on port 1


def check(tmp_path: Path, text: str | None, *args: str) -> Result:
    """``vigicommerce config check`` on a file with ``text`` (None: no file at all)."""
    path = tmp_path / "gateway.toml"
    if text is not None:
        path.write_text(text, encoding="utf-8")
    return CliRunner().invoke(app, ["config", "check", "--config", str(path), *args])


def test_no_file_at_the_given_path_is_an_error(tmp_path: Path) -> None:
    result = check(tmp_path, None)
    assert result.exit_code == 2
    assert "fichier de configuration introuvable" in result.stderr and "systemd/gateway.example.toml" in result.stderr


def test_no_file_at_the_default_path_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VIGI_CONFIG", raising=False)
    result = CliRunner().invoke(app, ["config", "check"])
    assert result.exit_code == 2
    assert "/etc/vigicommerce/gateway.toml : fichier de configuration introuvable" in result.stderr
    assert "Configuration valide" not in result.stdout


def test_a_time_zone_must_be_an_iana_name(tmp_path: Path) -> None:
    result = check(tmp_path, '[hours]\ntimezone = "Europe/Marigot"\n')
    assert result.exit_code == 2
    assert "hours.timezone : « Europe/Marigot » n'est pas un fuseau horaire IANA" in result.stderr
    assert "vouliez-vous dire « America/Marigot » ?" in result.stderr
    assert check(tmp_path, '[hours]\ntimezone = "America/Guadeloupe"\n').exit_code == 0


@pytest.mark.parametrize(
    ("numbers", "expected"),
    [
        ('["0690 12 34 56"]', "écrivez le numéro au format international E.164, « +590690123456 »"),
        ('["+590 690 12 34 56"]', "« +590690123456 »"),
        ('["06 39 98 00 01"]', "« +33639980001 »"),
        ('["+33 1 23 45 67 89"]', "fixe"),  # a landline gets no SMS
        ('["gendarmerie"]', "lettres"),
    ],
)
def test_operator_numbers_must_be_e164_mobiles(tmp_path: Path, numbers: str, expected: str) -> None:
    result = check(tmp_path, f"operator_numbers = {numbers}\n")
    assert result.exit_code == 2
    assert "operator_numbers" in result.stderr and expected in result.stderr


def test_the_fiction_block_is_accepted_through_the_registers_test_ranges(tmp_path: Path) -> None:
    assert check(tmp_path, 'operator_numbers = ["+590690123456", "+33639980001"]\n').exit_code == 0
    refused = check(tmp_path, 'operator_numbers = ["+33639980001"]\n[registry]\ntest_ranges = []\n')
    assert refused.exit_code == 2 and "+33639980001" in refused.stderr


def test_listening_beyond_the_loopback_without_tokens_is_refused(tmp_path: Path) -> None:
    result = check(tmp_path, '[http]\nhost = "0.0.0.0"\nrequire_tokens = false\n')
    assert result.exit_code == 2
    assert "http : l'API écouterait sur 0.0.0.0" in result.stderr and "require_tokens = true" in result.stderr
    assert check(tmp_path, '[http]\nhost = "0.0.0.0"\n').exit_code == 0
    assert check(tmp_path, '[http]\nhost = "::1"\nrequire_tokens = false\n').exit_code == 0


SECRET_FILE = f'[database]\nurl = "{PG_URL}"\n[[modems]]\nid = "m0"\ndevice = "/dev/ttyUSB0"\npin = "4321"\n'


def test_secrets_are_masked_in_what_config_check_shows(tmp_path: Path) -> None:
    text = check(tmp_path, SECRET_FILE)
    assert text.exit_code == 0
    assert "base postgresql+psycopg://vigi:***@127.0.0.1:1/vigi" in text.stdout
    as_json = check(tmp_path, SECRET_FILE, "--json")
    assert as_json.exit_code == 0
    shown = json.loads(as_json.stdout)
    assert shown["database"]["url"] == "postgresql+psycopg://vigi:***@127.0.0.1:1/vigi"
    assert shown["modems"][0]["pin"] == "***"
    for output in (text.stdout, as_json.stdout):
        assert PASSWORD not in output and "4321" not in output


def test_secrets_are_masked_in_configuration_errors(tmp_path: Path) -> None:
    result = check(tmp_path, SECRET_FILE.replace('pin = "4321"', 'pin = "43210a"') + "[http]\nport = -1\n")
    assert result.exit_code == 2
    assert "modems.0.pin : doit être de 4 à 8 chiffres, entre guillemets (valeur : ***)" in result.stderr
    assert "43210a" not in result.stderr and PASSWORD not in result.stderr


def test_errors_show_no_python_reprs(tmp_path: Path) -> None:
    result = check(tmp_path, '[dispatch]\nbatch_size = "dix"\nuse_cmms = "peut-être"\n[text]\npolicy = "utf8"\n')
    assert result.exit_code == 2
    for python in ("Input should", "(got", "ValidationError", "'dix'", "type=", "pydantic"):
        assert python not in result.stderr, python
    assert "dispatch.batch_size : doit être un nombre entier (valeur : « dix »)" in result.stderr


@pytest.fixture
def umask_022() -> Iterator[None]:
    """The usual umask: files 0644, directories 0755 unless the program says otherwise."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_db_upgrade_creates_the_database_private_to_its_user(tmp_path: Path, umask_022: None) -> None:
    db = tmp_path / "var" / "lib" / "vigicommerce" / "gateway.db"
    config = tmp_path / "gateway.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{db}"\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["db", "upgrade", "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert mode(db.parent) == 0o700 and mode(db) == 0o600
    for side in (db.with_name("gateway.db-wal"), db.with_name("gateway.db-shm")):
        assert not side.exists() or mode(side) == 0o600
    assert "Schéma : vide →" in result.stdout
    assert "Listes de référence chargées" in result.stdout and "LoadReport" not in result.stdout
    # An existing directory is the administrator's (systemd-tmpfiles makes /var/lib/vigicommerce 0750): left as is.
    shared = tmp_path / "existing"
    shared.mkdir(mode=0o755)
    config.write_text(f'[database]\nurl = "sqlite:///{shared / "gateway.db"}"\n', encoding="utf-8")
    assert CliRunner().invoke(app, ["db", "upgrade", "--config", str(config)]).exit_code == 0
    assert mode(shared) == 0o755 and mode(shared / "gateway.db") == 0o600


def test_db_upgrade_on_an_unreachable_server_hides_the_password(tmp_path: Path) -> None:
    config = tmp_path / "gateway.toml"
    config.write_text(f'[database]\nurl = "{PG_URL}"\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["db", "upgrade", "--config", str(config)])
    assert result.exit_code in (1, 2)
    assert "PostgreSQL" in result.stderr and PASSWORD not in result.output + result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)
