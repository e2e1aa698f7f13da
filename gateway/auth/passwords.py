"""Console passwords: argon2id hashes (argon2-cffi), and the rules a chosen password must meet.

Parameters: argon2id with 12 MiB of memory, 3 passes, 1 lane, one of OWASP's recommended settings (Password
Storage Cheat Sheet). argon2-cffi's default (64 MiB) would lift the daemon's peak memory by as much on every
sign-in, against a budget of 100 MB for the whole daemon; 12 MiB keeps a guess costly (about 20 ms of CPU and
12 MiB per try) while the daemon stays within it. One hash at a time (a lock): two sign-ins at once never hold
twice the memory, and a burst of guesses queues instead of piling up. A hash made with other parameters still
verifies (they are in the hash) and is redone with these at the next sign-in (``needs_rehash``).
"""

from __future__ import annotations

import secrets
import threading

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 10
MAX_LENGTH = 200
_hasher = PasswordHasher(time_cost=3, memory_cost=12 * 1024, parallelism=1)
_lock = threading.Lock()
# Verified when the name is unknown, so that an unknown name costs the same time as a wrong password.
_DUMMY = _hasher.hash(secrets.token_urlsafe(16))


class PasswordRuleError(ValueError):
    """A chosen password is refused; the message (French) says what to choose instead."""


def check_rules(password: str) -> None:
    """Raise :class:`PasswordRuleError` when ``password`` is too short, too long or not printable."""
    if len(password) < MIN_LENGTH:
        raise PasswordRuleError(
            f"mot de passe trop court ({len(password)} caractères) : il en faut au moins {MIN_LENGTH} ; "
            "une phrase de quelques mots convient"
        )
    if len(password) > MAX_LENGTH:
        raise PasswordRuleError(f"mot de passe trop long : {MAX_LENGTH} caractères au plus")
    if not password.isprintable():
        raise PasswordRuleError("le mot de passe contient un caractère invisible (tabulation, retour à la ligne…)")


def generate() -> str:
    """A random password for ``users create`` without ``--password-stdin``: 16 characters, about 96 bits."""
    return secrets.token_urlsafe(12)


def hash_password(password: str) -> str:
    with _lock:
        return _hasher.hash(password)


def verify(stored: str | None, password: str) -> bool:
    """Whether ``password`` matches ``stored`` (None: an unknown user, checked against a dummy hash all the same)."""
    with _lock:
        try:
            return _hasher.verify(stored or _DUMMY, password) and stored is not None
        except (VerificationError, InvalidHashError):
            return False


def needs_rehash(stored: str) -> bool:
    return _hasher.check_needs_rehash(stored)
