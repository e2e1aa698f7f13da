"""Incoming SMS: STOP variants withdraw and confirm once; other replies are linked to the last alert."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.alerts.fanout import create_alert
from gateway.alerts.settings import TextSettings
from gateway.alerts.types import AlertRequest, Target
from gateway.audit import entries
from gateway.inbox.models import InboxKind
from gateway.inbox.store import latest_alert_for
from gateway.outbox.models import OutboxMessage, Priority
from gateway.outbox.store import Outbox
from gateway.registry import members as m
from gateway.registry.models import MemberStatus
from gateway.registry.records import MemberInput
from gateway.registry.reference import load_reference
from gateway.replies.handler import handle_incoming, list_replies
from gateway.replies.stop import is_stop_request
from gateway.storage import migrate
from gateway.storage.db import make_engine, session_factory

DATA = Path(__file__).resolve().parents[2] / "data"
NOW = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
TODAY = date(2026, 11, 27)
TEXT = TextSettings()


@pytest.fixture
def world(database_url: str) -> Iterator[tuple[Session, Outbox]]:
    url = database_url
    migrate.upgrade(url)
    engine = make_engine(url)
    with session_factory(engine)() as s:
        load_reference(s, DATA)
        for siren, phones in [("246341275", ["+33639980001", "+33639980002"]), ("078984705", ["+33639980001"])]:
            m.create_member(
                s,
                MemberInput(
                    siren=siren,
                    name="Shop",
                    category="bijouterie",
                    zone="marigot",
                    phones=phones,
                    registered_on=date(2025, 1, 10),
                ),
                now=NOW,
                actor="c",
            )
        s.commit()
        yield s, Outbox(engine)
    engine.dispose()


@pytest.mark.parametrize(
    "text",
    [
        "STOP",
        "stop",
        "Stop",
        " Arrêt ",
        "ARRET",
        "ARRÊT",
        "arrêt.",
        "S T O P",
        "\tarret\n",
        "Stop!",
        "ARRÊTER",
        "stop sms",
    ],
)
def test_stop_variants(text: str) -> None:
    assert is_stop_request(text)


@pytest.mark.parametrize(
    "text",
    ["stop, ils partent vers Marigot", "arrêt de bus", "", "top", "merci", "stop the thief!", "Merci, bien reçu"],
)
def test_not_stop(text: str) -> None:
    assert not is_stop_request(text)


def test_stop_withdraws_the_number_everywhere_and_confirms_once(world: tuple[Session, Outbox]) -> None:
    s, outbox = world
    result = handle_incoming(
        s, "+33639980001", " Arrêt ", NOW, outbox=outbox, now=NOW, text_settings=TEXT, modem_id="m1"
    )
    s.commit()
    assert result.kind is InboxKind.STOP and sorted(result.withdrawn) == ["078984705", "246341275"]
    (confirmation,) = s.scalars(select(OutboxMessage)).all()
    assert confirmation.id == result.confirmation_id and confirmation.recipient == "+33639980001"
    assert confirmation.priority is Priority.OPERATIONAL
    assert "votre numéro est retiré" in confirmation.text and "your number has been removed" in confirmation.text
    # The shop with no number left is withdrawn; the other keeps its second number.
    assert m.get_member(s, "078984705").status is MemberStatus.WITHDRAWN
    assert m.get_member(s, "246341275").status is MemberStatus.ACTIVE
    (audit_row,) = entries(s, action="number.withdraw")
    assert audit_row.actor == "sms:m1" and audit_row.count == 2
    again = handle_incoming(
        s,
        "+33639980001",
        "STOP",
        NOW + timedelta(minutes=1),
        outbox=outbox,
        now=NOW + timedelta(minutes=1),
        text_settings=TEXT,
    )
    s.commit()
    assert again.confirmation_id is None and again.withdrawn == ()
    assert len(s.scalars(select(OutboxMessage)).all()) == 1
    # A number that is not registered gets no confirmation either.
    unknown = handle_incoming(s, "+33639989000", "STOP", NOW, outbox=outbox, now=NOW, text_settings=TEXT)
    assert unknown.confirmation_id is None


def test_reply_is_linked_to_the_latest_alert_that_number_received(world: tuple[Session, Outbox]) -> None:
    s, outbox = world
    request = AlertRequest(text_fr="Vol rue Kennedy", sender="gnd", target=Target(zones=["marigot"]))
    first = create_alert(s, outbox, request, now=NOW, today=TODAY, text_settings=TEXT).alert_id
    second = create_alert(s, outbox, request, now=NOW + timedelta(hours=1), today=TODAY, text_settings=TEXT).alert_id
    for alert_id, at in [(first, NOW), (second, NOW + timedelta(hours=1))]:
        claimed = outbox.claim("w", "m1", now=at, limit=10)
        for c in claimed:
            if c.alert_id == alert_id and c.recipient == "+33639980001":
                outbox.mark_sent(c.id, "w", refs=[1], segments=1, encoding="gsm7", now=at)
        outbox.release("w", at)
    assert latest_alert_for(s, "+33639980001") == second
    assert latest_alert_for(s, "+33639980002") is None  # nothing actually sent to it yet
    result = handle_incoming(
        s,
        "+33639980001",
        "Deux individus en scooter, partis vers Sandy Ground",
        NOW + timedelta(hours=2),
        outbox=outbox,
        now=NOW + timedelta(hours=2),
        text_settings=TEXT,
    )
    early = handle_incoming(
        s,
        "+33639980001",
        "vu",
        NOW + timedelta(minutes=30),
        outbox=outbox,
        now=NOW + timedelta(hours=2),
        text_settings=TEXT,
    )
    s.commit()
    assert result.kind is InboxKind.REPLY and result.linked_alert_id == second
    assert early.linked_alert_id == first
    assert [r.text for r in list_replies(s, alert_id=second)] == ["Deux individus en scooter, partis vers Sandy Ground"]
    assert len(list_replies(s)) == 2
    assert m.get_member(s, "246341275").status is MemberStatus.ACTIVE  # a reply withdraws nothing
