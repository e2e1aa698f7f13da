"""Use cases of the reference lists: the zones, streets and categories people name alerts and members with,
each with how many establishments it holds; and loading the lists. See :mod:`gateway.usecases`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from gateway.registry.models import Category, Member, MemberStatus, Street, Zone
from gateway.registry.reference import LoadReport, reference_index
from gateway.registry.reference import load_reference as upsert_reference
from gateway.usecases import Store


@dataclass(frozen=True, slots=True)
class Entry:
    """A zone, street or category: its id, the name people use, and its establishments (``receiving``: those
    an alert sent today reaches; ``members``: all, whatever their status). ``zone``/``zone_name`` for streets."""

    id: str
    name: str
    members: int
    receiving: int
    zone: str = ""
    zone_name: str = ""

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "name": self.name, "members": self.members, "receiving": self.receiving}
        if self.zone:
            data |= {"zone": self.zone, "zone_name": self.zone_name}
        return data


def _counts(session: Session, column: Any, today: date) -> dict[Any, tuple[int, int]]:
    receiving = func.sum(case((and_(Member.status == MemberStatus.ACTIVE, Member.expires_on >= today), 1), else_=0))
    rows = session.execute(select(column, func.count(Member.id), receiving).group_by(column)).all()
    return {key: (int(total), int(active or 0)) for key, total, active in rows}


def zones(store: Store, *, today: date) -> list[Entry]:
    """Every zone, by name."""
    with store.read_sessions.begin() as session:
        counts = _counts(session, Member.zone_id, today)
        found = session.scalars(select(Zone)).all()
        return sorted((Entry(z.id, z.name, *counts.get(z.id, (0, 0))) for z in found), key=lambda e: e.name.casefold())


def categories(store: Store, *, today: date) -> list[Entry]:
    """Every category, by label."""
    with store.read_sessions.begin() as session:
        counts = _counts(session, Member.category_id, today)
        found = session.scalars(select(Category)).all()
        return sorted((Entry(c.id, c.label, *counts.get(c.id, (0, 0))) for c in found), key=lambda e: e.name.casefold())


def streets(store: Store, *, today: date, zone: str | None = None) -> list[Entry]:
    """Every street (or those of ``zone``, by id or name), by zone then name; the id is the street's number."""
    with store.read_sessions.begin() as session:
        index = reference_index(session)
        zone_id = index.check_zone(zone) if zone else None
        counts = _counts(session, Member.street_id, today)
        query = select(Street)
        if zone_id is not None:
            query = query.where(Street.zone_id == zone_id)
        entries = [
            Entry(str(s.id), s.name, *counts.get(s.id, (0, 0)), zone=s.zone_id, zone_name=index.zones[s.zone_id])
            for s in session.scalars(query)
        ]
        return sorted(entries, key=lambda e: (e.zone_name.casefold(), e.name.casefold()))


def load(store: Store, data_dir: Path) -> LoadReport:
    """Add or rename zones, streets and categories from ``data_dir`` (nothing is deleted)."""
    with store.sessions.begin() as session:
        return upsert_reference(session, data_dir)
