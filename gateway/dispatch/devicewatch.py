"""Watching a modem's device path, so that a modem plugged back in is used at once, not after its back-off.

A USB modem that comes back reappears under its stable path (``/dev/serial/by-id/…``, a udev symlink, the
simulator's symlink); a modem process restarted behind the same path gives it a new device. While a modem is
out of service its worker looks at the path a few times a second (a ``stat``: microseconds, no thread, no
inotify dependency) and reopens at once, back-off reset, when a device appears there or a new one replaces the
old. While a path-like device is absent, opening is not even tried: nothing to open.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Literal

DeviceId = tuple[int, int, int]  # st_dev, st_ino, st_rdev of what the path leads to


def reappeared(before: DeviceId | None, now: DeviceId | None) -> bool:
    """A device is there now that was not at the last look (plugged in, or replaced by a new one). Pure."""
    return now is not None and now != before


def device_id(path: str) -> DeviceId | None:
    """What ``path`` leads to now (symlinks followed), or None when nothing is there."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino, st.st_rdev


class DeviceWatch:
    """Remembers what was at the device path at the last look. ``watchable`` is False for a device that is not a
    filesystem path (a test double, a URL): it is then always "same", never absent nor new."""

    def __init__(self, path: str, look: Callable[[str], DeviceId | None] = device_id) -> None:
        self.path = path
        self.watchable = path.startswith("/")
        self._look = look
        self._last = look(path) if self.watchable else None

    def poll(self) -> Literal["absent", "same", "new"]:
        """Look at the path: nothing there, what was there at the last look, or a device that appeared since."""
        if not self.watchable:
            return "same"
        before, self._last = self._last, self._look(self.path)
        if self._last is None:
            return "absent"
        return "new" if reappeared(before, self._last) else "same"
