"""Watching a modem's device path: absent, the same device, or a new one (plugged back in, or replaced)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gateway.dispatch.devicewatch import DeviceId, DeviceWatch, device_id, reappeared

D1: DeviceId = (1, 100, 0x8801)
D2: DeviceId = (1, 101, 0x8802)


@pytest.mark.parametrize(
    ("before", "now", "expected"),
    [
        (None, None, False),  # still unplugged
        (D1, D1, False),  # the device in use, unchanged (a SIM reset: back-off, not "back")
        (None, D1, True),  # plugged back in
        (D1, D2, True),  # a new device behind the same path (a modem process restarted there)
        (D1, None, False),  # just unplugged
    ],
)
def test_reappeared(before: DeviceId | None, now: DeviceId | None, expected: bool) -> None:
    assert reappeared(before, now) is expected


def test_a_real_symlink_followed_through_unplug_and_replug(tmp_path: Path) -> None:
    first, second, link = tmp_path / "pts-3", tmp_path / "pts-7", tmp_path / "modem0"
    first.touch()
    second.touch()
    os.symlink(first, link)
    watch = DeviceWatch(str(link))
    assert watch.poll() == "same"
    link.unlink()
    assert watch.poll() == "absent"
    assert watch.poll() == "absent"
    os.symlink(second, link)
    assert watch.poll() == "new"
    assert watch.poll() == "same"
    os.replace(tmp_path / "modem0", tmp_path / "gone")
    os.symlink(first, link)  # replaced without a gap
    assert watch.poll() == "new"
    assert device_id(str(tmp_path / "nothing")) is None


def test_a_device_that_is_not_a_path_is_never_absent() -> None:
    watch = DeviceWatch("loop://", look=lambda _path: None)
    assert not watch.watchable and watch.poll() == "same"
