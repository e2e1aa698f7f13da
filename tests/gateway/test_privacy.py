"""Purge after the retention period, and the export of everything held about one member."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gateway.alerts.fanout import create_alert
from gateway.alerts.models import Alert, AlertRecipient
from gateway.alerts.settings import TextSettings
from gateway.alerts.types import AlertRequest, Target
from gateway.audit import entries
from gateway.inbox.models import InboxMessage
from gateway.outbox.models import OutboxMessage
from gateway.outbox.store import Outbox
from gateway.privacy.export import export_member_data
from gateway.privacy.purge import purge
from gateway.registry import members as m
from gateway.registry.errors import MemberNotFoundError
from gateway.registry.models import MemberPhone
from gateway.registry.records import MemberInput
from gateway.registry.reference import load_reference
from gateway.replies.handler import handle_incoming
from gateway.storage import migrate
from gateway.storage.db import make_engine, session_factory

DATA = Path(__file__).resolve().parents[2] / "data"
T0 = datetime(2025, 6, 2, 15, 0, tzinfo=UTC)
TEXT = TextSettings()


@pytest.fixture
def world(database_url: str) -> Iterator[tuple[Session, Outbox]]:
    url = database_url
    migrate.upgrade(url)
    engine = make_engine(url)
    with session_factory(engine)() as s:
        load_reference(s, DATA)
        s.commit()
        yield s, Outbox(engine)
    engine.dispose()


def add(s: Session, siren: str, phones: list[str], registered_on: date = date(2025, 1, 10)) -> None:
    m.create_member(
        s,
        MemberInput(
            siren=siren,
            name=f"Shop {siren}",
            category="bijouterie",
            zone="marigot",
            phones=phones,
            registered_on=registered_on,
            contact="Jeanne Test",
        ),
        now=T0,
        actor="ccism",
    )


def count(s: Session, model: type) -> int:
    return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_purge_after_retention(world: tuple[Session, Outbox]) -> None:
    s, outbox = world
    add(s, "246341275", ["+33639980001"])  # stays active
    add(s, "078984705", ["+33639980002"])  # withdraws
    add(s, "682734884", ["+33639980003"], date(2022, 1, 10))  # expired since 2025-01-10
    add(s, "110904349", ["+33639980004", "+33639980005"])  # one number says STOP
    s.commit()
    request = AlertRequest(text_fr="Vol", sender="gnd", target=Target(zones=["marigot"]))
    create_alert(s, outbox, request, now=T0, today=T0.date(), text_settings=TEXT)
    m.withdraw_member(s, "078984705", now=T0, actor="ccism")
    handle_incoming(s, "+33639980005", "STOP", T0, outbox=outbox, now=T0, text_settings=TEXT)
    handle_incoming(s, "+33639980001", "vu deux hommes", T0, outbox=outbox, now=T0, text_settings=TEXT)
    s.commit()
    outbox.cancel(alert_id=1, now=T0)  # final state: purgeable once old
    # Within the retention period nothing goes.
    early = purge(s, now=T0 + timedelta(days=100), retention_days=365)
    assert early.numbers == early.messages == early.inbox == 0
    s.commit()
    later = T0 + timedelta(days=400)
    report = purge(s, now=later, retention_days=365)
    s.commit()
    assert (report.members, report.numbers, report.withdrawn_numbers) == (2, 2, 1)
    # The STOP confirmation is still queued: never purged while in flight.
    assert report.messages == 4 and report.inbox == 2 and report.alert_recipients == 4
    left = sorted(s.scalars(select(MemberPhone.e164)))
    assert left == ["+33639980001", "+33639980004"]
    assert m.get_member(s, "078984705").contact == "" and m.get_member(s, "246341275").contact == "Jeanne Test"
    assert count(s, OutboxMessage) == 1 and count(s, InboxMessage) == 0 and count(s, AlertRecipient) == 0
    assert count(s, Alert) == 1  # the record of what the gendarmerie sent stays
    (row,) = entries(s, action="privacy.purge")
    assert (row.actor, row.at, row.details["numbers"], row.details["retention_days"]) == ("system", later, 2, 365)
    again = purge(s, now=later, retention_days=365)
    assert again == type(again)(0, 0, 0, 0, 0, 0)


def test_queued_messages_are_never_purged(world: tuple[Session, Outbox]) -> None:
    s, outbox = world
    add(s, "246341275", ["+33639980001"])
    s.commit()
    create_alert(
        s,
        outbox,
        AlertRequest(text_fr="Vol", sender="gnd", target=Target(whole_territory=True)),
        now=T0,
        today=T0.date(),
        text_settings=TEXT,
    )
    assert purge(s, now=T0 + timedelta(days=999), retention_days=365).messages == 0


def test_export_member_data(world: tuple[Session, Outbox]) -> None:
    s, outbox = world
    add(s, "246341275", ["+33639980001", "+33639980002"])
    add(s, "078984705", ["+33639980009"])
    s.commit()
    create_alert(
        s,
        outbox,
        AlertRequest(text_fr="Vol", sender="gnd", target=Target(zones=["marigot"])),
        now=T0,
        today=T0.date(),
        text_settings=TEXT,
    )
    handle_incoming(s, "+33639980002", "vu", T0, outbox=outbox, now=T0, text_settings=TEXT)
    handle_incoming(s, "+33639980002", "STOP", T0, outbox=outbox, now=T0, text_settings=TEXT)
    s.commit()
    data = export_member_data(s, "246 341 275")
    json.dumps(data)  # JSON-ready
    assert data["member"]["siren"] == "246341275" and data["member"]["contact"] == "Jeanne Test"
    assert [n["e164"] for n in data["numbers"]] == ["+33639980001", "+33639980002"]
    assert data["numbers"][1]["withdrawn_at"] == T0.isoformat()
    assert sorted(x["recipient"] for x in data["messages"]) == ["+33639980001", "+33639980002", "+33639980002"]
    assert [r["text"] for r in data["inbox"]] == ["vu", "STOP"]
    assert [a["action"] for a in data["audit"]] == ["member.create", "number.withdraw"]
    assert all("+33639980009" not in json.dumps(x) for x in data["messages"])
    with pytest.raises(MemberNotFoundError):
        export_member_data(s, "732829320")
