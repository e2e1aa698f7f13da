"""Who may know the configuration file's schema (issue 14): the daemon and the CLI's loader, nothing else.

The packages read their own frozen settings (``TextSettings``, ``DaytimeWindow``, ``ModemSettings`` …), built at
start-up; ruff's banned-api rule (TID251, pyproject.toml) says the same in the editor. This test reads every module's
imports, including those under ``TYPE_CHECKING``.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("gateway", "drivers", "simulator", "bench")
ALLOWED = {"gateway/daemon.py", "gateway/cli/loader.py"}


def imports_schema(path: Path) -> bool:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import) and any(a.name == "gateway.settings" for a in node.names):
            return True
        if isinstance(node, ast.ImportFrom) and node.level == 0:
            if node.module == "gateway.settings":
                return True
            if node.module == "gateway" and any(a.name == "settings" for a in node.names):
                return True
    return False


def test_only_the_daemon_and_the_cli_loader_import_the_schema() -> None:
    importers = {
        str(path.relative_to(ROOT))
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if path != ROOT / "gateway" / "settings.py" and imports_schema(path)
    }
    assert importers == ALLOWED


def test_the_check_sees_every_form_of_import(tmp_path: Path) -> None:
    for line in ("import gateway.settings", "from gateway.settings import Settings", "from gateway import settings"):
        probe = tmp_path / "probe.py"
        probe.write_text(f"from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    {line}\n", encoding="utf-8")
        assert imports_schema(probe), line
    probe.write_text("from gateway.registry import settings\nfrom gateway.alerts.settings import TextSettings\n")
    assert not imports_schema(probe)
