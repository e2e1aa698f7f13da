"""The navigation bar: every section of the console, shown to the roles that may open it.

A section whose route does not exist (yet) is not shown, so the list can name the pages to come.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from starlette.routing import NoMatchFound

from gateway.auth.roles import Permission, allows
from gateway.console.urls import href
from gateway.usecases.users import Identity


@dataclass(frozen=True, slots=True)
class Section:
    label: str
    route: str  # the route's name (its function's name unless ``name=`` says otherwise)
    permission: Permission


SECTIONS: tuple[Section, ...] = (
    Section("Tableau de bord", "dashboard", Permission.READ),
    Section("Nouvelle alerte", "new_alert", Permission.SEND),
    Section("Alertes", "alert_list", Permission.READ),
    Section("Réponses", "replies", Permission.READ),
    Section("Adhérents", "members", Permission.READ),
    Section("Campagnes", "campaigns", Permission.READ),
    Section("Statistiques", "statistics", Permission.READ),
    Section("Journal", "journal", Permission.READ),
    Section("Modems", "modems", Permission.READ),
    Section("Jetons et comptes", "accounts", Permission.ADMINISTER),
)


@dataclass(frozen=True, slots=True)
class Link:
    label: str
    href: str
    current: bool


def sections_for(request: Request, identity: Identity) -> list[Link]:
    """The links this user sees, the current page's marked (``aria-current``): the longest that starts the path."""
    found: list[tuple[str, str]] = []
    for section in SECTIONS:
        if not allows(identity.role, section.permission):
            continue
        try:
            found.append((section.label, href(request, section.route)))
        except NoMatchFound:
            continue
    here = request.url.path
    home = href(request, "dashboard")
    matching = [path for _, path in found if here == path or (path != home and here.startswith(path))]
    current = max(matching, key=len, default=None)
    return [Link(label, path, path == current) for label, path in found]
