"""The lock files: the station's set apart from the development set, and the offline check that they are current."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tools import lock

ROOT = Path(__file__).resolve().parents[1]

BASE = """
[project]
name = "x"
requires-python = ">=3.11"
dependencies = ["a>=1", "b"]
[project.optional-dependencies]
test = ["pytest"]
"""


@pytest.mark.parametrize(
    ("changed", "same"),
    [
        (BASE.replace('"b"]', '"b", "c"]'), False),  # a dependency added
        (BASE.replace('"a>=1"', '"a>=2"'), False),  # a bound changed
        (BASE.replace('["pytest"]', '["pytest", "ruff"]'), False),  # a development tool added
        (BASE.replace(">=3.11", ">=3.12"), False),
        (BASE + 'postgres = ["psycopg"]\n', False),  # a new extra
        (BASE.replace('["a>=1", "b"]', '[\n  "a>=1",\n  "b",\n]'), True),  # layout only
        (BASE.replace('name = "x"', 'name = "x"\nversion = "2"'), True),  # not a dependency
        (BASE + "[tool.ruff]\nline-length = 99\n", True),
    ],
)
def test_digest_follows_the_dependency_lists_only(changed: str, same: bool) -> None:
    assert (lock.digest(changed) == lock.digest(BASE)) is same


def test_stamp_replaces_the_digest_line_and_check_sees_staleness() -> None:
    text = "# header\nalembic==1.0 \\\n    --hash=sha256:00\n"
    first = lock.stamp(text, lock.digest(BASE))
    assert first.splitlines()[0] == lock.PREFIX + lock.digest(BASE)
    again = lock.stamp(first, lock.digest(BASE))
    assert again == first
    assert lock.stale(BASE, {"dev.txt": first, "runtime.txt": text}) == ["runtime.txt"]
    changed = BASE.replace('"b"]', '"b", "c"]')
    assert lock.stale(changed, {"dev.txt": first}) == ["dev.txt"]


def test_the_repository_locks_are_current() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "lock.py"), "check"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


def test_a_stale_lock_says_run_make_lock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(BASE, encoding="utf-8")
    locks = (tmp_path / "runtime.txt", tmp_path / "dev.txt")
    for path in locks:
        path.write_text(lock.stamp("", lock.digest(BASE)), encoding="utf-8")
    monkeypatch.setattr(lock, "ROOT", tmp_path)
    monkeypatch.setattr(lock, "PYPROJECT", pyproject)
    monkeypatch.setattr(lock, "LOCKS", locks)
    assert lock.main(["check"]) == 0
    pyproject.write_text(BASE.replace('"b"]', '"b", "openpyxl"]'), encoding="utf-8")
    assert lock.main(["check"]) == 1


def pins(path: Path) -> dict[str, str]:
    text = path.read_text(encoding="utf-8")
    return {m[1].lower(): m[2] for m in re.finditer(r"^([A-Za-z0-9_.\-\[\]]+)==(\S+)", text, re.MULTILINE)}


def test_the_station_gets_no_development_tool_and_the_same_versions() -> None:
    runtime, dev = pins(ROOT / "requirements" / "runtime.txt"), pins(ROOT / "requirements" / "dev.txt")
    for tool in ("pytest", "mypy", "ruff", "hypothesis", "schemathesis", "uv", "pre-commit"):
        assert tool not in runtime, tool
        assert tool in dev, tool
    for needed in ("tzdata", "python-gsmmodem-new", "psycopg-binary", "sqlalchemy"):
        assert needed in runtime, needed
    assert {name: dev[name] for name in runtime} == runtime
    # Every pin carries hashes: pip --require-hashes installs nothing else.
    for path in (ROOT / "requirements" / "runtime.txt", ROOT / "requirements" / "dev.txt"):
        blocks = re.split(r"\n(?=\S)", path.read_text(encoding="utf-8"))
        assert all("--hash=sha256:" in b for b in blocks if "==" in b.split("\n")[0])
