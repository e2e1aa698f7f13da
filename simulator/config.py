"""Simulator options: defaults, a TOML file, then command-line overrides.

Every option can be set in TOML. Top-level keys are the :class:`SimConfig` fields; per-modem settings go
in ``[[modem]]`` tables (any :class:`ModemConfig` field), e.g.::

    modems = 2
    fast = true
    state_file = "/run/vigicommerce-sim/state.json"
    control_port = 8765
    report_outcome = "delivered"

    [[modem]]
    name = "orange"
    operator = "Orange Caraibe"
    signal = 25
    pin = "1234"
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from simulator.errors import SimulatorError

OUTCOMES = ("delivered", "expired", "rejected")


class ConfigError(SimulatorError):
    """A bad option value or TOML file."""


@dataclass(frozen=True)
class ModemConfig:
    """Identity and radio of one virtual modem."""

    name: str = "modem0"
    manufacturer: str = "VIGISIM"
    model: str = "VS-3G"
    revision: str = "VS3G_01.002.00"
    imei: str = "356938035643800"
    imsi: str = "340010123456780"
    operator: str = "Orange Caraibe"
    operator_short: str = "Orange"
    operator_numeric: str = "34001"
    signal: int = 20  # AT+CSQ <rssi>, 0-31
    smsc: str = "+33639980000"
    pin: str | None = None  # SIM asks for it at start-up when set
    lac: str = "00A1"
    cell_id: str = "0000B2C3"


@dataclass(frozen=True)
class SimConfig:
    """Options of the whole simulator; ``modem`` holds per-modem overrides (missing ones get defaults)."""

    modems: int = 4
    modem: tuple[dict[str, Any], ...] = ()  # [[modem]] tables: ModemConfig fields for modem 0, 1, ...
    fast: bool = False
    submit_delay: float = 3.0  # seconds per AT+CMGS, as 2G/3G modems take
    submit_jitter: float = 0.6  # +/- uniform jitter added to submit_delay
    cmms_delay: float = 1.5  # per submit while AT+CMMS keeps the link open
    cmms_window: float = 3.0  # AT+CMMS=1 closes the link after this idle time (27.005: 1-5 s)
    report_delay: float = 5.0  # seconds from submit to status report
    report_outcome: str = "delivered"  # delivered, expired, rejected
    seed: int | None = None  # jitter randomness; None = unpredictable
    state_dir: str | None = None  # where the modemN symlinks live; default: next to the state file
    state_file: str | None = None
    control_host: str = "127.0.0.1"
    control_port: int = 0  # 0 = ephemeral; the real port goes into the state file
    submit_log: str | None = None  # JSONL file, one line per submit and per status report
    log_level: str = "WARNING"

    def modem_configs(self) -> list[ModemConfig]:
        """One config per modem, filling names and distinct IMEI/IMSI for those not given."""
        out: list[ModemConfig] = []
        for i in range(self.modems):
            base = ModemConfig(
                name=f"modem{i}",
                imei=f"3569380356438{i:02d}",
                imsi=f"3400101234567{i:02d}",
            )
            if i < len(self.modem):
                base = replace(base, **self.modem[i])
            out.append(base)
        return out

    def validated(self) -> SimConfig:
        """Self, after checking ranges; raises ConfigError."""
        if not 1 <= self.modems <= 64:
            raise ConfigError("modems must be 1-64")
        if self.report_outcome not in OUTCOMES:
            raise ConfigError(f"report_outcome must be one of {OUTCOMES}")
        for name in ("submit_delay", "submit_jitter", "cmms_delay", "cmms_window", "report_delay"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name} must be >= 0")
        names = [m.name for m in self.modem_configs()]
        if len(set(names)) != len(names):
            raise ConfigError("modem names must be distinct")
        for m in self.modem_configs():
            if not 0 <= m.signal <= 31 and m.signal != 99:
                raise ConfigError("signal must be 0-31 or 99")
        return self


def _modem_from_toml(table: Any) -> dict[str, Any]:
    if not isinstance(table, dict):
        raise ConfigError("[[modem]] entries must be tables")
    known = {f.name for f in fields(ModemConfig)}
    unknown = set(table) - known
    if unknown:
        raise ConfigError(f"unknown [[modem]] keys: {sorted(unknown)}")
    return dict(table)


def load(path: str | Path | None = None, **overrides: Any) -> SimConfig:
    """Build the configuration from a TOML file (optional) and keyword overrides (None = not given)."""
    values: dict[str, Any] = {}
    if path is not None:
        try:
            with open(path, "rb") as handle:
                data = tomllib.load(handle)
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read {path}: {exc}") from exc
        known = {f.name for f in fields(SimConfig)}
        unknown = set(data) - known
        if unknown:
            raise ConfigError(f"unknown keys in {path}: {sorted(unknown)}")
        values.update(data)
        if "modem" in values:
            tables = values["modem"]
            if not isinstance(tables, list):
                raise ConfigError("[[modem]] must be an array of tables")
            values["modem"] = tuple(_modem_from_toml(t) for t in tables)
            values.setdefault("modems", len(tables))
    values.update({k: v for k, v in overrides.items() if v is not None})
    try:
        config = SimConfig(**values)
    except TypeError as exc:
        raise ConfigError(str(exc)) from exc
    return config.validated()


@dataclass
class RuntimeDelays:
    """Delays a running modem uses; mutable so the control API can change them at run time."""

    submit: float
    jitter: float
    cmms: float
    cmms_window: float
    report: float
    report_outcome: str
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_config(cls, config: SimConfig) -> RuntimeDelays:
        if config.fast:
            return cls(0.0, 0.0, 0.0, config.cmms_window, 0.0, config.report_outcome)
        return cls(
            config.submit_delay,
            config.submit_jitter,
            config.cmms_delay,
            config.cmms_window,
            config.report_delay,
            config.report_outcome,
        )
