"""Who receives an alert: distinct numbers of active, unexpired members in a target.

Semantics of a target (documented for operators in the README):

* the *place* is ``whole_territory``, or the union of ``zones`` and ``streets`` (a member in any of the
  zones OR on any of the streets);
* ``categories``, when given, narrow the place (AND): "jewellers and bureaux de change in Marigot";
* zones, streets and categories are named by id or display name, any case or accents (one resolver:
  :mod:`gateway.registry.names`);
* a target without a place is refused, even with categories: an island-wide alert must say so with
  ``whole_territory=True``, never happen because a field was left empty;
* ``whole_territory`` together with zones or streets is refused as contradictory.

A number shared by two shops appears once, with both member ids.

Nearest first: each number has a *rank* (:func:`rank`), so that the people closest to what happened are texted
first: 0 for an establishment on a street the target names, 1 for one elsewhere in a quartier it names, 2 for the
others (the whole territory, categories); a number shared by several establishments takes the best of theirs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, distinct, func, or_, select
from sqlalchemy.orm import Session

from gateway.registry.errors import InvalidTargetError
from gateway.registry.models import Member, MemberPhone, MemberStatus
from gateway.registry.names import resolve_many
from gateway.registry.reference import reference_index

STREET_RANK, ZONE_RANK, OTHER_RANK = 0, 1, 2


@dataclass(frozen=True, slots=True)
class Recipient:
    """One number to text, the members (ids) it stands for in this target, and its rank (nearest first)."""

    e164: str
    member_ids: tuple[int, ...]
    is_test: bool = False
    rank: int = OTHER_RANK


@dataclass(frozen=True, slots=True)
class TargetCount:
    """How many members and how many distinct numbers a target reaches (for previews)."""

    members: int
    numbers: int


def eligible(today: date) -> list[Any]:
    """SQL conditions (on a MemberPhone joined to its Member) for a number to receive an alert today.

    The rule of invariant 2, in one place: for callers that build their own query on these two tables.
    """
    return [
        Member.status == MemberStatus.ACTIVE,
        Member.expires_on >= today,
        MemberPhone.withdrawn_at.is_(None),
    ]


@dataclass(frozen=True, slots=True)
class ResolvedTarget:
    """A target with every name turned into ids: zone ids, street ids, category ids."""

    zones: tuple[str, ...]
    streets: tuple[int, ...]
    categories: tuple[str, ...]
    whole_territory: bool


def resolve_target(
    session: Session,
    zones: Sequence[str] = (),
    streets: Sequence[str | int] = (),
    categories: Sequence[str] = (),
    whole_territory: bool = False,
) -> ResolvedTarget:
    """Check a target's shape and resolve its names (ids or display names, any case or accents: see
    :mod:`gateway.registry.names`); raises :class:`InvalidTargetError` or :class:`UnknownReferenceError`."""
    if whole_territory and (zones or streets):
        raise InvalidTargetError("cible contradictoire : tout le territoire ET des zones ou des rues ; choisissez")
    if not whole_territory and not zones and not streets:
        raise InvalidTargetError(
            "cible vide : indiquez des zones, des rues, ou tout le territoire (les catégories seules ne suffisent pas)"
        )
    index = reference_index(session)
    return ResolvedTarget(
        zones=tuple(resolve_many(index.zone_names, zones)),
        streets=tuple(index.street_ids(streets)),
        categories=tuple(resolve_many(index.category_names, categories)),
        whole_territory=whole_territory,
    )


def rank(street_id: int | None, zone_id: str, target: ResolvedTarget) -> int:
    """How near an establishment is to what the target names: 0 on a named street, 1 elsewhere in a named
    quartier, 2 otherwise (see the module). Pure."""
    if street_id is not None and street_id in target.streets:
        return STREET_RANK
    if zone_id in target.zones:
        return ZONE_RANK
    return OTHER_RANK


def _target_filter(
    session: Session,
    zones: Sequence[str],
    streets: Sequence[str | int],
    categories: Sequence[str],
    whole_territory: bool,
) -> list[Any]:
    return _conditions(resolve_target(session, zones, streets, categories, whole_territory))


def _conditions(target: ResolvedTarget) -> list[Any]:
    conditions: list[Any] = []
    if not target.whole_territory:
        place = []
        if target.zones:
            place.append(Member.zone_id.in_(list(target.zones)))
        if target.streets:
            place.append(Member.street_id.in_(list(target.streets)))
        conditions.append(or_(*place))
    if target.categories:
        conditions.append(Member.category_id.in_(list(target.categories)))
    return conditions


def _base(today: date, conditions: list[Any], *columns: Any) -> Select[Any]:
    return select(*columns).join(Member, Member.id == MemberPhone.member_id).where(*eligible(today), *conditions)


def recipients(
    session: Session,
    *,
    zones: Sequence[str] = (),
    streets: Sequence[str | int] = (),
    categories: Sequence[str] = (),
    whole_territory: bool = False,
    today: date,
) -> list[Recipient]:
    """Distinct numbers of every active, unexpired member in the target, sorted by number, each with its rank.

    Raises :class:`InvalidTargetError` for an empty or contradictory target and :class:`UnknownReferenceError`
    (listing valid values) for an unknown zone, street or category.
    """
    target = resolve_target(session, zones, streets, categories, whole_territory)
    columns = (MemberPhone.e164, MemberPhone.member_id, MemberPhone.is_test, Member.street_id, Member.zone_id)
    query = _base(today, _conditions(target), *columns).order_by(MemberPhone.e164, MemberPhone.member_id)
    result: list[Recipient] = []
    current: str | None = None
    ids: list[int] = []
    test, best = False, OTHER_RANK
    for e164, member_id, is_test, street_id, zone_id in session.execute(query):
        if e164 != current:
            if current is not None:
                result.append(Recipient(current, tuple(ids), test, best))
            current, ids, test, best = e164, [], bool(is_test), OTHER_RANK
        ids.append(member_id)
        best = min(best, rank(street_id, zone_id, target))
    if current is not None:
        result.append(Recipient(current, tuple(ids), test, best))
    return result


def count_target(
    session: Session,
    *,
    zones: Sequence[str] = (),
    streets: Sequence[str | int] = (),
    categories: Sequence[str] = (),
    whole_territory: bool = False,
    today: date,
) -> TargetCount:
    """Members and distinct numbers that :func:`recipients` would return, counted in SQL."""
    conditions = _target_filter(session, zones, streets, categories, whole_territory)
    query = _base(
        today, conditions, func.count(distinct(MemberPhone.member_id)), func.count(distinct(MemberPhone.e164))
    )
    members, numbers = session.execute(query).one()
    return TargetCount(members=int(members), numbers=int(numbers))


def is_number_allowed(session: Session, e164: str, today: date) -> bool:
    """True when ``e164`` belongs to at least one active, unexpired member and was not withdrawn.

    Called right before a send, so that a withdrawal or an expiry after the fan-out stops the message.
    """
    query = _base(today, [MemberPhone.e164 == e164], MemberPhone.id).limit(1)
    return session.execute(query).first() is not None
