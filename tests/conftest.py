"""Fixtures shared by every test package."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

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
