"""How operators name an establishment: a SIRET, or a SIREN (see :func:`find_member`)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from gateway.registry.errors import AmbiguousMemberError, MemberNotFoundError
from gateway.registry.models import Member
from gateway.registry.siren import parse_key


def subject(member: Member) -> str:
    """The audit log's subject for an establishment."""
    return f"member:{member.key}"


def find_member(session: Session, key: str) -> Member | None:
    """The establishment named by ``key`` (spaces and dots allowed), or None.

    A SIRET names its establishment. A SIREN names the business's establishment without SIRET if it has
    one, else its only establishment; a business with several establishments that all have a SIRET raises
    :class:`AmbiguousMemberError` (listing them), and an invalid key :class:`InvalidSirenError`.
    """
    parsed = parse_key(key)
    query = select(Member).options(selectinload(Member.phones))
    if parsed.siret is not None:
        return session.scalar(query.where(Member.siret == parsed.siret))
    found = list(session.scalars(query.where(Member.siren == parsed.siren).order_by(Member.id)))
    without_siret = [m for m in found if m.siret is None]
    if without_siret:
        return without_siret[0]
    if len(found) > 1:
        raise AmbiguousMemberError(parsed.siren, [(m.key, m.name) for m in found])
    return found[0] if found else None


def get_member(session: Session, key: str) -> Member:
    """The establishment named by ``key`` (see :func:`find_member`); raises :class:`MemberNotFoundError`."""
    member = find_member(session, key)
    if member is None:
        raise MemberNotFoundError(key.strip())
    return member
