"""``vigicommerce users create|list|disable|enable|passwd`` on a real SQLite file."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gateway.cli.app import app
from gateway.storage.db import make_engine
from gateway.storage.migrate import upgrade
from gateway.usecases import Store, users

NOW = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    db = tmp_path / "g.db"
    upgrade(f"sqlite:///{db}")
    path = tmp_path / "g.toml"
    path.write_text(f'[database]\nurl = "sqlite:///{db}"\n', encoding="utf-8")
    return path


def signs_in(config: Path, name: str, password: str) -> bool:
    url = config.read_text(encoding="utf-8").split('"')[1]
    engine = make_engine(url)
    try:
        return users.log_in(Store.for_engine(engine), name, password, "127.0.0.1", now=NOW).token is not None
    finally:
        engine.dispose()


def test_create_with_a_password_from_stdin(config: Path) -> None:
    runner = CliRunner()
    done = runner.invoke(
        app,
        ["users", "create", "Dupont", "--role", "alerts", "--password-stdin", "-c", str(config), "--actor", "chef"],
        input="mot de passe du poste\n",
    )
    assert done.exit_code == 0, done.output
    assert "Compte « dupont » créé (rôle alerts, envoi d'alertes)" in done.output
    assert "mot de passe du poste" not in done.output
    assert signs_in(config, "dupont", "mot de passe du poste")  # the newline `echo` adds is not part of it


def test_create_without_a_password_shows_the_generated_one_once(config: Path) -> None:
    runner = CliRunner()
    done = runner.invoke(app, ["users", "create", "martin", "--role", "read", "--json", "-c", str(config)])
    assert done.exit_code == 0, done.output
    made = json.loads(done.output)
    assert made["name"] == "martin" and made["role"] == "read"
    assert signs_in(config, "martin", made["password"])
    listed = runner.invoke(app, ["users", "list", "--json", "-c", str(config)])
    assert made["password"] not in listed.output
    assert [(u["name"], u["role"], u["disabled_at"]) for u in json.loads(listed.output)] == [("martin", "read", None)]


def test_disable_enable_and_passwd(config: Path) -> None:
    runner = CliRunner()
    args = ["-c", str(config)]
    runner.invoke(app, ["users", "create", "dupont", "--role", "admin", "--password-stdin", *args], input="premier-mot")
    disabled = runner.invoke(app, ["users", "disable", "dupont", *args])
    assert disabled.exit_code == 0 and "désactivé" in disabled.output
    assert not signs_in(config, "dupont", "premier-mot")
    listed = runner.invoke(app, ["users", "list", *args], env={"COLUMNS": "200"})
    assert "désactivé le" in listed.output
    assert runner.invoke(app, ["users", "enable", "dupont", *args]).exit_code == 0
    assert signs_in(config, "dupont", "premier-mot")
    changed = runner.invoke(app, ["users", "passwd", "dupont", "--password-stdin", *args], input="second-mot-de-passe")
    assert changed.exit_code == 0, changed.output
    assert not signs_in(config, "dupont", "premier-mot")
    assert signs_in(config, "dupont", "second-mot-de-passe")


@pytest.mark.parametrize(
    ("args", "stdin", "says"),
    [
        (["create", "dupont", "--role", "root"], None, "Rôle inconnu"),
        (["create", "dupont", "--role", "read", "--password-stdin"], "", "Mot de passe vide"),
        (["create", "dupont", "--role", "read", "--password-stdin"], "court", "trop court"),
        (["create", "jean dupont", "--role", "read"], None, "refusé"),
        (["disable", "personne"], None, "aucun utilisateur"),
        (["passwd", "personne"], None, "aucun utilisateur"),
    ],
)
def test_refusals_exit_2_with_what_to_do(config: Path, args: list[str], stdin: str | None, says: str) -> None:
    done = CliRunner().invoke(app, ["users", *args, "-c", str(config)], input=stdin)
    assert done.exit_code == 2, done.output
    assert says in done.output
