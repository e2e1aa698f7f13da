"""What a new modem list changes for the running dispatcher: a pure comparison, applied by ``Dispatcher.reconfigure``.

A modem is matched by its id. How to reach it (its ``port``: device, PIN, flow control, timeouts …) changed: it is
reopened, its claims given back first. Only its limits or its SIM budget changed: the running worker takes them and
the modem stays open (reopening costs seconds of service and a new registration on the network). Added or
enabled: opened. Removed or disabled: closed, its claims given back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields

from gateway.dispatch.settings import ModemSettings


@dataclass(frozen=True, slots=True)
class ModemChanges:
    """``stop``: ids of modems to close; ``reopen``: modems to close and open again with their new settings;
    ``start``: modems to open; ``retune``: running modems whose limits or budget changed."""

    stop: tuple[str, ...] = ()
    reopen: tuple[ModemSettings, ...] = ()
    start: tuple[ModemSettings, ...] = ()
    retune: tuple[ModemSettings, ...] = ()
    # For each reopened modem, the port settings that changed (names only: a PIN is never shown).
    reasons: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.stop or self.reopen or self.start or self.retune)

    def describe(self) -> str:
        """One line for the log, e.g. ``m2 opened; m1 reopened (device); m0 limits/budget``."""
        why = dict(self.reasons)
        parts = [f"{m.id} opened" for m in self.start]
        parts += [f"{m.id} reopened ({', '.join(why.get(m.id, ()))})" for m in self.reopen]
        parts += [f"{i} closed" for i in self.stop]
        parts += [f"{m.id} limits/budget" for m in self.retune]
        return "; ".join(parts)


def modem_changes(old: Sequence[ModemSettings], new: Sequence[ModemSettings]) -> ModemChanges:
    """How to go from the running modems ``old`` to ``new`` (see the module)."""
    before = {m.id: m for m in old if m.enabled}
    after = {m.id: m for m in new if m.enabled}
    stop = tuple(i for i in before if i not in after)
    start = tuple(m for i, m in after.items() if i not in before)
    reopen, retune, reasons = [], [], []
    for modem_id, modem in after.items():
        previous = before.get(modem_id)
        if previous is None:
            continue
        if previous.port != modem.port:
            reopen.append(modem)
            changed = tuple(
                f.name for f in fields(modem.port) if getattr(modem.port, f.name) != getattr(previous.port, f.name)
            )
            reasons.append((modem_id, changed))
        elif (previous.limits, previous.budget) != (modem.limits, modem.budget):
            retune.append(modem)
    return ModemChanges(stop, tuple(reopen), start, tuple(retune), tuple(reasons))
