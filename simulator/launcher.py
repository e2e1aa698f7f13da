"""Start the simulator as a subprocess (``python -m simulator``) and wait until it is ready.

with SimulatorProcess(tmp_path, modems=2) as proc:
    proc.state["modems"][0]["device_path"]; proc.client.handsets()
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from simulator.client import SimulatorClient
from simulator.errors import SimulatorError


class LaunchError(SimulatorError):
    """The simulator process did not become ready."""


class SimulatorProcess:
    """A ``python -m simulator`` child process, stopped with SIGTERM on exit."""

    def __init__(
        self,
        workdir: Path,
        *,
        modems: int = 2,
        fast: bool = True,
        extra_args: list[str] | None = None,
        timeout: float = 15.0,
    ) -> None:
        self.state_file = Path(workdir) / "sim-state.json"
        self.args = [
            sys.executable,
            "-m",
            "simulator",
            "--modems",
            str(modems),
            "--state-file",
            str(self.state_file),
            *(["--fast"] if fast else []),
            *(extra_args or []),
        ]
        self.timeout = timeout
        self.process: subprocess.Popen[bytes] | None = None
        self.state: dict[str, Any] = {}

    @property
    def client(self) -> SimulatorClient:
        return SimulatorClient(self.state["control_url"])

    def start(self) -> SimulatorProcess:
        self.state_file.unlink(missing_ok=True)
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            self.args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ}
        )
        deadline = time.monotonic() + self.timeout
        while not self.state_file.exists():
            if self.process.poll() is not None:
                _, err = self.process.communicate()
                raise LaunchError(f"simulator exited with {self.process.returncode}: {err.decode()[-2000:]}")
            if time.monotonic() > deadline:
                self.stop()
                raise LaunchError("simulator did not write its state file in time")
            time.sleep(0.02)
        self.state = json.loads(self.state_file.read_text(encoding="utf-8"))
        return self

    def stop(self, timeout: float = 10.0) -> int:
        """SIGTERM, wait, and return the exit code."""
        if self.process is None:
            return 0
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.communicate(timeout=5)
        return self.process.returncode

    def __enter__(self) -> SimulatorProcess:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
