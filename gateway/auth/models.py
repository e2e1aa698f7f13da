"""The API token table (the secret is never stored: only its SHA-256 hash), and the web console's users, their
sessions and the refused sign-ins that throttle guessing."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from gateway.auth.roles import Role
from gateway.storage.base import Base, UTCDateTime


class ApiToken(Base):
    """One token. ``key_id`` is the public part of the token (shown in lists and logs), ``secret_hash``
    the SHA-256 of its secret part; ``owner`` is the "who" of the audit log."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_id: Mapped[str] = mapped_column(String(16), unique=True)
    owner: Mapped[str] = mapped_column(String(120))
    role: Mapped[Role] = mapped_column(
        Enum(
            Role,
            name="token_role",
            native_enum=False,
            create_constraint=True,
            length=16,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(120))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        state = "revoked" if self.revoked_at else "active"
        return f"ApiToken({self.key_id} {self.owner!r} {self.role.value} {state})"


class ConsoleUser(Base):
    """A person who signs in to the web console. ``name`` (lower case) is what they type and the audit log's
    actor; ``password_hash`` is an argon2 hash (``gateway.auth.passwords``); a disabled user cannot sign in and
    has no session left."""

    __tablename__ = "console_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    role: Mapped[Role] = mapped_column(
        Enum(
            Role,
            name="console_user_role",
            native_enum=False,
            create_constraint=True,
            length=16,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    password_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(120))
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ConsoleSession(Base):
    """A signed-in browser. The cookie holds a random token; only its SHA-256 is stored (``token_hash``), like
    the API's tokens. ``csrf_token`` is the value every form of this session must send back. ``ended_at`` is
    set by a logout, a password change or a disabled account; ``last_seen_at`` drives the idle timeout."""

    __tablename__ = "console_session"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("console_user.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LoginFailure(Base):
    """One refused console sign-in, kept to throttle guessing (``gateway.auth.throttle``): by the name typed and
    by the address it came from. Rows older than the throttle's window no longer count and are pruned."""

    __tablename__ = "console_login_failure"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    name: Mapped[str] = mapped_column(String(40), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
