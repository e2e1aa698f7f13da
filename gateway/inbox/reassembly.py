"""Join the parts of concatenated incoming SMS, durably.

Merchants answer alerts with sightings, and a sighting written in French with accents is UCS-2: over
70 characters it arrives in several parts, minutes apart at times, in any order, and the daemon may restart
in between. Each part is committed to ``inbox_fragment`` when it arrives (only then is it deleted from the
SIM); the whole message goes to the inbox in the transaction that sees its last part. A message still missing
parts after ``window`` is given to the inbox as it is, the missing parts marked, so no sighting is lost to
a part the network never delivered.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import groupby

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from drivers.base import IncomingSms
from gateway.inbox.models import InboxFragment

UTF16 = "utf-16-be"


def missing_marker(number: int, total: int) -> str:
    """What operators read in place of a part that never arrived."""
    return f"[… partie {number}/{total} manquante …]"


@dataclass(frozen=True)
class Reassembled:
    """A whole incoming message, ready for the inbox; ``missing`` lists part numbers that never came."""

    modem_id: str
    sender: str
    text: str
    received_at: datetime
    missing: tuple[int, ...] = ()


def join_parts(parts: Sequence[tuple[int, bytes]], total: int) -> tuple[str, tuple[int, ...]]:
    """Text of parts given as (number, UTF-16-BE units), in number order, with a marker per missing part.

    Units are joined before decoding, so a surrogate pair split between two parts becomes one character.
    """
    by_number = dict(parts)
    units = b"".join(
        by_number[n] if n in by_number else missing_marker(n, total).encode(UTF16) for n in range(1, total + 1)
    )
    missing = tuple(n for n in range(1, total + 1) if n not in by_number)
    return units.decode(UTF16, "replace"), missing


def _same_message(sms_or_row: IncomingSms | InboxFragment) -> tuple[str, str, int, int]:
    if isinstance(sms_or_row, InboxFragment):
        return sms_or_row.modem_id, sms_or_row.sender, sms_or_row.reference, sms_or_row.total
    assert sms_or_row.part is not None
    return sms_or_row.modem_id, sms_or_row.sender, sms_or_row.part.reference, sms_or_row.part.total


def _message_filter(key: tuple[str, str, int, int]) -> tuple[ColumnElement[bool], ...]:
    modem_id, sender, reference, total = key
    return (
        InboxFragment.modem_id == modem_id,
        InboxFragment.sender == sender,
        InboxFragment.reference == reference,
        InboxFragment.total == total,
    )


class FragmentRaceError(Exception):
    """Another transaction consumed some of these parts first; roll back and try again."""


def _consume(session: Session, rows: Sequence[InboxFragment]) -> None:
    """Mark rows consumed, all or none (compare-and-set: the periodic flush may race a late part).

    SQLite serialises writers, so this cannot fail there; on PostgreSQL the loser rolls back and retries.
    """
    result = session.execute(
        update(InboxFragment)
        .where(InboxFragment.id.in_([r.id for r in rows]), InboxFragment.consumed.is_(False))
        .values(consumed=True),
        execution_options={"synchronize_session": False},
    )
    if result.rowcount != len(rows):  # type: ignore[attr-defined]
        raise FragmentRaceError(f"{len(rows) - result.rowcount} of {len(rows)} parts already consumed")  # type: ignore[attr-defined]


def _reassembled(rows: Sequence[InboxFragment]) -> Reassembled:
    first = rows[0]
    text, missing = join_parts([(r.number, r.units) for r in rows], first.total)
    return Reassembled(first.modem_id, first.sender, text, min(r.received_at for r in rows), missing)


def add_part(session: Session, sms: IncomingSms, *, now: datetime, window: timedelta) -> Reassembled | None:
    """Store one part; return the whole message when this part completes it, else None.

    A part already stored within ``window`` (the modem handed it over twice) is ignored. Flushes; the
    caller commits, in the same transaction as what it does with the whole message. Raises
    ``FragmentRaceError`` when a concurrent flush took some of the parts (roll back, try again).
    """
    if sms.part is None:
        raise ValueError("add_part takes a part of a concatenated SMS")
    key = _same_message(sms)
    recent = (*_message_filter(key), InboxFragment.stored_at >= now - window)
    duplicate = session.scalar(select(InboxFragment.id).where(*recent, InboxFragment.number == sms.part.number))
    if duplicate is not None:
        return None
    session.add(
        InboxFragment(
            modem_id=sms.modem_id,
            sender=sms.sender,
            reference=sms.part.reference,
            total=sms.part.total,
            number=sms.part.number,
            units=sms.text.encode(UTF16, "surrogatepass"),
            received_at=sms.received_at,
            stored_at=now,
            consumed=False,
        )
    )
    session.flush()
    rows = session.scalars(
        select(InboxFragment).where(*recent, InboxFragment.consumed.is_(False)).order_by(InboxFragment.number)
    ).all()
    if len({r.number for r in rows}) < sms.part.total:
        return None
    _consume(session, rows)
    return _reassembled(rows)


def take_incomplete(session: Session, *, now: datetime, window: timedelta) -> list[Reassembled]:
    """Messages whose last part arrived more than ``window`` ago and are still incomplete, as they are.

    Also forgets consumed parts older than ``window`` (past it, a repeat is a new message). Flushes; the
    caller commits with what it does with the messages. Raises ``FragmentRaceError`` when a concurrent
    transaction took some of the parts (roll back, try again).
    """
    cutoff = now - window
    session.execute(delete(InboxFragment).where(InboxFragment.consumed.is_(True), InboxFragment.stored_at < cutoff))
    waiting = session.scalars(
        select(InboxFragment)
        .where(InboxFragment.consumed.is_(False))
        .order_by(
            InboxFragment.modem_id,
            InboxFragment.sender,
            InboxFragment.reference,
            InboxFragment.total,
            InboxFragment.number,
            InboxFragment.id,
        )
    ).all()
    given: list[Reassembled] = []
    for _key, group in groupby(waiting, key=_same_message):
        rows = list(group)
        if max(r.stored_at for r in rows) < cutoff:
            _consume(session, rows)
            given.append(_reassembled(_first_of_each_number(rows)))
    return given


def _first_of_each_number(rows: list[InboxFragment]) -> list[InboxFragment]:
    seen: dict[int, InboxFragment] = {}
    for row in rows:
        seen.setdefault(row.number, row)
    return list(seen.values())
