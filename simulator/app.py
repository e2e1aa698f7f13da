"""Wiring: N modems on ptys, the shared handsets, the timers, the control server, the state file and log.

Use it in-process (tests)::

    with Simulator(load(modems=2, fast=True, state_dir=str(tmp_path))) as sim:
        path = sim.modems[0].device_path      # stable symlink, reopen it after a replug
        client = SimulatorClient(sim.control_url)
"""

from __future__ import annotations

import json
import logging
import random
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from simulator import jsontext
from simulator.client import SimulatorClient
from simulator.commands import sms_events
from simulator.config import ModemConfig, RuntimeDelays, SimConfig
from simulator.errors import SimulatorError
from simulator.faults import FaultError, make_fault
from simulator.handsets import Handsets
from simulator.modem import VirtualModem, utc_now
from simulator.network import Scheduler
from simulator.pty import PtyPort

log = logging.getLogger(__name__)


class UnknownModemError(SimulatorError):
    """No modem with that name or index."""


class EventLog:
    """Every submit, status report and incoming SMS: kept in memory and appended to the JSONL file."""

    def __init__(self, path: Path | None) -> None:
        self._lock = threading.Lock()
        self._records: list[dict[str, Any]] = []
        self._path = path
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)

    def __call__(self, record: dict[str, Any]) -> None:
        line = jsontext.dumps(record)
        with self._lock:
            self._records.append(record)
            if self._path is not None:
                with self._path.open("a", encoding="utf-8") as handle:
                    handle.write(line + "\n")

    def records(self, event: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(r) for r in self._records if event is None or r.get("event") == event]

    def clear(self) -> None:
        with self._lock:
            self._records.clear()


@dataclass
class ModemHandle:
    """A running virtual modem: its AT engine, its port and where clients open it."""

    index: int
    config: ModemConfig
    modem: VirtualModem
    port: PtyPort

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def device_path(self) -> str:
        """The stable path (symlink); the stand-in for /dev/serial/by-id/..."""
        return str(self.port.link)

    @property
    def pts_path(self) -> str | None:
        return self.port.pts_path

    def status(self) -> dict[str, Any]:
        return {
            **self.modem.status(),
            "index": self.index,
            "device_path": self.device_path,
            "pts_path": self.pts_path,
            "plugged": self.port.plugged,
        }


