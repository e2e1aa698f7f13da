"""Member operations: create, update, search, renew, withdraw, suspend, expire; and their audit rows."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

import gateway.audit.models  # noqa: F401 - registers the audit table
from gateway.audit import entries
from gateway.registry import members as m
from gateway.registry.errors import (
    InvalidMemberError,
    InvalidPhoneError,
    InvalidSirenError,
    InvalidTransitionError,
    MemberNotFoundError,
    UnknownReferenceError,
)
from gateway.registry.models import MemberStatus
from gateway.registry.records import MemberInput, add_years
from gateway.registry.reference import load_reference
from gateway.registry.settings import RegistrySettings
from gateway.storage.base import Base
from gateway.storage.db import make_engine

DATA = Path(__file__).resolve().parents[2] / "data"
TODAY = date(2026, 11, 27)
NOW = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
SIREN = "246341275"
OTHER = "078984705"


@pytest.fixture
def session(database_url: str) -> Iterator[Session]:
    engine = make_engine(database_url)
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        load_reference(s, DATA)
        s.commit()
        yield s
    engine.dispose()


def shop(siren: str = SIREN, registered_on: date = date(2025, 1, 10), **kw: object) -> MemberInput:
    values: dict[str, object] = {
        "siren": siren,
        "name": "Bijouterie Test",
        "category": "bijouterie",
        "zone": "marigot",
        "street": "Rue Kennedy",
        "address": "1 Rue Kennedy",
        "contact": "Jeanne Test",
        "phones": ["+33639980001", "06 39 98 00 02"],
        "registered_on": registered_on,
    }
    values.update(kw)
    return MemberInput(**values)  # type: ignore[arg-type]


def test_create_stores_e164_numbers_dates_and_consent(session: Session) -> None:
    member = m.create_member(session, shop(), now=NOW, actor="op")
    session.commit()
    got = m.get_member(session, "246 341 275")
    assert got.id == member.id
    assert [(p.e164, p.is_test, p.position) for p in got.phones] == [
        ("+33639980001", True, 0),
        ("+33639980002", True, 1),
    ]
    assert got.expires_on == date(2028, 1, 10)
    assert got.status is MemberStatus.ACTIVE
    assert got.consent_at == NOW
    assert got.street is not None and got.street.name == "Rue Kennedy"
    assert [e.action for e in entries(session)] == ["member.create"]


def test_registration_years_are_configurable(session: Session) -> None:
    member = m.create_member(session, shop(), now=NOW, actor="op", settings=RegistrySettings(registration_years=1))
    assert member.expires_on == date(2026, 1, 10)
    assert member.status is MemberStatus.EXPIRED


def test_registered_exactly_three_years_ago_is_still_valid_today(session: Session) -> None:
    member = m.create_member(session, shop(registered_on=date(2023, 11, 27)), now=NOW, actor="op")
    assert member.status is MemberStatus.ACTIVE
    old = m.create_member(session, shop(OTHER, registered_on=date(2023, 11, 26)), now=NOW, actor="op")
    assert old.status is MemberStatus.EXPIRED


def test_29_february_plus_three_years() -> None:
    assert add_years(date(2024, 2, 29), 3) == date(2027, 2, 28)


@pytest.mark.parametrize(
    ("changes", "error", "fragment"),
    [
        ({"siren": "123456789"}, InvalidSirenError, "clé de contrôle"),
        ({"category": "casino"}, UnknownReferenceError, "Bijouterie"),
        ({"zone": "paris"}, UnknownReferenceError, "Marigot"),
        ({"street": "Boulevard de Grand-Case"}, InvalidMemberError, "est dans la zone Grand-Case, pas dans Marigot"),
        ({"street": "Rue Kenedy"}, UnknownReferenceError, "vouliez-vous dire « Rue Kennedy » ?"),
        ({"phones": ["0690 12"]}, InvalidPhoneError, "trop court"),
        ({"phones": []}, InvalidMemberError, "aucun numéro"),
        ({"name": "  "}, InvalidMemberError, "nom manquant"),
    ],
)
def test_create_refuses_bad_records(
    session: Session, changes: dict[str, object], error: type[Exception], fragment: str
) -> None:
    with pytest.raises(error, match=fragment):
        m.create_member(session, shop(**changes), now=NOW, actor="op")


def test_unknown_zone_error_lists_the_valid_ones(session: Session) -> None:
    with pytest.raises(UnknownReferenceError) as caught:
        m.create_member(session, shop(zone="paris"), now=NOW, actor="op")
    assert caught.value.kind == "zone"
    assert len(caught.value.valid) == 24
    assert "Grand-Case" in str(caught.value)


def test_duplicate_siren_is_refused(session: Session) -> None:
    m.create_member(session, shop(), now=NOW, actor="op")
    with pytest.raises(InvalidMemberError, match="déjà inscrit"):
        m.create_member(session, shop(), now=NOW, actor="op")


def test_update_changes_fields_and_numbers(session: Session) -> None:
    m.create_member(session, shop(), now=NOW, actor="op")
    later = NOW + timedelta(days=1)
    member = m.update_member(
        session, SIREN, now=later, actor="op", zone="grand-case", phones=["+33639980002", "+33639980003"]
    )
    session.commit()
    assert member.zone_id == "grand-case"
    assert member.street_id is None  # the Marigot street does not follow the shop to Grand-Case
    assert [p.e164 for p in member.phones] == ["+33639980002", "+33639980003"]
    assert member.updated_at == later
    assert entries(session, action="member.update")[0].details["fields"] == ["phones", "street", "zone"]


def test_update_of_registration_date_recomputes_expiry(session: Session) -> None:
    m.create_member(session, shop(), now=NOW, actor="op")
    member = m.update_member(session, SIREN, now=NOW, actor="op", registered_on=date(2020, 1, 1))
    assert member.expires_on == date(2023, 1, 1)
    assert member.status is MemberStatus.EXPIRED


def test_get_unknown_member(session: Session) -> None:
    with pytest.raises(MemberNotFoundError):
        m.get_member(session, SIREN)
    assert m.find_member(session, SIREN) is None


def test_search_by_name_siren_phone_zone(session: Session) -> None:
    m.create_member(session, shop(), now=NOW, actor="op")
    m.create_member(
        session,
        shop(
            OTHER, name="Pharmacie du Port", category="pharmacie", zone="galisbay", street="", phones=["+33639980002"]
        ),
        now=NOW,
        actor="op",
    )
    assert [x.siren for x in m.search_members(session, text="PHARMA")] == [OTHER]
    assert [x.siren for x in m.search_members(session, text="jeanne")] == [SIREN, OTHER]  # contact
    assert [x.siren for x in m.search_members(session, siren="2463")] == [SIREN]
    assert {x.siren for x in m.search_members(session, phone="06 39 98 00 02")} == {SIREN, OTHER}
    assert [x.siren for x in m.search_members(session, phone="+33639980001")] == [SIREN]
    assert [x.siren for x in m.search_members(session, zone="galisbay")] == [OTHER]
    assert [x.siren for x in m.search_members(session, zone="marigot", text="pharma")] == []


def test_renew_active_extends_from_the_old_expiry(session: Session) -> None:
    m.create_member(session, shop(registered_on=date(2024, 3, 1)), now=NOW, actor="op")
    member = m.renew(session, SIREN, today=TODAY, now=NOW, actor="ccism.martin").member
    session.commit()
    assert member.expires_on == date(2030, 3, 1)
    assert member.status is MemberStatus.ACTIVE
    (row,) = entries(session, action="member.renew")
    assert (row.actor, row.subject, row.details) == (
        "ccism.martin",
        f"member:{SIREN}",
        {"old_expires_on": "2027-03-01", "expires_on": "2030-03-01", "on": TODAY.isoformat()},
    )


def test_renew_expired_extends_from_today_and_reactivates(session: Session) -> None:
    m.create_member(session, shop(registered_on=date(2022, 6, 1)), now=NOW, actor="op")
    member = m.renew(session, SIREN, today=TODAY, now=NOW, actor="op").member
    assert member.expires_on == date(2029, 11, 27)
    assert member.status is MemberStatus.ACTIVE


def test_renew_keeps_suspension_and_refuses_withdrawn(session: Session) -> None:
    m.create_member(session, shop(), now=NOW, actor="op")
    m.suspend(session, SIREN, now=NOW, actor="op", reason="travaux")
    assert m.renew(session, SIREN, today=TODAY, now=NOW, actor="op").member.status is MemberStatus.SUSPENDED
    m.withdraw_member(session, SIREN, now=NOW, actor="op")
    with pytest.raises(InvalidTransitionError, match="retiré"):
        m.renew(session, SIREN, today=TODAY, now=NOW, actor="op")


def test_withdraw_member_is_audited_once(session: Session) -> None:
    m.create_member(session, shop(), now=NOW, actor="op")
    member = m.withdraw_member(session, SIREN, now=NOW, actor="op", reason="fermeture")
    m.withdraw_member(session, SIREN, now=NOW, actor="op")
    session.commit()
    assert member.status is MemberStatus.WITHDRAWN
    assert member.withdrawn_at == NOW
    (row,) = entries(session, action="member.withdraw")
    assert row.details == {"reason": "fermeture"}


def test_withdraw_number_affects_every_shop_and_keeps_other_numbers(session: Session) -> None:
    m.create_member(session, shop(), now=NOW, actor="op")  # numbers 01 and 02
    m.create_member(session, shop(OTHER, phones=["+33639980002"]), now=NOW, actor="op")
    touched = m.withdraw_number(session, "+33639980002", now=NOW, actor="sms")
    session.commit()
    assert sorted(x.siren for x in touched) == sorted([SIREN, OTHER])
    assert m.get_member(session, SIREN).status is MemberStatus.ACTIVE  # still reachable on 01
    assert m.get_member(session, OTHER).status is MemberStatus.WITHDRAWN  # no number left
    (row,) = entries(session, action="number.withdraw")
    assert row.subject == "phone:+3363998****"  # the audit trail never keeps the full number
    assert row.count == 2
    assert m.withdraw_number(session, "+33639980002", now=NOW, actor="sms") == []  # idempotent


def test_suspend_and_reactivate(session: Session) -> None:
    m.create_member(session, shop(registered_on=date(2023, 12, 1)), now=NOW, actor="op")
    with pytest.raises(InvalidTransitionError, match="n'est pas suspendu"):
        m.reactivate(session, SIREN, today=TODAY, now=NOW, actor="op")
    assert m.suspend(session, SIREN, now=NOW, actor="op").status is MemberStatus.SUSPENDED
    assert m.reactivate(session, SIREN, today=TODAY, now=NOW, actor="op").status is MemberStatus.ACTIVE
    m.suspend(session, SIREN, now=NOW, actor="op")
    # Suspended past its expiry (2026-12-01): it comes back expired, not active.
    assert m.reactivate(session, SIREN, today=date(2027, 1, 1), now=NOW, actor="op").status is MemberStatus.EXPIRED
    assert [e.action for e in entries(session)][1:] == [
        "member.suspend",
        "member.reactivate",
        "member.suspend",
        "member.reactivate",
    ]


def test_expire_due_is_idempotent_and_audited(session: Session) -> None:
    m.create_member(session, shop(registered_on=date(2024, 1, 5)), now=NOW, actor="op")  # valid to 2027-01-05
    m.create_member(session, shop(OTHER, registered_on=date(2024, 6, 1)), now=NOW, actor="op")
    session.commit()
    day = date(2027, 1, 6)
    assert m.expire_due(session, today=day, now=NOW) == 1
    assert m.expire_due(session, today=day, now=NOW) == 0
    session.commit()
    assert m.get_member(session, SIREN).status is MemberStatus.EXPIRED
    assert m.get_member(session, OTHER).status is MemberStatus.ACTIVE
    (row,) = entries(session, action="member.expire")
    assert (row.actor, row.count) == ("system", 1)


def test_renew_once_a_day_unless_forced(session: Session) -> None:
    m.create_member(session, shop(registered_on=date(2024, 3, 1)), now=NOW, actor="op")
    first = m.renew(session, SIREN, today=TODAY, now=NOW, actor="op")
    again = m.renew(session, SIREN, today=TODAY, now=NOW + timedelta(minutes=1), actor="op")
    assert (first.renewed, again.renewed) == (True, False)
    assert again.member.expires_on == again.old_expires_on == date(2030, 3, 1)
    forced = m.renew(session, SIREN, today=TODAY, now=NOW, actor="op", force=True)
    assert (forced.renewed, forced.member.expires_on) == (True, date(2033, 3, 1))
    tomorrow = m.renew(session, SIREN, today=TODAY + timedelta(days=1), now=NOW + timedelta(days=1), actor="op")
    assert (tomorrow.renewed, tomorrow.member.expires_on) == (True, date(2036, 3, 1))
    session.commit()
    assert [e.details.get("forced", False) for e in entries(session, action="member.renew")] == [False, True, False]


def test_rejoin_registers_a_withdrawn_member_anew_and_brings_back_only_listed_numbers(session: Session) -> None:
    m.create_member(session, shop(registered_on=date(2020, 1, 1)), now=NOW, actor="op")
    m.withdraw_number(session, "+33639980001", now=NOW, actor="sms")
    m.withdraw_member(session, SIREN, now=NOW, actor="op")
    with pytest.raises(InvalidTransitionError, match="members rejoin"):
        m.create_member(session, shop(), now=NOW, actor="op")
    member = m.rejoin(session, SIREN, consent_on=date(2026, 11, 20), today=TODAY, now=NOW, actor="ccism")
    assert (member.status, member.registered_on, member.expires_on) == (
        MemberStatus.ACTIVE,
        date(2026, 11, 20),
        date(2029, 11, 20),
    )
    assert member.withdrawn_at is None and member.consent_at == datetime(2026, 11, 20, tzinfo=UTC)
    assert [(p.e164, p.withdrawn_at is None) for p in member.phones] == [
        ("+33639980001", False),
        ("+33639980002", True),
    ]
    member = m.rejoin(
        session,
        SIREN,
        consent_on=TODAY,
        numbers=["06 39 98 00 01", "06 39 98 00 09"],
        today=TODAY,
        now=NOW,
        actor="ccism",
    )
    assert [(p.e164, p.withdrawn_at is None) for p in member.phones] == [
        ("+33639980001", True),
        ("+33639980002", True),
        ("+33639980009", True),
    ]
    assert member.registered_on == date(2026, 11, 20)  # not withdrawn any more: dates unchanged
    session.commit()
    rows = entries(session, action="member.rejoin")
    assert [r.details["registration"] for r in rows] == ["new", "unchanged"]
    assert rows[1].details["numbers"] == ["+3363998****", "+3363998****"]


def test_rejoin_refuses_when_nothing_would_receive(session: Session) -> None:
    m.create_member(session, shop(phones=["+33639980001"]), now=NOW, actor="op")
    with pytest.raises(InvalidTransitionError, match="n'est pas retiré"):
        m.rejoin(session, SIREN, consent_on=TODAY, today=TODAY, now=NOW, actor="ccism")
    m.withdraw_number(session, "+33639980001", now=NOW, actor="sms")  # its only number: withdrawn
    with pytest.raises(InvalidMemberError, match="aucun numéro en service"):
        m.rejoin(session, SIREN, consent_on=TODAY, today=TODAY, now=NOW, actor="ccism")
