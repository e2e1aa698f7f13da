"""Roles of API tokens and what each may do. Pure: no database."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """``alerts``: send and cancel alerts and operational SMS; ``members``: manage the register;
    ``read``: read everything, change nothing; ``admin``: everything."""

    ALERTS = "alerts"
    MEMBERS = "members"
    READ = "read"
    ADMIN = "admin"


class Permission(StrEnum):
    """What an endpoint needs."""

    READ = "read"
    SEND = "send"
    MANAGE_MEMBERS = "manage_members"
    ADMINISTER = "administer"  # tokens and console accounts


# Every role reads: an alerting program must follow the progress of its own alerts.
GRANTS: dict[Role, frozenset[Permission]] = {
    Role.ALERTS: frozenset({Permission.READ, Permission.SEND}),
    Role.MEMBERS: frozenset({Permission.READ, Permission.MANAGE_MEMBERS}),
    Role.READ: frozenset({Permission.READ}),
    Role.ADMIN: frozenset(Permission),
}

ROLE_LABELS_FR: dict[Role, str] = {
    Role.ALERTS: "envoi d'alertes",
    Role.MEMBERS: "gestion des adhérents",
    Role.READ: "lecture seule",
    Role.ADMIN: "administration",
}


def allows(role: Role, permission: Permission) -> bool:
    """Whether ``role`` grants ``permission``."""
    return permission in GRANTS[role]


def roles_granting(permission: Permission) -> list[Role]:
    """The roles that grant ``permission`` (for error messages)."""
    return [role for role in Role if allows(role, permission)]