class Simulator:
    """The whole simulator; a context manager. Not restartable once stopped."""

    def __init__(self, config: SimConfig) -> None:
        self.config = config
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if config.state_dir is not None:
            self.state_dir = Path(config.state_dir)
        elif config.state_file is not None:
            self.state_dir = Path(config.state_file).resolve().parent
        else:
            self._tmp = tempfile.TemporaryDirectory(prefix="vigicommerce-sim-")
            self.state_dir = Path(self._tmp.name)
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.handsets = Handsets()
        self.events = EventLog(Path(config.submit_log) if config.submit_log else None)
        self.scheduler = Scheduler()
        rng = random.Random(config.seed)  # noqa: S311 - delay jitter, not secrets
        self.modems: list[ModemHandle] = []
        for index, modem_config in enumerate(config.modem_configs()):
            modem = VirtualModem(
                modem_config,
                delays=RuntimeDelays.from_config(config),
                handsets=self.handsets,
                scheduler=self.scheduler,
                events=self.events,
                rng=random.Random(rng.random()),  # noqa: S311 - delay jitter
            )
            port = PtyPort(self.state_dir / modem_config.name, modem.feed)
            modem.set_writer(port.write)
            modem.set_unplug(self._unplug_from_inside(index))
            self.modems.append(ModemHandle(index, modem_config, modem, port))
        self._control: Any = None
        self.control_url = ""

    # -------------------------------------------------------------- lifecycle

    def start(self) -> Simulator:
        from simulator.control import ControlServer  # noqa: PLC0415 - control imports this module

        for handle in self.modems:
            handle.port.open()
        self._control = ControlServer(self, self.config.control_host, self.config.control_port)
        self._control.start()
        self.control_url = self._control.url
        self.write_state()
        return self

    def stop(self) -> None:
        if self._control is not None:
            self._control.stop()
            self._control = None
        self.scheduler.stop()
        for handle in self.modems:
            handle.port.close()
        if self.config.state_file is not None:
            Path(self.config.state_file).unlink(missing_ok=True)
        if self._tmp is not None:
            self._tmp.cleanup()

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def client(self) -> SimulatorClient:
        """A control client bound to this simulator."""
        return SimulatorClient(self.control_url)

    def state(self) -> dict[str, Any]:
        """What the state file holds: control address and each modem's device path."""
        return {
            "control_url": self.control_url,
            "state_dir": str(self.state_dir),
            "submit_log": self.config.submit_log,
            "modems": [
                {"name": h.name, "device_path": h.device_path, "pts_path": h.pts_path, "imei": h.config.imei}
                for h in self.modems
            ],
        }

    def write_state(self) -> None:
        if self.config.state_file is None:
            return
        path = Path(self.config.state_file)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(self.state(), indent=2) + "\n", encoding="utf-8")
        tmp.replace(path)  # atomic: a reader never sees half a file

    # ------------------------------------------------------------- operations

    def modem(self, key: str | int) -> ModemHandle:
        """A modem by name ("modem0") or index (0 or "0")."""
        for handle in self.modems:
            if handle.name == str(key) or str(handle.index) == str(key):
                return handle
        raise UnknownModemError(f"no modem {key!r}")

    def _unplug_from_inside(self, index: int) -> Callable[[], None]:
        # Called by the modem on its port's reader thread (the "unplug_at" fault), holding the modem's lock.
        return lambda: self.unplug(index)

    def unplug(self, key: str | int) -> None:
        self.modem(key).port.close()
        self.write_state()

    def replug(self, key: str | int) -> None:
        """A new pty behind the same stable path; the modem boots again (SIM asks for its PIN if set)."""
        handle = self.modem(key)
        handle.port.close()
        handle.modem.power_cycle()
        handle.port.open()
        self.write_state()

    def inject_fault(self, key: str | int, kind: str, params: dict[str, Any], count: int | None) -> None:
        """Add a fault or perform an action (garbage, sim_pin, unplug, replug); raises FaultError."""
        handle = self.modem(key)
        if kind == "unplug":
            self.unplug(key)
        elif kind == "replug":
            self.replug(key)
        elif kind == "sim_pin":
            handle.modem.require_pin()
        elif kind == "garbage":
            data = params.get("data")
            if isinstance(data, str):
                try:
                    raw = bytes.fromhex(data)
                except ValueError as exc:
                    raise FaultError("garbage data must be hex") from exc
            else:
                length = params.get("length", 16)
                if not isinstance(length, int) or not 1 <= length <= 4096:
                    raise FaultError("garbage length must be 1-4096")
                raw = random.randbytes(length)  # noqa: S311 - line noise
            handle.modem.emit_garbage(raw)
        else:
            fault = make_fault(kind, params, count)
            was_registered = handle.modem.registered
            handle.modem.faults.add(fault)
            self._registration_changed(handle, was_registered)

    def clear_faults(self, key: str | int, kind: str | None = None) -> None:
        handle = self.modem(key)
        was_registered = handle.modem.registered
        handle.modem.faults.clear(kind)
        self._registration_changed(handle, was_registered)

    def _registration_changed(self, handle: ModemHandle, was: bool) -> None:
        modem = handle.modem
        if modem.registered != was and modem.settings.creg > 0:
            from simulator.commands.network_cmds import creg_line  # noqa: PLC0415

            modem.urc([creg_line(modem, unsolicited=True)])

    def incoming(
        self, key: str | int, sender: str, text: str, now: datetime | None = None, *, reverse: bool = False
    ) -> int | None:
        """An SMS from ``sender`` arrives on that modem's SIM (several parts when long, last first with
        ``reverse``); returns the storage index of its first part if stored."""
        return sms_events.incoming(self.modem(key).modem, sender, text, now or utc_now(), reverse=reverse)

    def set_network(self, key: str | int, **changes: Any) -> None:
        """Change report outcome/delay or submit delays of one modem at run time."""
        delays = self.modem(key).modem.network.delays
        for name, value in changes.items():
            if not hasattr(delays, name) or name == "extra":
                raise FaultError(f"unknown network setting {name!r}")
            setattr(delays, name, value)

    def reset(self) -> None:
        """Handsets and logs emptied, faults cleared, unplugged modems replugged, every modem rebooted."""
        self.scheduler.cancel_all()
        self.handsets.reset()
        self.events.clear()
        for handle in self.modems:
            handle.modem.faults.clear()
            handle.modem.store.clear()
            handle.modem.network.delays.__dict__.update(RuntimeDelays.from_config(self.config).__dict__)
            if not handle.port.plugged:
                handle.port.open()
            handle.modem.power_cycle()
        self.write_state()
