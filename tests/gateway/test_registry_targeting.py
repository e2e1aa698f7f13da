"""Targeting: distinct numbers of active, unexpired members in zones OR streets, AND categories."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

import gateway.audit.models  # noqa: F401 - registers the audit table
from gateway.registry import members as m
from gateway.registry.csv_io import import_members
from gateway.registry.errors import InvalidTargetError, UnknownReferenceError
from gateway.registry.records import MemberInput
from gateway.registry.reference import load_reference
from gateway.registry.targeting import Recipient
from gateway.storage.base import Base
from gateway.storage.db import make_engine

DATA = Path(__file__).resolve().parents[2] / "data"
TODAY = date(2026, 11, 27)
NOW = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)


@pytest.fixture
def session(database_url: str) -> Iterator[Session]:
    engine = make_engine(database_url)
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        load_reference(s, DATA)
        s.commit()
        yield s
    engine.dispose()


@pytest.fixture(scope="module")
def sample_rows() -> list[dict[str, str]]:
    with (DATA / "members-sample.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture
def sample(session: Session) -> Session:
    report = import_members(
        session, (DATA / "members-sample.csv").read_bytes(), source="sample", today=TODAY, now=NOW, actor="test"
    )
    assert report.ok and report.created == 2000
    return session


def expected_numbers(rows: list[dict[str, str]], zones: set[str], streets: set[str], cats: set[str]) -> set[str]:
    """The rule computed from the CSV alone: registered on or after 2023-11-27 is still valid today."""
    numbers: set[str] = set()
    for row in rows:
        if date.fromisoformat(row["registered_on"]) < date(2023, 11, 27):
            continue
        in_place = row["zone"] in zones or row["street"] in streets
        if in_place and (not cats or row["category"] in cats):
            numbers.update(row["phones"].split(";"))
    return numbers


def expected_ranks(rows: list[dict[str, str]], zones: set[str], streets: set[str], cats: set[str]) -> dict[str, int]:
    """Nearest first, from the CSV: 0 on a named street, 1 elsewhere in a named zone, the best of a number's shops."""
    ranks: dict[str, int] = {}
    for row in rows:
        if date.fromisoformat(row["registered_on"]) < date(2023, 11, 27):
            continue
        if (row["zone"] in zones or row["street"] in streets) and (not cats or row["category"] in cats):
            rank = 0 if row["street"] in streets else 1 if row["zone"] in zones else 2
            for number in row["phones"].split(";"):
                ranks[number] = min(rank, ranks.get(number, 2))
    return ranks


@pytest.mark.parametrize(
    ("zones", "streets", "categories"),
    [
        ({"marigot"}, set(), set()),
        ({"grand-case", "hope-estate"}, set(), set()),
        (set(), {"Rue de Hollande"}, set()),
        ({"concordia"}, {"Rue de Hollande", "Front de Mer"}, set()),
        ({"marigot"}, set(), {"bijouterie", "change"}),
        ({"baie-orientale"}, {"Rue Kennedy"}, {"restaurant"}),
    ],
)
def test_targets_on_the_sample_match_the_csv(
    sample: Session, sample_rows: list[dict[str, str]], zones: set[str], streets: set[str], categories: set[str]
) -> None:
    got = m.recipients(sample, zones=sorted(zones), streets=sorted(streets), categories=sorted(categories), today=TODAY)
    want = expected_numbers(sample_rows, zones, streets, categories)
    assert want  # each case selects someone, otherwise it proves nothing
    assert {r.e164 for r in got} == want
    assert len(got) == len(want)
    assert {r.e164: r.rank for r in got} == expected_ranks(sample_rows, zones, streets, categories)
    count = m.count_target(
        sample, zones=sorted(zones), streets=sorted(streets), categories=sorted(categories), today=TODAY
    )
    assert count.numbers == len(want)
    assert count.members == len({i for r in got for i in r.member_ids})


def test_whole_territory_with_categories(sample: Session, sample_rows: list[dict[str, str]]) -> None:
    zones = {row["zone"] for row in sample_rows}
    got = m.recipients(sample, whole_territory=True, categories=["pharmacie"], today=TODAY)
    assert {r.e164 for r in got} == expected_numbers(sample_rows, zones, set(), {"pharmacie"})
    assert {r.rank for r in got} == {2}  # the whole territory names no place: nobody is nearer
    everyone = m.count_target(sample, whole_territory=True, today=TODAY)
    assert everyone.numbers == len(expected_numbers(sample_rows, zones, set(), set()))


def shop(siren: str, phones: list[str], **kw: str) -> MemberInput:
    values = {"name": f"Boutique {siren}", "category": "bijouterie", "zone": "marigot", "street": ""} | kw
    return MemberInput(siren=siren, phones=phones, registered_on=date(2025, 5, 1), **values)


