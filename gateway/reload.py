"""What a reload (SIGHUP) applies and what it refuses: a pure comparison of the configuration in force with the file.

Applied at once, without losing queued work:

* ``[[modems]]``: added, removed, enabled or disabled modems open or close; a modem whose port settings changed
  (device, PIN, SMSC, baud rate, flow control, timeouts) is reopened, its claims given back first; limits
  (``per_minute``, ``per_hour``, ``per_day``) and budgets (``budget_*``) apply to the running worker, the
  modem stays open; unchanged modems are not touched;
* ``[dispatch] overall_per_minute`` and ``budget_warn_fraction``;
* ``[hours] daytime_start`` and ``daytime_end``, for reminders already queued too;
* the whole ``[text]`` section (policy, segment limit, template, exercise prefixes, and the text settings to
  come), for the next message each modem sends and the next alert, campaign or reply composed;
* ``[logging] level``;
* ``[console] idle_timeout_hours``, from the next console request.

Everything else needs a restart (``systemctl restart vigicommerce-gateway``; queued work survives it): the
database, the HTTP address, port and token rule, the station name, ``operator_numbers``, the time zone, the other
``[dispatch]`` keys, ``[registry]``, ``[campaigns]`` and ``[inbox]``. A reload refuses each such change by name,
keeps the running value, and applies the rest.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from gateway.config import GatewayConfig
from gateway.dispatch.changes import ModemChanges, modem_changes
from gateway.redact import mask_passwords

# Keys that a reload applies, as the file spells them. "text.*": every key of [text], present and future.
RELOADABLE = frozenset(
    {
        "dispatch.overall_per_minute",
        "dispatch.budget_warn_fraction",
        "hours.daytime_start",
        "hours.daytime_end",
        "text.*",
        "logging.level",
        "console.idle_timeout_hours",
    }
)
# The sections of GatewayConfig compared field by field (modems are compared by modem_changes).
_SECTIONS = ("database", "http", "dispatch", "hours", "text", "registry", "campaigns", "inbox", "console")
# Where a field of a package's settings is not named as its key in the file.
_KEYS = {
    "hours.tz": "hours.timezone",
    "hours.start": "hours.daytime_start",
    "hours.end": "hours.daytime_end",
    "inbox.incomplete_after": "inbox.incomplete_after_minutes",
    "console.idle_timeout": "console.idle_timeout_hours",
    "log_level": "logging.level",
}


def is_reloadable(key: str) -> bool:
    """Whether a reload applies a change of ``key`` (``http.port`` no, ``text.policy`` yes)."""
    return key in RELOADABLE or f"{key.split('.', 1)[0]}.*" in RELOADABLE


@dataclass(frozen=True, slots=True)
class Refused:
    """A change the file asks for that needs a restart: ``running`` is kept, ``wanted`` waits for the restart."""

    key: str
    running: str
    wanted: str


@dataclass(frozen=True, slots=True)
class ReloadPlan:
    """``config``: what is in force after the reload (the file's values, except the refused ones);
    ``modems``: what the dispatcher does; ``applied``: the keys applied; ``refused``: those kept."""

    config: GatewayConfig
    modems: ModemChanges
    applied: tuple[str, ...]
    refused: tuple[Refused, ...]

    @property
    def dispatcher_changed(self) -> bool:
        """Whether the dispatcher has something to apply (modems, limits, window, budgets or text policy)."""
        return bool(self.modems) or any(k.split(".", 1)[0] in {"dispatch", "hours", "text"} for k in self.applied)

    @property
    def log_level_changed(self) -> bool:
        return "logging.level" in self.applied

    def describe(self) -> str:
        """One line for the log: what changed, or ``nothing``."""
        parts = list(self.applied)
        if self.modems:
            parts.insert(0, f"modems ({self.modems.describe()})")
        return ", ".join(parts) or "nothing"


def _shown(key: str, value: Any) -> str:
    """A value as the log shows it: the file's spelling where it is simple, secrets masked."""
    if isinstance(value, ZoneInfo):
        return value.key
    if isinstance(value, time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return f"{value / timedelta(minutes=1):g}"
    if isinstance(value, tuple):
        return "[" + ", ".join(_shown(key, v) for v in value) + "]"
    if key == "database.url":
        return mask_passwords(str(value))
    return str(value)


def plan_reload(running: GatewayConfig, wanted: GatewayConfig) -> ReloadPlan:
    """Compare the configuration in force with the one just read; see the module for the rules."""
    applied: list[str] = []
    refused: list[Refused] = []

    def decide(key: str, old: Any, new: Any) -> bool:
        """True to take ``new``; records the decision."""
        if old == new:
            return True
        if is_reloadable(key):
            applied.append(key)
            return True
        refused.append(Refused(key, _shown(key, old), _shown(key, new)))
        return False

    sections: dict[str, Any] = {}
    for section in _SECTIONS:
        old, new = getattr(running, section), getattr(wanted, section)
        kept = {
            f.name: getattr(old, f.name)
            for f in dataclasses.fields(old)
            if not decide(_key(f"{section}.{f.name}"), getattr(old, f.name), getattr(new, f.name))
        }
        sections[section] = dataclasses.replace(new, **kept) if kept else new
    top: dict[str, Any] = {
        name: getattr(wanted if decide(_key(name), getattr(running, name), getattr(wanted, name)) else running, name)
        for name in ("station", "operator_numbers", "log_level")
    }
    config = dataclasses.replace(wanted, **sections, **top)
    return ReloadPlan(config, modem_changes(running.modems, wanted.modems), tuple(applied), tuple(refused))


def _key(name: str) -> str:
    return _KEYS.get(name, name)
