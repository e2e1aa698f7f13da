"""The shipped systemd units pass ``systemd-analyze verify`` and keep the hardening score under 2.0."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

UNITS = Path(__file__).resolve().parents[1] / "systemd"

pytestmark = pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")


def installed_copy(tmp_path: Path, name: str) -> Path:
    # verify checks that ExecStart exists (the Debian package installs it); point it at a real executable, keep
    # everything else. packaging/check-deb.sh verifies the installed units as they are.
    text = (UNITS / name).read_text(encoding="utf-8")
    text = re.sub(r"(/usr/bin/vigicommerce|/opt/vigicommerce/bin/\S+)(?=\s)", "/bin/true", text)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "name",
    [
        "vigicommerce-gateway.service",
        "vigicommerce-simulator.service",
        "vigicommerce-backup.service",
        "vigicommerce-backup.timer",
    ],
)
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


def test_the_udev_rule_acts_on_add_and_change() -> None:
    # On "change" (a modem re-enumerating, udevadm trigger) ModemManager must still be told to keep off.
    actions = re.findall(r'ACTION=="([^"]+)"', (UNITS / "99-vigicommerce-modems.rules").read_text(encoding="utf-8"))
    assert actions and all(a == "add|change" for a in actions), actions


def test_rehearsal_drop_in_opens_pseudo_terminals_only_when_installed() -> None:
    drop_in = (UNITS / "rehearsal.conf").read_text(encoding="utf-8")
    assert "DeviceAllow=char-pts rw" in drop_in and "vigicommerce-simulator.service" in drop_in
    assert "char-pts" not in (UNITS / "vigicommerce-gateway.service").read_text(encoding="utf-8")


def test_backup_service_runs_the_installed_command_into_the_tmpfiles_directory() -> None:
    service = (UNITS / "vigicommerce-backup.service").read_text(encoding="utf-8")
    assert "ExecStart=/usr/bin/vigicommerce db backup /var/backups/vigicommerce " in service
    assert "ReadWritePaths=/var/backups/vigicommerce" in service and "User=vigicommerce" in service
    tmpfiles = (UNITS / "vigicommerce.tmpfiles.conf").read_text(encoding="utf-8")
    assert "d /var/backups/vigicommerce 0750 vigicommerce vigicommerce" in tmpfiles
