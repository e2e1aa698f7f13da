"""Reference lists (zones, streets, categories): load them from CSV, add, rename, and look them up."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.registry.errors import InvalidMemberError, RegistryError, UnknownReferenceError
from gateway.registry.models import Category, Street, Zone
from gateway.registry.names import NameTable, resolve_one

ZONE_HEADER = ["zone_id", "name"]
STREET_HEADER = ["zone_id", "street"]
CATEGORY_HEADER = ["category_id", "label"]


@dataclass(frozen=True, slots=True)
class LoadReport:
    """What :func:`load_reference` changed: (created, renamed) per list."""

    zones: tuple[int, int]
    streets: tuple[int, int]
    categories: tuple[int, int]


@dataclass(frozen=True, slots=True)
class ReferenceIndex:
    """An in-memory snapshot of the lists, for validating many rows without a query per row.

    Every lookup goes through :mod:`gateway.registry.names`: ids and display names, any case or accents.
    """

    zones: dict[str, str]  # id -> name
    categories: dict[str, str]  # id -> label
    streets: dict[tuple[str, str], int]  # (zone id, street name) -> street id
    zone_names: NameTable[str]
    category_names: NameTable[str]
    street_names: NameTable[int]  # street id -> name, every zone
    street_zone: dict[int, str]  # street id -> zone id

    @classmethod
    def build(
        cls, zones: dict[str, str], categories: dict[str, str], streets: dict[tuple[str, str], int]
    ) -> ReferenceIndex:
        return cls(
            zones=zones,
            categories=categories,
            streets=streets,
            zone_names=NameTable.build("zone", zones),
            category_names=NameTable.build("catégorie", categories),
            street_names=NameTable.build("rue", {i: name for (_, name), i in streets.items()}, ids_are_names=False),
            street_zone={i: zone for (zone, _), i in streets.items()},
        )

    def check_zone(self, zone: str) -> str:
        """The id of the zone ``zone`` names (id or display name)."""
        return resolve_one(self.zone_names, zone)

    def check_category(self, category: str) -> str:
        """The id of the category ``category`` names (id or label)."""
        return resolve_one(self.category_names, category)

    def street_id(self, zone: str, street: str) -> int:
        """The id of ``street`` in ``zone`` (a zone id); the error gives the closest street of that zone, or
        the zone the street is in."""
        found = self.street_names.find(street)
        in_zone = [i for i in found if self.street_zone[i] == zone]
        if in_zone:
            return int(str(in_zone[0]))
        zone_name = self.zones.get(zone, zone)
        if found:
            elsewhere = ", ".join(sorted({self.zones[self.street_zone[i]] for i in found}))
            raise InvalidMemberError(
                f"la rue « {street} » est dans la zone {elsewhere}, pas dans {zone_name} ; corrigez la zone ou la rue"
            )
        local = NameTable.build(
            f"rue (zone {zone_name})",
            {i: name for (z, name), i in self.streets.items() if z == zone} or {0: "(aucune rue dans cette zone)"},
            ids_are_names=False,
        )
        raise UnknownReferenceError(local.kind, street, local.names(), suggestion=local.suggest(street))

    def street_ids(self, streets: Sequence[str | int]) -> list[int]:
        """Street ids for names (a name present in several zones selects each) or ids, in order."""
        found: list[int] = []
        for street in streets:
            if isinstance(street, int):
                if street not in self.street_zone:
                    raise UnknownReferenceError("rue", str(street), self.street_names.names())
                ids: Sequence[int] = (street,)
            else:
                ids = self.street_names.resolve(street)
            found.extend(i for i in ids if i not in found)
        return found


def reference_index(session: Session) -> ReferenceIndex:
    """Read the three lists once."""
    zones = {z.id: z.name for z in session.scalars(select(Zone))}
    categories = {c.id: c.label for c in session.scalars(select(Category))}
    streets = {(s.zone_id, s.name): s.id for s in session.scalars(select(Street))}
    return ReferenceIndex.build(zones, categories, streets)


def _read(path: Path, header: list[str]) -> list[list[str]]:
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.reader(handle))
    except UnicodeDecodeError as exc:
        raise RegistryError(f"{path.name} : le fichier n'est pas en UTF-8") from exc
    if not rows or [cell.strip() for cell in rows[0]] != header:
        raise RegistryError(f"{path.name} : l'en-tête doit être {','.join(header)}")
    result = []
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise RegistryError(
                f"{path.name}, ligne {line} : {len(row)} champs au lieu de {len(header)} "
                "(mettez entre guillemets un nom qui contient une virgule)"
            )
        result.append([cell.strip() for cell in row])
    return result


def _upsert_named(session: Session, model: type[Zone] | type[Category], key: str, field: str, value: str) -> str:
    row = session.get(model, key)
    if row is None:
        session.add(model(id=key, **{field: value}))
        return "created"
    if getattr(row, field) != value:
        setattr(row, field, value)
        return "renamed"
    return "unchanged"


def upsert_zone(session: Session, zone_id: str, name: str) -> str:
    """Add a zone or rename it; returns ``"created"``, ``"renamed"`` or ``"unchanged"``."""
    if not zone_id or not name:
        raise InvalidMemberError("une zone a besoin d'un identifiant et d'un nom")
    return _upsert_named(session, Zone, zone_id, "name", name)


def upsert_category(session: Session, category_id: str, label: str) -> str:
    """Add a category or change its label; returns ``"created"``, ``"renamed"`` or ``"unchanged"``."""
    if not category_id or not label:
        raise InvalidMemberError("une catégorie a besoin d'un identifiant et d'un libellé")
    return _upsert_named(session, Category, category_id, "label", label)


def add_street(session: Session, zone_id: str, name: str) -> Street:
    """Add a street to a zone (or return the existing one)."""
    if session.get(Zone, zone_id) is None:
        raise UnknownReferenceError("zone", zone_id, session.scalars(select(Zone.id)).all())
    street = session.scalar(select(Street).where(Street.zone_id == zone_id, Street.name == name))
    if street is None:
        street = Street(zone_id=zone_id, name=name)
        session.add(street)
        session.flush()
    return street


def rename_street(session: Session, zone_id: str, old_name: str, new_name: str) -> Street:
    """Rename a street; members on it follow, since they point at its id."""
    street = session.scalar(select(Street).where(Street.zone_id == zone_id, Street.name == old_name))
    if street is None:
        names = session.scalars(select(Street.name).where(Street.zone_id == zone_id)).all()
        raise UnknownReferenceError(f"rue (zone {zone_id})", old_name, names)
    street.name = new_name
    return street


def load_reference(session: Session, data_dir: Path) -> LoadReport:
    """Upsert ``zones.csv``, ``streets.csv`` and ``categories.csv`` from ``data_dir``; nothing is deleted.

    Entries missing from the files are kept because members may still point at them. The caller commits.
    """
    counts: dict[str, list[int]] = {"zones": [0, 0], "streets": [0, 0], "categories": [0, 0]}
    for zone_id, name in _read(data_dir / "zones.csv", ZONE_HEADER):
        _count(counts["zones"], upsert_zone(session, zone_id, name))
    for category_id, label in _read(data_dir / "categories.csv", CATEGORY_HEADER):
        _count(counts["categories"], upsert_category(session, category_id, label))
    session.flush()
    existing = {(s.zone_id, s.name) for s in session.scalars(select(Street))}
    for zone_id, name in _read(data_dir / "streets.csv", STREET_HEADER):
        if (zone_id, name) not in existing:
            add_street(session, zone_id, name)
            existing.add((zone_id, name))
            counts["streets"][0] += 1
    session.flush()
    return LoadReport(
        zones=(counts["zones"][0], counts["zones"][1]),
        streets=(counts["streets"][0], counts["streets"][1]),
        categories=(counts["categories"][0], counts["categories"][1]),
    )


def _count(pair: list[int], outcome: str) -> None:
    if outcome == "created":
        pair[0] += 1
    elif outcome == "renamed":
        pair[1] += 1
