"""``vigicommerce tokens create|list|revoke`` on a real SQLite file."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from gateway.auth.tokens import verify_token
from gateway.cli.app import app
from gateway.storage.db import make_engine, session_factory
from gateway.storage.migrate import upgrade


def test_create_list_revoke(tmp_path: Path) -> None:
    db = tmp_path / "g.db"
    upgrade(f"sqlite:///{db}")
    config = tmp_path / "g.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{db}"\n', encoding="utf-8")
    runner = CliRunner()
    created = runner.invoke(app, ["tokens", "create", "Logiciel SIG", "--role", "alerts", "--json", "-c", str(config)])
    assert created.exit_code == 0, created.output
    token = json.loads(created.output)
    listed = runner.invoke(app, ["tokens", "list", "--json", "-c", str(config)])
    rows = json.loads(listed.output)
    assert [(r["owner"], r["role"], r["revoked_at"]) for r in rows] == [("Logiciel SIG", "alerts", None)]
    assert token["token"] not in listed.output
    engine = make_engine(f"sqlite:///{db}")
    with session_factory(engine).begin() as session:
        assert verify_token(session, token["token"]) is not None
    assert runner.invoke(app, ["tokens", "revoke", token["key_id"], "-c", str(config)]).exit_code == 0
    with session_factory(engine).begin() as session:
        assert verify_token(session, token["token"]) is None
    engine.dispose()
    assert runner.invoke(app, ["tokens", "revoke", "deadbeef", "-c", str(config)]).exit_code == 2
    assert runner.invoke(app, ["tokens", "create", "x", "--role", "root", "-c", str(config)]).exit_code == 2
