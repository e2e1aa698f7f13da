"""The shipped systemd units pass ``systemd-analyze verify`` and keep the hardening score under 2.0."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

UNITS = Path(__file__).resolve().parents[1] / "systemd"

pytestmark = pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")


def installed_copy(tmp_path: Path, name: str) -> Path:
    # verify checks that ExecStart exists; point it at a real executable, keep everything else.
    text = (UNITS / name).read_text(encoding="utf-8")
    text = re.sub(r"/opt/vigicommerce/\.venv/bin/\S+", "/bin/true", text)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("name", ["vigicommerce-gateway.service", "vigicommerce-simulator.service"])
def test_units_verify(tmp_path: Path, name: str) -> None:
    result = subprocess.run(
        ["systemd-analyze", "verify", str(installed_copy(tmp_path, name))],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Unknown" not in result.stderr, result.stderr


def test_gateway_exposure_below_two(tmp_path: Path) -> None:
    unit = installed_copy(tmp_path, "vigicommerce-gateway.service")
    result = subprocess.run(
        ["systemd-analyze", "security", "--offline=true", str(unit)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    match = re.search(r"Overall exposure level for \S+: (\d+\.\d)", result.stdout)
    assert match, result.stdout + result.stderr
    assert float(match.group(1)) < 2.0


def test_gateway_unit_is_notify_with_watchdog() -> None:
    text = (UNITS / "vigicommerce-gateway.service").read_text(encoding="utf-8")
    for line in (
        "Type=notify",
        "WatchdogSec=",
        "DevicePolicy=closed",
        "DeviceAllow=char-ttyUSB rw",
        "SupplementaryGroups=dialout",
        "StateDirectory=vigicommerce",
        "NoNewPrivileges=true",
    ):
        assert line in text, line
