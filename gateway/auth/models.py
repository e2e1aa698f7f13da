"""The API token table. The secret is never stored: only its SHA-256 hash."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Enum, Integer, String
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
