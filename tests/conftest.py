"""Fixtures shared by every test package."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from gateway.storage.db import make_engine
from simulator.app import Simulator
from simulator.testing import running_simulator


@pytest.fixture
def simulator(tmp_path: Path) -> Iterator[Simulator]:
    """An in-process simulator with two fast modems (no submit/report delay).

    ``simulator.modems[i].device_path`` is the stable path to open, ``simulator.client`` the control
    client, ``simulator.handsets`` what each number received.
    """
    with running_simulator(tmp_path, modems=2) as sim:
        yield sim


POSTGRES_URL = os.environ.get("VIGI_TEST_POSTGRES_URL")


def empty_database_url(kind: str, tmp_path: Path) -> str:
    """The URL of an empty database: a new SQLite file, or the test PostgreSQL with its schema dropped and
    recreated (skips the test when ``VIGI_TEST_POSTGRES_URL`` is not set; ``.ci/run`` sets it)."""
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'gateway.db'}"
    if not POSTGRES_URL:
        pytest.skip("VIGI_TEST_POSTGRES_URL is not set")
    engine = make_engine(POSTGRES_URL)
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()
    return POSTGRES_URL


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database, once SQLite and once PostgreSQL: for the parts several stations may share."""
    return empty_database_url(str(request.param), tmp_path)
