"""Establishments: a member is one SIRET, grouped under its business (SIREN); how a key names one, and
how an import matches rows to establishments. Run on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import gateway.audit.models  # noqa: F401 - registers the audit table
from gateway.alerts.guard import is_still_allowed
from gateway.audit import entries
from gateway.registry import members as m
from gateway.registry.csv_io import COLUMNS, import_members
from gateway.registry.errors import AmbiguousMemberError, InvalidMemberError, InvalidSirenError, MemberNotFoundError
from gateway.registry.fiction import siret_from
from gateway.registry.models import Member, MemberStatus
from gateway.registry.records import MemberInput
from gateway.registry.reference import load_reference
from gateway.registry.targeting import recipients
from gateway.storage.base import Base
from gateway.storage.db import make_engine

DATA = Path(__file__).resolve().parents[2] / "data"
TODAY = date(2026, 11, 27)
NOW = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
SIREN = "246341275"
HOTEL = siret_from(SIREN, 1)  # the hotel in Grand-Case
RESTAURANT = siret_from(SIREN, 2)  # its restaurant in Marigot
HEADER = ",".join(COLUMNS)


@pytest.fixture
def session(database_url: str) -> Iterator[Session]:
    engine = make_engine(database_url)
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        load_reference(s, DATA)
        s.commit()
        yield s
    engine.dispose()


def place(siret: str = "", siren: str = "", zone: str = "grand-case", phone: str = "+33639980001") -> MemberInput:
    return MemberInput(
        siren=siren,
        siret=siret,
        name=f"Établissement {siret or siren}",
        category="hotel",
        zone=zone,
        phones=[phone],
        registered_on=date(2025, 1, 10),
    )


def count(session: Session) -> int:
    return int(session.scalar(select(func.count(Member.id))) or 0)


def test_two_establishments_of_one_business_are_targeted_and_withdrawn_apart(session: Session) -> None:
    m.create_member(session, place(HOTEL, zone="grand-case", phone="+33639980001"), now=NOW, actor="op")
    m.create_member(session, place(RESTAURANT, zone="marigot", phone="+33639980002"), now=NOW, actor="op")
    session.commit()
    hotel, restaurant = m.get_member(session, HOTEL), m.get_member(session, RESTAURANT)
    assert (hotel.siren, restaurant.siren) == (SIREN, SIREN)
    assert [r.e164 for r in recipients(session, zones=["marigot"], today=TODAY)] == ["+33639980002"]
    m.withdraw_member(session, RESTAURANT, now=NOW, actor="op")
    m.renew(session, HOTEL, today=TODAY, now=NOW, actor="op")
    session.commit()
    assert m.get_member(session, HOTEL).status is MemberStatus.ACTIVE
    assert m.get_member(session, HOTEL).expires_on == date(2031, 1, 10)
    assert m.get_member(session, RESTAURANT).expires_on == date(2028, 1, 10)  # not renewed with its sibling
    assert not is_still_allowed(session, ("+33639980002", None, 1), TODAY)
    assert is_still_allowed(session, ("+33639980001", None, 1), TODAY)
    assert [(e.action, e.subject) for e in entries(session)][-2:] == [
        ("member.withdraw", f"member:{RESTAURANT}"),
        ("member.renew", f"member:{HOTEL}"),
    ]


def test_a_siren_names_its_only_establishment_or_asks_for_the_siret(session: Session) -> None:
    m.create_member(session, place(HOTEL), now=NOW, actor="op")
    session.commit()
    assert m.get_member(session, SIREN).siret == HOTEL
    m.create_member(session, place(RESTAURANT, phone="+33639980002"), now=NOW, actor="op")
    session.commit()
    with pytest.raises(AmbiguousMemberError) as caught:
        m.get_member(session, SIREN)
    assert HOTEL in str(caught.value) and RESTAURANT in str(caught.value)
    assert "donnez le SIRET" in str(caught.value)
    with pytest.raises(MemberNotFoundError):
        m.get_member(session, siret_from(SIREN, 3))
    with pytest.raises(InvalidSirenError):
        m.get_member(session, "24634127500099")


def test_an_establishment_known_by_siren_only_keeps_that_name_and_learns_its_siret(session: Session) -> None:
    m.create_member(session, place(siren=SIREN), now=NOW, actor="op")
    m.create_member(session, place(RESTAURANT, phone="+33639980002"), now=NOW, actor="op")
    session.commit()
    # The SIREN names the establishment without SIRET, even beside another one.
    assert m.get_member(session, SIREN).siret is None
    with pytest.raises(InvalidMemberError, match="déjà inscrit sans SIRET"):
        m.create_member(session, place(siren=SIREN), now=NOW, actor="op")
    with pytest.raises(InvalidMemberError, match="déjà inscrit"):
        m.create_member(session, place(RESTAURANT), now=NOW, actor="op")
    m.update_member(session, SIREN, siret=HOTEL, now=NOW, actor="op")
    session.commit()
    assert m.get_member(session, HOTEL).name == f"Établissement {SIREN}"
    assert entries(session)[-1].subject == f"member:{HOTEL}"
    assert entries(session)[-1].details["previously"] == f"member:{SIREN}"
    with pytest.raises(InvalidSirenError, match="appartient au SIREN"):
        m.update_member(session, HOTEL, siret=siret_from("078984705", 1), now=NOW, actor="op")
    with pytest.raises(InvalidMemberError, match="déjà celui d'un autre"):
        m.update_member(session, HOTEL, siret=RESTAURANT, now=NOW, actor="op")


def test_a_stop_withdraws_the_number_of_every_establishment_holding_it(session: Session) -> None:
    m.create_member(session, place(HOTEL, phone="+33639980001"), now=NOW, actor="op")
    m.create_member(
        session,
        MemberInput(
            SIREN,
            "Restaurant",
            "restaurant",
            "marigot",
            ["+33639980001", "+33639980003"],
            date(2025, 1, 1),
            siret=RESTAURANT,
        ),
        now=NOW,
        actor="op",
    )
    touched = m.withdraw_number(session, "+33639980001", now=NOW, actor="sms")
    session.commit()
    assert sorted(t.key for t in touched) == sorted([HOTEL, RESTAURANT])
    assert m.get_member(session, HOTEL).status is MemberStatus.WITHDRAWN  # its only number
    assert m.get_member(session, RESTAURANT).status is MemberStatus.ACTIVE  # keeps +33639980003
    assert entries(session)[-1].details["members"] == [HOTEL, RESTAURANT]


def _import(session: Session, tmp_path: Path, *rows: str, **kw: object):  # type: ignore[no-untyped-def]
    path = tmp_path / "in.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return import_members(session, path.read_bytes(), source=path.name, today=TODAY, now=NOW, actor="ccism", **kw)  # type: ignore[arg-type]


def row(siren: str, siret: str, name: str, zone: str = "marigot", phone: str = "+33639980001") -> str:
    return f"{siren},{siret},{name},hotel,,,{zone},{phone},,2025-01-10"


def test_import_matches_rows_to_establishments(session: Session, tmp_path: Path) -> None:
    # A SIREN-only row creates an establishment without SIRET; the next file gives its SIRET.
    report = _import(session, tmp_path, row(SIREN, "", "Hôtel"))
    assert (report.created, report.errors) == (1, [])
    report = _import(session, tmp_path, row("", HOTEL, "Hôtel"))
    assert (report.created, report.updated) == (0, 1)
    assert m.get_member(session, HOTEL).name == "Hôtel"
    # A SIREN-only row now names its only establishment: unchanged, and the SIRET stays.
    report = _import(session, tmp_path, row(SIREN, "", "Hôtel"))
    assert (report.created, report.updated, report.unchanged) == (0, 0, 1)
    assert m.get_member(session, SIREN).siret == HOTEL
    # A second establishment: its own row, its own zone; re-importing changes nothing.
    both = (row(SIREN, HOTEL, "Hôtel"), row(SIREN, RESTAURANT, "Restaurant", zone="grand-case", phone="+33639980002"))
    assert _import(session, tmp_path, *both).created == 1
    report = _import(session, tmp_path, *both)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 2)
    assert count(session) == 2


def test_import_refuses_rows_that_name_no_single_establishment(session: Session, tmp_path: Path) -> None:
    _import(session, tmp_path, row(SIREN, HOTEL, "Hôtel"), row(SIREN, RESTAURANT, "Restaurant", phone="+33639980002"))
    report = _import(session, tmp_path, row(SIREN, "", "Hôtel"))
    (error,) = report.errors
    assert (error.line, error.siren) == (2, SIREN)
    assert "a 2 établissements inscrits" in error.reason and "indiquez le SIRET" in error.reason
    report = _import(session, tmp_path, row(SIREN, HOTEL, "Hôtel"), row("", HOTEL, "Hôtel bis"))
    assert [e.line for e in report.errors] == [3] and "en double" in report.errors[0].reason
    report = _import(session, tmp_path, row("078984705", HOTEL, "Hôtel"))
    assert "appartient au SIREN 246341275" in report.errors[0].reason
    assert count(session) == 2 and not report.committed


def test_a_new_siret_completes_the_siren_only_establishment_that_shares_a_number(
    session: Session, tmp_path: Path
) -> None:
    _import(session, tmp_path, row(SIREN, "", "Hôtel"))
    # Another establishment of the business (another number) is new; the SIREN still names the first.
    report = _import(session, tmp_path, row("", RESTAURANT, "Restaurant", phone="+33639980002"))
    assert (report.created, report.updated) == (1, 0)
    assert m.get_member(session, SIREN).name == "Hôtel"
    # The CCISM's next file gives every establishment its SIRET: the hotel (same number) is completed.
    report = _import(
        session, tmp_path, row(SIREN, RESTAURANT, "Restaurant", phone="+33639980002"), row(SIREN, HOTEL, "Hôtel")
    )
    assert (report.created, report.updated, report.unchanged) == (0, 1, 1)
    assert m.get_member(session, HOTEL).siret == HOTEL
    assert count(session) == 2


def test_daily_expiry_reminders_and_privacy_go_by_establishment(database_url: str) -> None:
    """The hotel's registration runs out, its restaurant's does not: the expiry job, the reminders, the
    right-of-access export and the purge see two establishments, not one business."""
    from datetime import timedelta  # noqa: PLC0415

    from gateway.alerts.settings import TextSettings  # noqa: PLC0415
    from gateway.campaigns.reminders import send_due_reminders  # noqa: PLC0415
    from gateway.dispatch.hours import DaytimeWindow  # noqa: PLC0415
    from gateway.outbox.models import OutboxMessage  # noqa: PLC0415
    from gateway.outbox.store import Outbox  # noqa: PLC0415
    from gateway.privacy.export import export_member_data  # noqa: PLC0415
    from gateway.privacy.purge import purge  # noqa: PLC0415
    from gateway.storage import migrate  # noqa: PLC0415
    from gateway.storage.db import session_factory  # noqa: PLC0415

    migrate.upgrade(database_url)
    engine = make_engine(database_url)
    sessions = session_factory(engine)
    outbox = Outbox(engine)
    try:
        with sessions.begin() as s:
            load_reference(s, DATA)
            old = MemberInput("", "Hôtel", "hotel", "grand-case", ["+33639980001"], date(2023, 12, 1), siret=HOTEL)
            soon = MemberInput(
                "", "Restaurant", "restaurant", "marigot", ["+33639980002", "+33639980003"], date(2024, 1, 1)
            )
            m.create_member(s, old, now=NOW, actor="op")
            m.create_member(s, replace_siret(soon, RESTAURANT), now=NOW, actor="op")
        later, day = NOW + timedelta(days=5), date(2026, 12, 2)  # the hotel's last day was 2026-12-01
        with sessions.begin() as s:
            assert m.expire_due(s, today=day, now=later) == 1
        with sessions.begin() as s:
            assert m.get_member(s, HOTEL).status is MemberStatus.EXPIRED
            assert m.get_member(s, RESTAURANT).status is MemberStatus.ACTIVE
            report = send_due_reminders(
                s,
                outbox,
                now=NOW,
                today=TODAY,
                reminder_days=[60, 30, 7],
                hours=DaytimeWindow(),
                text_settings=TextSettings(),
            )
            assert (report.members, report.messages) == (1, 2)  # the restaurant, due on 2027-01-01
            reminded = set(s.scalars(select(OutboxMessage.recipient).where(OutboxMessage.campaign_id.is_not(None))))
            assert reminded == {"+33639980002", "+33639980003"}
            held = export_member_data(s, RESTAURANT)
            assert held["member"]["siret"] == RESTAURANT
            assert [n["e164"] for n in held["numbers"]] == ["+33639980002", "+33639980003"]
            assert {msg["recipient"] for msg in held["messages"]} == reminded
        with sessions.begin() as s:
            purged = purge(s, now=later + timedelta(days=400), retention_days=365)
            assert purged.numbers == 1  # the expired hotel's number; the restaurant keeps its own
            assert [p.e164 for p in m.get_member(s, RESTAURANT).phones] == ["+33639980002", "+33639980003"]
            assert m.get_member(s, HOTEL).phones == []
    finally:
        engine.dispose()


def replace_siret(data: MemberInput, siret: str) -> MemberInput:
    from dataclasses import replace  # noqa: PLC0415

    return replace(data, siret=siret)
