"""Keep requirements/*.txt (the hashed lock files) in step with pyproject.toml, without the network.

``make lock`` resolves the dependencies with uv, then runs ``python tools/lock.py stamp`` which writes, as the
first line of each lock file, a digest of what the lock was computed from: ``requires-python``, the dependencies
and every optional-dependency list of pyproject.toml. ``python tools/lock.py check`` (run by ``make lint``, so by
``make test``, ``make check`` and CI) recomputes that digest and fails, saying "run make lock", when someone
changed a dependency list without re-locking. It needs only the standard library: it runs before any venv exists.
"""

from __future__ import annotations

import hashlib
import json
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = ROOT / "pyproject.toml"
LOCKS = (ROOT / "requirements" / "runtime.txt", ROOT / "requirements" / "dev.txt")
PREFIX = "# pyproject-digest: sha256:"


def digest(pyproject_text: str) -> str:
    """SHA-256 of the dependency lists, in a canonical form (key order and layout of the TOML do not matter)."""
    project = tomllib.loads(pyproject_text).get("project", {})
    inputs = {
        "requires-python": project.get("requires-python"),
        "dependencies": project.get("dependencies", []),
        "optional-dependencies": project.get("optional-dependencies", {}),
    }
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()


def recorded(lock_text: str) -> str | None:
    """The digest a lock file was stamped with, None when it has none."""
    for line in lock_text.splitlines():
        if line.startswith(PREFIX):
            return line.removeprefix(PREFIX).strip()
    return None


def stamp(lock_text: str, value: str) -> str:
    """``lock_text`` with its digest line replaced by (or prefixed with) ``value``."""
    kept = [line for line in lock_text.splitlines(keepends=True) if not line.startswith(PREFIX)]
    return f"{PREFIX}{value}\n" + "".join(kept)


def stale(pyproject_text: str, locks: dict[str, str]) -> list[str]:
    """Names of the lock files (name → text) not computed from these dependency lists."""
    wanted = digest(pyproject_text)
    return [name for name, text in locks.items() if recorded(text) != wanted]


def main(argv: list[str]) -> int:
    if argv not in (["check"], ["stamp"]):
        print("usage: python tools/lock.py check|stamp", file=sys.stderr)
        return 2
    pyproject_text = PYPROJECT.read_text(encoding="utf-8")
    if argv == ["stamp"]:
        value = digest(pyproject_text)
        for path in LOCKS:
            path.write_text(stamp(path.read_text(encoding="utf-8"), value), encoding="utf-8")
        return 0
    missing = [str(path.relative_to(ROOT)) for path in LOCKS if not path.is_file()]
    locks = {str(p.relative_to(ROOT)): p.read_text(encoding="utf-8") for p in LOCKS if p.is_file()}
    out_of_date = missing + stale(pyproject_text, locks)
    if out_of_date:
        print(
            f"The lock files are not up to date with pyproject.toml's dependencies: {', '.join(out_of_date)}.\n"
            "After adding, removing or changing a dependency, run `make lock` and commit requirements/ "
            "with pyproject.toml (after a merge that conflicts in requirements/, take either side, then run "
            "`make lock`).",
            file=sys.stderr,
        )
        return 1
    print("Lock files up to date with pyproject.toml.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
