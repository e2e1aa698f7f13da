"""Creating, checking, listing and revoking API tokens.

A token reads ``vgc_<key_id>_<secret>``: ``key_id`` (8 hex digits) finds the row, the secret (256 random
bits) is checked against its stored SHA-256 hash with ``hmac.compare_digest``. A plain hash is enough
here (no slow KDF): the secret is random, not a password a person chose, so it cannot be guessed from
its hash. The token is shown once, at creation, and cannot be recovered afterwards.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway import audit
from gateway.auth.models import ApiToken
from gateway.auth.roles import Role

PREFIX = "vgc"
_TOKEN = re.compile(r"^vgc_([0-9a-f]{8})_([A-Za-z0-9_-]{20,100})$")
# Compared against when the key id is unknown, so that an unknown key costs the same as a wrong secret.
_DUMMY_HASH = hashlib.sha256(b"no such token").hexdigest()
MAX_OWNER = 120


class AuthError(Exception):
    """Root of every error raised by :mod:`gateway.auth`."""


class InvalidOwnerError(AuthError):
    """The owner name is empty or too long."""


class TokenNotFoundError(AuthError):
    """No token with that key id."""

    def __init__(self, key_id: str) -> None:
        self.key_id = key_id
        super().__init__(f"aucun jeton « {key_id} » ; `vigicommerce tokens list` montre les jetons existants")


@dataclass(frozen=True, slots=True)
class Identity:
    """Who is calling: the token's owner (the audit log's actor), its role and key id."""

    owner: str
    role: Role
    key_id: str


@dataclass(frozen=True, slots=True)
class NewToken:
    """A freshly created token; ``token`` is the only copy of the secret: show it once."""

    key_id: str
    owner: str
    role: Role
    token: str


def hash_secret(secret: str) -> str:
    """The stored form of a secret."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_token(session: Session, owner: str, role: Role, *, now: datetime, actor: str) -> NewToken:
    """Add a token for ``owner`` with ``role`` (flushed with its audit row; the caller commits)."""
    owner = " ".join(owner.split())
    if not owner:
        raise InvalidOwnerError("propriétaire manquant ; donnez le nom de l'opérateur ou du programme")
    if len(owner) > MAX_OWNER:
        raise InvalidOwnerError(f"nom du propriétaire trop long (plus de {MAX_OWNER} caractères)")
    while True:
        key_id = secrets.token_hex(4)
        if session.scalar(select(ApiToken.id).where(ApiToken.key_id == key_id)) is None:
            break
    secret = secrets.token_urlsafe(32)
    session.add(
        ApiToken(
            key_id=key_id,
            owner=owner,
            role=role,
            secret_hash=hash_secret(secret),
            created_at=now,
            created_by=actor,
            revoked_at=None,
        )
    )
    session.flush()
    audit.record(session, actor, "token.create", f"token:{key_id}", 1, {"owner": owner, "role": role.value}, now=now)
    return NewToken(key_id, owner, role, f"{PREFIX}_{key_id}_{secret}")


def verify_token(session: Session, token: str) -> Identity | None:
    """The identity a token stands for, or None when it is malformed, unknown, wrong or revoked."""
    match = _TOKEN.fullmatch(token.strip())
    if match is None:
        return None
    key_id, secret = match.groups()
    row = session.scalar(select(ApiToken).where(ApiToken.key_id == key_id))
    expected = row.secret_hash if row is not None else _DUMMY_HASH
    good = hmac.compare_digest(hash_secret(secret).encode("ascii"), expected.encode("ascii"))
    if row is None or not good or row.revoked_at is not None:
        return None
    return Identity(row.owner, row.role, row.key_id)


def list_tokens(session: Session, *, include_revoked: bool = True) -> Sequence[ApiToken]:
    """Every token (never a secret), oldest first."""
    query = select(ApiToken).order_by(ApiToken.id)
    if not include_revoked:
        query = query.where(ApiToken.revoked_at.is_(None))
    return session.scalars(query).all()


def revoke_token(session: Session, key_id: str, *, now: datetime, actor: str) -> ApiToken:
    """Revoke a token from now on; revoking twice is harmless. Raises :class:`TokenNotFoundError`."""
    row = session.scalar(select(ApiToken).where(ApiToken.key_id == key_id.strip()))
    if row is None:
        raise TokenNotFoundError(key_id)
    if row.revoked_at is None:
        row.revoked_at = now
        session.flush()
        audit.record(session, actor, "token.revoke", f"token:{row.key_id}", 1, {"owner": row.owner}, now=now)
    return row
