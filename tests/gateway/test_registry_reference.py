"""Reference lists: loaded from the CSVs, reloadable without duplicates, editable (add, rename)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import gateway.audit.models  # noqa: F401 - registers the audit table
from gateway.registry import members as m
from gateway.registry.errors import RegistryError, UnknownReferenceError
from gateway.registry.models import Category, Street, Zone
from gateway.registry.records import MemberInput
from gateway.registry.reference import (
    add_street,
    load_reference,
    reference_index,
    rename_street,
    upsert_category,
    upsert_zone,
)
from gateway.storage.base import Base
from gateway.storage.db import make_engine

DATA = Path(__file__).resolve().parents[2] / "data"
NOW = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)


@pytest.fixture
def session(tmp_path: Path) -> Iterator[Session]:
    engine = make_engine(f"sqlite:///{tmp_path / 'ref.db'}")
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        yield s
    engine.dispose()


def lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines()) - 1


def test_load_counts_match_the_files_and_reload_changes_nothing(session: Session) -> None:
    first = load_reference(session, DATA)
    assert first.zones == (lines(DATA / "zones.csv"), 0)
    assert first.streets == (lines(DATA / "streets.csv"), 0)
    assert first.categories == (lines(DATA / "categories.csv"), 0)
    session.commit()
    again = load_reference(session, DATA)
    assert (again.zones, again.streets, again.categories) == ((0, 0), (0, 0), (0, 0))
    assert session.scalar(select(func.count(Street.id))) == lines(DATA / "streets.csv")
    index = reference_index(session)
    assert index.zones["quartier-d-orleans"] == "Quartier d'Orléans"
    assert index.categories["change"] == "Bureau de change"


def test_edited_files_rename_and_add(session: Session, tmp_path: Path) -> None:
    load_reference(session, DATA)
    edited = tmp_path / "edited"
    edited.mkdir()
    for name in ("zones.csv", "streets.csv", "categories.csv"):
        (edited / name).write_bytes((DATA / name).read_bytes())
    with (edited / "zones.csv").open("a", encoding="utf-8") as handle:
        handle.write("cole-bay,Cole Bay\r\n")
    (edited / "categories.csv").write_text(
        (DATA / "categories.csv").read_text(encoding="utf-8").replace("Café / bar", '"Café, bar"'), encoding="utf-8"
    )
    report = load_reference(session, edited)
    assert report.zones == (1, 0)
    assert report.categories == (0, 1)
    assert session.get(Category, "cafe") is not None and session.get(Category, "cafe").label == "Café, bar"  # type: ignore[union-attr]


def test_rename_zone_and_street_keeps_members_attached(session: Session) -> None:
    load_reference(session, DATA)
    member = m.create_member(
        session,
        MemberInput(
            siren="246341275",
            name="Boutique",
            category="commerce",
            zone="marigot",
            street="Rue Kennedy",
            phones=["+33639980001"],
            registered_on=date(2025, 1, 1),
        ),
        now=NOW,
        actor="op",
    )
    assert upsert_zone(session, "marigot", "Marigot (centre)") == "renamed"
    assert upsert_zone(session, "marigot", "Marigot (centre)") == "unchanged"
    renamed = rename_street(session, "marigot", "Rue Kennedy", "Rue John F. Kennedy")
    session.commit()
    assert member.street_id == renamed.id
    assert [r.e164 for r in m.recipients(session, streets=["Rue John F. Kennedy"], today=date(2026, 1, 1))] == [
        "+33639980001"
    ]
    assert session.get(Zone, "marigot").name == "Marigot (centre)"  # type: ignore[union-attr]


def test_add_street_and_category(session: Session) -> None:
    load_reference(session, DATA)
    street = add_street(session, "colombier", "Chemin de Colombier")
    assert add_street(session, "colombier", "Chemin de Colombier").id == street.id
    assert upsert_category(session, "garage", "Garage") == "created"
    with pytest.raises(UnknownReferenceError, match="marigot"):
        add_street(session, "atlantis", "Rue X")
    with pytest.raises(UnknownReferenceError, match="Rue Kennedy"):
        rename_street(session, "marigot", "Rue Inconnue", "Rue Y")


def test_bad_reference_files_are_refused(session: Session, tmp_path: Path) -> None:
    for name in ("zones.csv", "streets.csv", "categories.csv"):
        (tmp_path / name).write_bytes((DATA / name).read_bytes())
    (tmp_path / "zones.csv").write_text("id,nom\nmarigot,Marigot\n", encoding="utf-8")
    with pytest.raises(RegistryError, match="zone_id,name"):
        load_reference(session, tmp_path)
    (tmp_path / "zones.csv").write_text("zone_id,name\nfriars-bay,Friar's Bay, Grand\n", encoding="utf-8")
    with pytest.raises(RegistryError, match=r"zones\.csv, ligne 2 : 3 champs au lieu de 2"):
        load_reference(session, tmp_path)
    (tmp_path / "zones.csv").write_bytes("zone_id,name\nagrement,Agr\xe9ment\n".encode("latin-1"))
    with pytest.raises(RegistryError, match="UTF-8"):
        load_reference(session, tmp_path)