def test_a_number_shared_by_two_shops_gets_one_entry(session: Session) -> None:
    a = m.create_member(session, shop("246341275", ["+33639980001", "+33639980002"]), now=NOW, actor="op")
    b = m.create_member(session, shop("078984705", ["+33639980002"], category="change"), now=NOW, actor="op")
    got = m.recipients(session, zones=["marigot"], today=TODAY)
    assert got == [Recipient("+33639980001", (a.id,), True, 1), Recipient("+33639980002", (a.id, b.id), True, 1)]
    count = m.count_target(session, zones=["marigot"], today=TODAY)
    assert (count.members, count.numbers) == (2, 2)
    only_change = m.recipients(session, zones=["marigot"], categories=["change"], today=TODAY)
    assert only_change == [Recipient("+33639980002", (b.id,), True, 1)]


def test_expired_suspended_withdrawn_and_stopped_numbers_are_left_out(session: Session) -> None:
    m.create_member(session, shop("246341275", ["+33639980001"]), now=NOW, actor="op")
    m.create_member(session, shop("078984705", ["+33639980002"]), now=NOW, actor="op")
    m.create_member(session, shop("682734884", ["+33639980003"]), now=NOW, actor="op")
    m.create_member(session, shop("110904349", ["+33639980004", "+33639980005"]), now=NOW, actor="op")
    m.suspend(session, "078984705", now=NOW, actor="op")
    m.withdraw_member(session, "682734884", now=NOW, actor="op")
    m.withdraw_number(session, "+33639980005", now=NOW, actor="sms")
    got = [r.e164 for r in m.recipients(session, zones=["marigot"], today=TODAY)]
    assert got == ["+33639980001", "+33639980004"]
    # Registered 2025-05-01, valid to 2028-05-01 inclusive: the day after, even before expire_due runs,
    # nobody is targeted.
    assert m.recipients(session, zones=["marigot"], today=date(2028, 5, 1)) != []
    assert m.recipients(session, zones=["marigot"], today=date(2028, 5, 2)) == []


def test_is_number_allowed_follows_withdrawal_and_expiry(session: Session) -> None:
    m.create_member(session, shop("246341275", ["+33639980001"]), now=NOW, actor="op")
    m.create_member(session, shop("078984705", ["+33639980001"]), now=NOW, actor="op")
    m.create_member(session, shop("682734884", ["+33639980003"]), now=NOW, actor="op")
    assert m.is_number_allowed(session, "+33639980001", TODAY)
    m.withdraw_member(session, "246341275", now=NOW, actor="op")
    assert m.is_number_allowed(session, "+33639980001", TODAY)  # still registered for the other shop
    m.withdraw_member(session, "078984705", now=NOW, actor="op")
    assert not m.is_number_allowed(session, "+33639980001", TODAY)
    assert m.is_number_allowed(session, "+33639980003", TODAY)
    assert not m.is_number_allowed(session, "+33639980003", date(2028, 5, 2))
    assert not m.is_number_allowed(session, "+33639989999", TODAY)  # never registered


def test_street_by_id_and_street_name_matches(session: Session) -> None:
    m.create_member(session, shop("246341275", ["+33639980001"], street="Rue Kennedy"), now=NOW, actor="op")
    m.create_member(session, shop("078984705", ["+33639980002"]), now=NOW, actor="op")
    member = m.get_member(session, "246341275")
    assert member.street_id is not None
    by_id = m.recipients(session, streets=[member.street_id], today=TODAY)
    by_name = m.recipients(session, streets=["Rue Kennedy"], today=TODAY)
    assert [r.e164 for r in by_id] == [r.e164 for r in by_name] == ["+33639980001"]


@pytest.mark.parametrize(
    ("target", "error", "fragment"),
    [
        ({}, InvalidTargetError, "cible vide"),
        ({"categories": ["bijouterie"]}, InvalidTargetError, "catégories seules"),
        ({"whole_territory": True, "zones": ["marigot"]}, InvalidTargetError, "contradictoire"),
        ({"zones": ["paris"]}, UnknownReferenceError, "Grand-Case"),
        ({"zones": ["marigot"], "categories": ["casino"]}, UnknownReferenceError, "Bijouterie"),
        ({"streets": ["Champs-Élysées"]}, UnknownReferenceError, "Rue Kennedy"),
        ({"streets": [99999]}, UnknownReferenceError, "Front de Mer"),
    ],
)
def test_bad_targets_are_refused_with_valid_values(
    session: Session, target: dict[str, object], error: type[Exception], fragment: str
) -> None:
    with pytest.raises(error, match=fragment):
        m.recipients(session, today=TODAY, **target)  # type: ignore[arg-type]
    with pytest.raises(error, match=fragment):
        m.count_target(session, today=TODAY, **target)  # type: ignore[arg-type]
