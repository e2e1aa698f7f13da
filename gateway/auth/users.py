"""Console users and their sessions, inside a caller's transaction (``gateway.usecases.users`` opens it).

A session is a random token in an HttpOnly cookie; the database keeps its SHA-256 only (as for API tokens), so a
copy of the database opens no session. Each session has its own CSRF token, which every form sends back. A
session ends at logout, when its user is disabled or changes password, and after ``idle`` without a page read.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from gateway import audit
from gateway.auth import passwords, throttle
from gateway.auth.models import ConsoleSession, ConsoleUser, LoginFailure
from gateway.auth.roles import Role
from gateway.auth.tokens import AuthError

NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,39}$")
MAX_NAME = 40
MAX_ADDRESS = 64
# last_seen_at is written at most this often: a page refresh every few seconds must not write each time.
TOUCH_EVERY = timedelta(minutes=1)
# Ended or idle sessions are deleted after this long (they open nothing; the audit log keeps the story).
KEEP_ENDED = timedelta(days=30)


class InvalidUserError(AuthError):
    """A user name, role or password is refused; the message says what to write instead."""


class UserNotFoundError(AuthError):
    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"aucun utilisateur « {name} » ; `vigicommerce users list` montre les comptes")


def name_key(text: str) -> str:
    """The stored form of a name as typed (trimmed, lower case, at most 40 characters): ``Dupont`` signs in as
    ``dupont``."""
    return text.strip().casefold()[:MAX_NAME]


def check_name(text: str) -> str:
    name = name_key(text)
    if not NAME_PATTERN.fullmatch(name):
        raise InvalidUserError(
            f"nom d'utilisateur « {text.strip()} » refusé : de 2 à 40 lettres sans accent, chiffres, « . », « _ » "
            "ou « - », commençant par une lettre ou un chiffre (par exemple « dupont » ou « j.martin »)"
        )
    return name


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def find_user(session: Session, name: str) -> ConsoleUser | None:
    return session.scalar(select(ConsoleUser).where(ConsoleUser.name == name_key(name)))


def get_user(session: Session, name: str) -> ConsoleUser:
    user = find_user(session, name)
    if user is None:
        raise UserNotFoundError(name_key(name))
    return user


def create_user(session: Session, name: str, role: Role, password: str, *, now: datetime, actor: str) -> ConsoleUser:
    """Add a user (flushed with its audit row; the caller commits). Raises :class:`InvalidUserError`."""
    key = check_name(name)
    try:
        passwords.check_rules(password)
    except passwords.PasswordRuleError as exc:
        raise InvalidUserError(str(exc)) from exc
    if find_user(session, key) is not None:
        raise InvalidUserError(
            f"l'utilisateur « {key} » existe déjà ; `vigicommerce users passwd {key}` change son mot de passe"
        )
    user = ConsoleUser(
        name=key,
        role=role,
        password_hash=passwords.hash_password(password),
        created_at=now,
        created_by=actor,
        password_changed_at=now,
        disabled_at=None,
        last_login_at=None,
    )
    session.add(user)
    session.flush()
    audit.record(session, actor, "user.create", f"user:{key}", 1, {"role": role.value}, now=now)
    return user


def list_users(session: Session) -> Sequence[ConsoleUser]:
    return session.scalars(select(ConsoleUser).order_by(ConsoleUser.name)).all()


def end_sessions(session: Session, user_id: int, *, now: datetime) -> int:
    """End every open session of a user at once; the number ended."""
    result = session.execute(
        update(ConsoleSession)
        .where(ConsoleSession.user_id == user_id, ConsoleSession.ended_at.is_(None))
        .values(ended_at=now)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def set_password(session: Session, name: str, password: str, *, now: datetime, actor: str) -> ConsoleUser:
    """Change a password; the user's open sessions end (whoever knew the old one is out)."""
    user = get_user(session, name)
    try:
        passwords.check_rules(password)
    except passwords.PasswordRuleError as exc:
        raise InvalidUserError(str(exc)) from exc
    user.password_hash = passwords.hash_password(password)
    user.password_changed_at = now
    ended = end_sessions(session, user.id, now=now)
    audit.record(session, actor, "user.password", f"user:{user.name}", 1, {"sessions_ended": ended}, now=now)
    return user


def set_disabled(session: Session, name: str, disabled: bool, *, now: datetime, actor: str) -> tuple[ConsoleUser, int]:
    """Disable (its sessions end at once) or enable a user; doing it twice changes nothing. The sessions ended."""
    user = get_user(session, name)
    ended = 0
    if disabled:
        ended = end_sessions(session, user.id, now=now)
        if user.disabled_at is None:
            user.disabled_at = now
            audit.record(session, actor, "user.disable", f"user:{user.name}", 1, {"sessions_ended": ended}, now=now)
    elif user.disabled_at is not None:
        user.disabled_at = None
        audit.record(session, actor, "user.enable", f"user:{user.name}", 1, now=now)
    return user, ended


