"""Use cases of the console's accounts: create, list, disable, enable, change a password (the ``users`` command
and, later, the console's "Jetons et comptes" page), and sign in, recognise a session, sign out (the console).
See :mod:`gateway.usecases` for the convention; the rules live in ``gateway.auth.users``, ``passwords`` and
``throttle``.

Signing in checks the password outside any transaction: an argon2 check takes tens of milliseconds, and on SQLite
a write transaction would hold the daemon's write lock all that time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from gateway.auth import passwords
from gateway.auth import users as accounts
from gateway.auth.models import ConsoleUser
from gateway.auth.roles import ROLE_LABELS_FR, Role
from gateway.auth.users import InvalidUserError, Lock, UserNotFoundError
from gateway.usecases import Store

__all__ = ["InvalidUserError", "Lock", "UserNotFoundError"]


@dataclass(frozen=True, slots=True)
class UserView:
    name: str
    role: Role
    created_at: datetime
    created_by: str
    password_changed_at: datetime
    disabled_at: datetime | None
    last_login_at: datetime | None

    @property
    def role_label(self) -> str:
        return ROLE_LABELS_FR[self.role]

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "role": self.role.value,
            "role_label": self.role_label,
            "created_at": self.created_at.isoformat(),
            "created_by": self.created_by,
            "password_changed_at": self.password_changed_at.isoformat(),
            "disabled_at": self.disabled_at.isoformat() if self.disabled_at else None,
            "last_login_at": self.last_login_at.isoformat() if self.last_login_at else None,
        }


def _view(user: ConsoleUser) -> UserView:
    return UserView(
        user.name,
        user.role,
        user.created_at,
        user.created_by,
        user.password_changed_at,
        user.disabled_at,
        user.last_login_at,
    )


@dataclass(frozen=True, slots=True)
class NewUser:
    """A created user; ``generated_password`` is the only copy of a password the gateway chose (show it once)."""

    user: UserView
    generated_password: str | None


def create(store: Store, name: str, role: Role, password: str | None, *, actor: str, now: datetime) -> NewUser:
    """Add a user with ``password``, or a generated one when None. Raises :class:`InvalidUserError`."""
    chosen = password if password is not None else passwords.generate()
    with store.sessions.begin() as session:
        user = accounts.create_user(session, name, role, chosen, now=now, actor=actor)
        return NewUser(_view(user), None if password is not None else chosen)


def list_all(store: Store) -> list[UserView]:
    """Every user, by name (never a password hash)."""
    with store.read_sessions.begin() as session:
        return [_view(u) for u in accounts.list_users(session)]


def disable(store: Store, name: str, *, actor: str, now: datetime) -> tuple[UserView, int]:
    """Disable a user: it can no longer sign in and its open sessions end now. The user and the sessions ended."""
    with store.sessions.begin() as session:
        user, ended = accounts.set_disabled(session, name, True, now=now, actor=actor)
        return _view(user), ended


def enable(store: Store, name: str, *, actor: str, now: datetime) -> UserView:
    with store.sessions.begin() as session:
        user, _ = accounts.set_disabled(session, name, False, now=now, actor=actor)
        return _view(user)


def change_password(
    store: Store, name: str, password: str | None, *, actor: str, now: datetime
) -> tuple[UserView, str | None]:
    """Set a new password (generated when None, and returned to be shown once); the user's sessions end."""
    chosen = password if password is not None else passwords.generate()
    with store.sessions.begin() as session:
        user = accounts.set_password(session, name, chosen, now=now, actor=actor)
        return _view(user), None if password is not None else chosen


@dataclass(frozen=True, slots=True)
class Identity:
    """Who a console request comes from: the user (the audit log's actor), the role, the session's CSRF token."""

    name: str
    role: Role
    csrf_token: str
    session_id: int

    @property
    def role_label(self) -> str:
        return ROLE_LABELS_FR[self.role]


@dataclass(frozen=True, slots=True)
class LoginResult:
    """``token``: the new session's cookie value (None when refused); ``lock``: sign-ins are refused until
    ``lock.until`` (already in force, or started by this failure)."""

    identity: Identity | None
    token: str | None
    lock: Lock | None = None


def log_in(store: Store, name: str, password: str, address: str, *, now: datetime) -> LoginResult:
    """Check a name and password from ``address``; open a session, or count (and audit) the failure.

    Refused without checking the password while the name or the address is locked (``gateway.auth.throttle``).
    A wrong password, an unknown name and a disabled account are refused alike (the audit log says which)."""
    key = accounts.name_key(name)
    with store.read_sessions.begin() as session:
        lock = accounts.lock_in_force(session, key, address, now=now)
        if lock is not None:
            return LoginResult(None, None, lock)
        user = accounts.find_user(session, key)
        stored = user.password_hash if user is not None and user.disabled_at is None else None
        reason = "unknown" if user is None else "disabled" if user.disabled_at is not None else "password"
    good = passwords.verify(stored, password)
    with store.sessions.begin() as session:
        user = accounts.find_user(session, key) if good else None
        if user is None or user.disabled_at is not None or user.password_hash != stored:
            # The account changed between the check and now (disabled, new password): refuse.
            lock = accounts.record_failure(session, key, address, reason, now=now)
            return LoginResult(None, None, lock)
        if passwords.needs_rehash(user.password_hash):
            user.password_hash = passwords.hash_password(password)
        token, row = accounts.start_session(session, user, address, now=now)
        return LoginResult(Identity(user.name, user.role, row.csrf_token, row.id), token)


def identify(store: Store, token: str, *, now: datetime, idle: timedelta, activity: bool = True) -> Identity | None:
    """The signed-in user a session cookie stands for, or None (unknown, ended, idle too long, user disabled).

    ``activity``: this request is the user's doing (a page, a form) and postpones the idle timeout; a page's own
    periodic refresh is not, so an unattended screen still times out."""
    with store.read_sessions.begin() as session:
        found = accounts.open_session(session, token, now=now, idle=idle)
        if found is None:
            return None
        row, user = found
        identity = Identity(user.name, user.role, row.csrf_token, row.id)
        stale = now - row.last_seen_at >= accounts.TOUCH_EVERY
    if activity and stale:
        with store.sessions.begin() as session:
            accounts.touch(session, identity.session_id, now=now)
    return identity


def log_out(store: Store, token: str, *, now: datetime) -> str | None:
    """End the session of ``token`` now (audited); the user's name, None when it was not open."""
    with store.sessions.begin() as session:
        return accounts.end_session(session, token, now=now)
