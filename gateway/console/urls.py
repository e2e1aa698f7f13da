"""Paths of the console's routes, for links, forms and redirects."""

from __future__ import annotations

from typing import Any

from fastapi import Request


def href(request: Request, name: str, **params: Any) -> str:
    """The path of the console route ``name`` (``/console/connexion``).

    The console's own router resolves the name (its routes are not reachable from the outer application's
    ``url_for``: the mount holds a wrapper, ``headers.SecureHeaders``), and the mount's prefix is prepended."""
    return str(request.scope.get("root_path", "")) + str(request.app.url_path_for(name, **params))