@dataclass(frozen=True, slots=True)
class Lock:
    """Sign-ins refused until ``until``: for the name typed (``by == "name"``) or the address (``"address"``)."""

    by: str
    until: datetime


def lock_in_force(session: Session, name: str, address: str, *, now: datetime) -> Lock | None:
    since = now - throttle.LOOKBACK
    by_name = session.scalars(select(LoginFailure.at).where(LoginFailure.name == name, LoginFailure.at > since)).all()
    by_address = session.scalars(
        select(LoginFailure.at).where(LoginFailure.address == address, LoginFailure.at > since)
    ).all()
    locks = [
        Lock(by, until)
        for by, times in (("name", by_name), ("address", by_address))
        if (until := throttle.locked_until(times, now)) is not None
    ]
    return max(locks, key=lambda lock: lock.until) if locks else None


def record_failure(session: Session, name: str, address: str, reason: str, *, now: datetime) -> Lock | None:
    """Count a refused sign-in and audit it; audit the lock when this failure starts one (returned)."""
    session.add(LoginFailure(at=now, name=name, address=address[:MAX_ADDRESS]))
    session.flush()
    details = {"name": name, "address": address, "reason": reason}
    audit.record(session, "console", "console.login_failed", f"user:{name}", 0, details, now=now)
    lock = lock_in_force(session, name, address, now=now)
    if lock is not None:
        audit.record(
            session,
            "console",
            "console.lockout",
            f"user:{name}" if lock.by == "name" else f"address:{address}",
            0,
            {**details, "by": lock.by, "until": lock.until.isoformat()},
            now=now,
        )
    return lock


def start_session(session: Session, user: ConsoleUser, address: str, *, now: datetime) -> tuple[str, ConsoleSession]:
    """A new session for ``user`` (its failures forgotten, old sessions pruned): the cookie's token and the row."""
    token = secrets.token_urlsafe(32)
    row = ConsoleSession(
        token_hash=hash_token(token),
        user_id=user.id,
        csrf_token=secrets.token_urlsafe(32),
        address=address[:MAX_ADDRESS],
        created_at=now,
        last_seen_at=now,
        ended_at=None,
    )
    session.add(row)
    user.last_login_at = now
    session.execute(delete(LoginFailure).where(LoginFailure.name == user.name))
    session.execute(delete(LoginFailure).where(LoginFailure.at <= now - throttle.LOOKBACK))
    session.execute(
        delete(ConsoleSession).where(
            or_(ConsoleSession.ended_at <= now - KEEP_ENDED, ConsoleSession.last_seen_at <= now - KEEP_ENDED)
        )
    )
    session.flush()
    audit.record(session, user.name, "console.login", f"user:{user.name}", 1, {"address": address}, now=now)
    return token, row


def open_session(
    session: Session, token: str, *, now: datetime, idle: timedelta
) -> tuple[ConsoleSession, ConsoleUser] | None:
    """The open session a cookie's token stands for, with its user; None when unknown, ended, idle for longer than
    ``idle`` or its user disabled."""
    found = session.execute(
        select(ConsoleSession, ConsoleUser)
        .join(ConsoleUser, ConsoleUser.id == ConsoleSession.user_id)
        .where(ConsoleSession.token_hash == hash_token(token))
    ).first()
    if found is None:
        return None
    row, user = found
    if row.ended_at is not None or user.disabled_at is not None or now - row.last_seen_at > idle:
        return None
    return row, user


def touch(session: Session, session_id: int, *, now: datetime) -> None:
    """Mark a session active at ``now`` (only if it was not in the last minute and is still open)."""
    session.execute(
        update(ConsoleSession)
        .where(
            ConsoleSession.id == session_id,
            ConsoleSession.ended_at.is_(None),
            ConsoleSession.last_seen_at < now - TOUCH_EVERY,
        )
        .values(last_seen_at=now)
    )


def end_session(session: Session, token: str, *, now: datetime) -> str | None:
    """Log out: end the session of ``token``; its user's name (None when there was no open session)."""
    found = session.execute(
        select(ConsoleSession, ConsoleUser.name)
        .join(ConsoleUser, ConsoleUser.id == ConsoleSession.user_id)
        .where(ConsoleSession.token_hash == hash_token(token), ConsoleSession.ended_at.is_(None))
    ).first()
    if found is None:
        return None
    row, name = found
    row.ended_at = now
    audit.record(session, name, "console.logout", f"user:{name}", 1, now=now)
    return str(name)
