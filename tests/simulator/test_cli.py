"""The program as operators and CI run it: ``python -m simulator``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from simulator.launcher import SimulatorProcess
from simulator.testing import AtTerminal


def test_cli_state_file_at_and_sigterm(tmp_path: Path) -> None:
    proc = SimulatorProcess(tmp_path, modems=2)
    with proc:
        modems = proc.state["modems"]
        assert [m["name"] for m in modems] == ["modem0", "modem1"]
        with AtTerminal(modems[1]["device_path"]) as term:
            assert term.command("AT+CGSN") == b"AT+CGSN\r\r\n356938035643801\r\n\r\nOK\r\n"
        assert len(proc.client.modems()) == 2
        assert proc.stop() == 0
    assert not proc.state_file.exists()


def test_cli_reads_toml(tmp_path: Path) -> None:
    config = tmp_path / "sim.toml"
    config.write_text(
        'fast = true\n[[modem]]\nname = "orange"\noperator = "Orange Caraibe"\nsignal = 25\n'
        '[[modem]]\nname = "digicel"\noperator = "Digicel F"\n',
        encoding="utf-8",
    )
    with SimulatorProcess(tmp_path, modems=2, extra_args=["--config", str(config)]) as proc:
        names = [m["name"] for m in proc.state["modems"]]
        assert names == ["orange", "digicel"]
        with AtTerminal(proc.state["modems"][1]["device_path"]) as term:
            assert b'"Digicel F"' in term.command("AT+COPS?")
        with AtTerminal(proc.state["modems"][0]["device_path"]) as term:
            assert b"+CSQ: 25,99" in term.command("AT+CSQ")


def test_cli_rejects_bad_config(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("modems = 2\nbogus = 1\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "simulator", "--config", str(config)], capture_output=True, timeout=30, check=False
    )
    assert result.returncode == 2
    assert b"bogus" in result.stderr
