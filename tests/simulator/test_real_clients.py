"""Clients written elsewhere, unmodified: the gammu binary and python-gsmmodem."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from simulator.app import Simulator

pytestmark = pytest.mark.slow  # real AT clients (gammu, python-gsmmodem): seconds each

NUMBER = "+33639980001"
LONG_FRENCH = (
    "Alerte Vigicommerce : vol à l'étalage signalé rue de la République à Marigot, deux individus "
    "en scooter, casque noir. Soyez vigilants, fermez vos vitrines et prévenez la gendarmerie au 17 "
    "si vous les voyez. Merci à tous les commerçants de Saint-Martin pour leur coopération « rapide »."
)

needs_gammu = pytest.mark.skipif(shutil.which("gammu") is None, reason="gammu binary not installed")


def _gammu(tmp_path: Path, device: str, *args: str) -> str:
    rc = tmp_path / "gammurc"
    rc.write_text(f"[gammu]\ndevice = {device}\nconnection = at\n", encoding="utf-8")
    result = subprocess.run(["gammu", "-c", str(rc), *args], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.mark.gammu
@needs_gammu
def test_gammu_identify(simulator: Simulator, tmp_path: Path) -> None:
    out = _gammu(tmp_path, simulator.modems[0].device_path, "identify")
    assert "VIGISIM" in out
    assert simulator.modems[0].config.imei in out


@pytest.mark.gammu
@needs_gammu
def test_gammu_sendsms_short_and_long_unicode(simulator: Simulator, tmp_path: Path) -> None:
    device = simulator.modems[1].device_path
    _gammu(tmp_path, device, "sendsms", "TEXT", NUMBER, "-text", "Bonjour, test Vigicommerce")
    _gammu(tmp_path, device, "sendsms", "TEXT", NUMBER, "-unicode", "-autolen", "400", "-text", LONG_FRENCH)
    received = simulator.handsets.received(NUMBER)
    assert [r.text for r in received] == ["Bonjour, test Vigicommerce", LONG_FRENCH]
    assert received[1].encoding == "ucs2" and received[1].segments > 1
    assert all(r.modem == "modem1" for r in received)


# python-gsmmodem's close() closes the port under its own reader thread, which then raises: its bug.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_python_gsmmodem_connects_and_sends(simulator: Simulator) -> None:
    from gsmmodem.modem import GsmModem  # noqa: PLC0415 - third-party client under test

    # python-gsmmodem always sets TP-SRR. A report arriving right after +CMGS (fast mode) lands in the
    # response of its next command (its known flaw, see STYLE.md); real reports come seconds later.
    simulator.client.set_network("modem0", report=60)
    modem = GsmModem(simulator.modems[0].device_path, 115200)
    modem.connect()
    try:
        assert modem.manufacturer == "VIGISIM"
        assert modem.signalStrength == 20
        modem.sendSms(NUMBER, "Alerte: vol signale rue de Hollande")
        modem.sendSms(NUMBER, LONG_FRENCH)
    finally:
        modem.close()
    texts = [r.text for r in simulator.handsets.received(NUMBER)]
    assert texts == ["Alerte: vol signale rue de Hollande", LONG_FRENCH]
