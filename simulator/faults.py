"""Faults injectable into one modem at run time (through the control interface or directly in tests).

A fault is a kind plus parameters and a count: ``count=None`` means "until cleared", ``count=1`` "once".
Kinds that are states (hang, slow, no_network, signal_drop) stay until cleared; kinds that are events
(cms_error, urc, unplug_at) are consumed each time they fire. Actions that happen at once (garbage, sim_pin,
unplug, replug) are not stored here: the modem and the port perform them.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass
from typing import Any

from simulator.errors import SimulatorError

#: Stored fault kinds and the parameters each accepts (with defaults).
KINDS: dict[str, dict[str, Any]] = {
    # every AT+CMGS answers +CMS ERROR: code (after ``skip`` successful ones: "segment 2 of 3 fails")
    "cms_error": {"code": 500, "skip": 0},
    "no_network": {},  # registration lost: +CREG: 0, submits fail with +CMS ERROR: 331
    "signal_drop": {},  # AT+CSQ answers 99,99
    "hang": {},  # reads and ignores everything
    "slow": {"delay": 2.0},  # every answer comes after `delay` seconds
    "urc": {"urc": "cmti"},  # a URC (cmti, cds, creg) between a command's response and its final result
    # The port vanishes in the middle of an AT+CMGS: at "prompt", after the command and before any "> " (nothing
    # can have been sent); at "answer", once the PDU is typed and before the network sees it (nothing is sent,
    # but the client cannot know).
    "unplug_at": {"stage": "prompt", "skip": 0},
}

#: Immediate actions accepted by the same endpoint.
ACTIONS = ("garbage", "sim_pin", "unplug", "replug")


class FaultError(SimulatorError):
    """An unknown fault kind or a bad parameter."""


@dataclass
class Fault:
    """One active fault; ``remaining`` is None for "until cleared"."""

    kind: str
    params: dict[str, Any]
    remaining: int | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def make_fault(kind: str, params: dict[str, Any], count: int | None) -> Fault:
    """Validate and build a fault; raises FaultError."""
    if kind not in KINDS:
        raise FaultError(f"unknown fault kind {kind!r}; known: {sorted(KINDS)} and actions {ACTIONS}")
    unknown = set(params) - set(KINDS[kind])
    if unknown:
        raise FaultError(f"fault {kind!r} does not take {sorted(unknown)}")
    if count is not None and count < 1:
        raise FaultError("count must be >= 1 (or absent for 'until cleared')")
    merged = {**KINDS[kind], **params}
    if kind == "cms_error" and not (isinstance(merged["code"], int) and 0 <= merged["code"] <= 511):
        raise FaultError("cms_error code must be an integer 0-511")
    if kind == "slow" and not (isinstance(merged["delay"], int | float) and 0 <= merged["delay"] <= 600):
        raise FaultError("slow delay must be a number of seconds 0-600")
    if kind == "urc" and merged["urc"] not in ("cmti", "cds", "creg"):
        raise FaultError("urc must be one of cmti, cds, creg")
    if kind == "unplug_at" and merged["stage"] not in ("prompt", "answer"):
        raise FaultError("unplug_at stage must be prompt or answer")
    if not (isinstance(merged.get("skip", 0), int) and 0 <= merged.get("skip", 0) <= 1000):
        raise FaultError("skip must be an integer 0-1000 (submits let through before the fault fires)")
    return Fault(kind, merged, count)


class FaultSet:
    """The faults active on one modem; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def clear(self, kind: str | None = None) -> None:
        with self._lock:
            self._faults = [f for f in self._faults if kind is not None and f.kind != kind]

    def active(self, kind: str) -> Fault | None:
        """The first active fault of that kind, without consuming it."""
        with self._lock:
            return next((f for f in self._faults if f.kind == kind), None)

    def consume(self, kind: str) -> Fault | None:
        """Take one occurrence of the first fault of that kind; it disappears when its count runs out.

        A fault with ``skip`` > 0 lets that many occasions through first (None for each of them)."""
        with self._lock:
            for fault in self._faults:
                if fault.kind == kind:
                    if fault.params.get("skip", 0) > 0:
                        fault.params["skip"] -= 1
                        return None
                    if fault.remaining is not None:
                        fault.remaining -= 1
                        if fault.remaining <= 0:
                            self._faults.remove(fault)
                    return fault
        return None

    def to_json(self) -> list[dict[str, Any]]:
        with self._lock:
            return [f.to_json() for f in self._faults]
