"""Export of the register as a spreadsheet (CSV or .xlsx): the import format (:mod:`.csv_io`) plus what people
read — status, expiry and each number's state — with formula cells neutralised (:mod:`.sheets`)."""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, tzinfo
from typing import IO

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.registry.csv_io import CHUNK, COLUMNS
from gateway.registry.models import Member, MemberPhone, MemberStatus, Street
from gateway.registry.sheets import write_csv, write_xlsx
from gateway.registry.words import STATUS_LABELS, phone_state, why_not

# What an export adds for people to read; an import ignores these columns (the register owns them).
EXPORT_COLUMNS = (*COLUMNS, "status", "expires_on", "phone_states")


def export_members(
    session: Session,
    out: IO[bytes],
    *,
    fmt: str = "csv",
    statuses: Sequence[MemberStatus] | None = None,
    today: date | None = None,
    tz: tzinfo | None = None,
) -> int:
    """Write establishments (all, or those with the given statuses) to ``out`` as CSV (UTF-8, comma) or
    .xlsx, in the import format plus what people need to read: French status, expiry date and each
    number's state (``today`` decides whether a registration still receives alerts; ``tz`` dates the
    withdrawals locally). Returns how many. Numbers withdrawn by STOP are written too, with their state, so
    that export then import changes nothing (an import never brings a withdrawn number back)."""
    day = today or datetime.now(UTC).date()
    rows = _export_rows(session, statuses, day, tz)
    if fmt == "xlsx":
        return write_xlsx(out, EXPORT_COLUMNS, rows)
    text = io.TextIOWrapper(out, encoding="utf-8", newline="")
    try:
        return write_csv(text, EXPORT_COLUMNS, rows)
    finally:
        text.flush()
        text.detach()


def _export_rows(
    session: Session, statuses: Sequence[MemberStatus] | None, today: date, tz: tzinfo | None
) -> Iterator[list[str]]:
    streets = dict(session.execute(select(Street.id, Street.name)).all())
    # Plain columns, not ORM objects: an export of the whole register stays a quick read.
    query = select(
        Member.id,
        Member.siren,
        Member.siret,
        Member.name,
        Member.category_id,
        Member.address,
        Member.street_id,
        Member.zone_id,
        Member.contact,
        Member.registered_on,
        Member.status,
        Member.expires_on,
    ).order_by(Member.id)
    if statuses is not None:
        query = query.where(Member.status.in_(list(statuses)))
    for chunk in session.execute(query.execution_options(yield_per=CHUNK)).partitions():
        ids = [m.id for m in chunk]
        numbers: dict[int, list[tuple[str, datetime | None]]] = {}
        for member_id, e164, withdrawn_at in session.execute(
            select(MemberPhone.member_id, MemberPhone.e164, MemberPhone.withdrawn_at)
            .where(MemberPhone.member_id.in_(ids))
            .order_by(MemberPhone.member_id, MemberPhone.position)
        ):
            numbers.setdefault(member_id, []).append((e164, withdrawn_at))
        for m in chunk:
            phones = numbers.get(m.id, [])
            reason = why_not(m.status, m.expires_on, today)
            yield [
                m.siren,
                m.siret or "",
                m.name,
                m.category_id,
                m.address,
                streets.get(m.street_id, "") if m.street_id is not None else "",
                m.zone_id,
                ";".join(e164 for e164, _ in phones),
                m.contact,
                m.registered_on.isoformat(),
                STATUS_LABELS[m.status],
                m.expires_on.isoformat(),
                ";".join(phone_state(w, reason, _local_day(w, tz)) for _, w in phones),
            ]


def _local_day(moment: datetime | None, tz: tzinfo | None) -> str:
    if moment is None:
        return ""
    return (moment.astimezone(tz) if tz is not None else moment).strftime("%d/%m/%Y")
