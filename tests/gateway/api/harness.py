"""An API over a real SQLite file: reference lists, three members, a token per role, a recording modem view."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import Engine

from drivers.base import ModemInfo
from gateway.api.context import ApiContext
from gateway.api.server import ApiServer
from gateway.auth.roles import Role
from gateway.auth.tokens import create_token
from gateway.config import GatewayConfig
from gateway.dispatch.worker import WorkerStatus
from gateway.outbox.store import Outbox
from gateway.registry.fiction import siren_from
from gateway.registry.members import create_member
from gateway.registry.records import MemberInput
from gateway.registry.reference import load_reference
from gateway.storage.db import make_engine, session_factory
from gateway.storage.migrate import upgrade_engine

DATA = Path(__file__).resolve().parents[3] / "data"
NOW = datetime(2026, 11, 28, 15, 0, tzinfo=UTC)
MEMBERS = [  # siren prefix, zone, street, category, phones
    (1, "marigot", "Rue Kennedy", "bijouterie", ["+33639980001", "+33639980002"]),
    (2, "marigot", "", "pharmacie", ["+33639980003"]),
    (3, "grand-case", "", "bijouterie", ["+33639980004"]),
]


@dataclass
class Api:
    client: httpx.Client
    context: ApiContext
    engine: Engine
    tokens: dict[Role, str]
    sirens: list[str]
    modems: list[WorkerStatus] = field(default_factory=list)

    def auth(self, role: Role = Role.ADMIN) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def count(self, sql: str) -> int:
        with self.engine.connect() as conn:
            return int(conn.exec_driver_sql(sql).scalar_one())


def build(
    tmp_path: Path, **overrides: object
) -> tuple[ApiContext, Engine, dict[Role, str], list[str], list[WorkerStatus]]:
    engine = make_engine(f"sqlite:///{tmp_path / 'api.db'}")
    upgrade_engine(engine)
    tokens: dict[Role, str] = {}
    sirens = []
    with session_factory(engine).begin() as session:
        load_reference(session, DATA)
        for prefix, zone, street, category, phones in MEMBERS:
            siren = siren_from(prefix)
            sirens.append(siren)
            create_member(
                session,
                MemberInput(
                    siren=siren,
                    name=f"Boutique {prefix}",
                    category=category,
                    zone=zone,
                    street=street,
                    phones=phones,
                    registered_on=date(2025, 1, 10),
                ),
                now=NOW,
                actor="test",
            )
        for role in Role:
            tokens[role] = create_token(session, f"agent-{role.value}", role, now=NOW, actor="test").token
    modems = [WorkerStatus("m0", state="open", info=ModemInfo("m0", "SIM", "VM", "1", "35", "208", "Orange", 21, True))]
    config = GatewayConfig(**overrides)  # type: ignore[arg-type]
    context = ApiContext(config, engine, Outbox(engine), modem_status=lambda: modems, clock=lambda: NOW)
    return context, engine, tokens, sirens, modems


@contextlib.contextmanager
def serving(context: ApiContext) -> Iterator[httpx.Client]:
    """The app on a real uvicorn server on an ephemeral loopback port, and a client for it."""
    server = ApiServer(context, dataclasses.replace(context.config.http, host="127.0.0.1", port=0))
    server.start()
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{server.port}", timeout=10) as client:
            yield client
    finally:
        server.stop()


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    context, engine, tokens, sirens, modems = build(tmp_path)
    with serving(context) as client:
        yield Api(client, context, engine, tokens, sirens, modems)
    engine.dispose()
