"""Nearest first: the fan-out ranks each number (named street, rest of the named quartiers, others), the claim
takes an alert's rows rank by rank, and alerts of the same priority keep the order they were dropped in."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from gateway.alerts.fanout import create_alert
from gateway.alerts.models import AlertRecipient, AlertType
from gateway.alerts.settings import TextSettings
from gateway.alerts.types import AlertRequest, Target
from gateway.outbox.models import OutboxMessage, Priority
from gateway.outbox.store import Outbox
from gateway.outbox.types import NewMessage
from gateway.registry import members as m
from gateway.registry.records import MemberInput
from gateway.registry.reference import load_reference
from gateway.storage.db import make_engine, session_factory
from gateway.storage.migrate import upgrade_engine

DATA = Path(__file__).resolve().parents[2] / "data"
TODAY = date(2026, 11, 27)
NOW = datetime(2026, 11, 27, 7, 0, tzinfo=UTC)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    upgrade_engine(engine)
    with session_factory(engine).begin() as session:
        load_reference(session, DATA)
    yield engine
    engine.dispose()


def shop(siren: str, phone: str, zone: str, street: str = "", category: str = "bijouterie") -> MemberInput:
    return MemberInput(
        siren=siren,
        name=f"Shop {siren}",
        category=category,
        zone=zone,
        street=street,
        phones=[phone],
        registered_on=date(2025, 1, 10),
    )


def members(session: Session) -> dict[str, int]:
    """Numbers 01-02 on Rue de Hollande (Marigot), 03-04 elsewhere in Marigot, 05 in Grand-Case; 06 both on Rue de
    Hollande and in Grand-Case (a number shared by two shops takes the better rank)."""
    made = [
        shop("246341275", "+33639980001", "marigot", "Rue de Hollande"),
        shop("078984705", "+33639980002", "marigot", "Rue de Hollande"),
        shop("682734884", "+33639980003", "marigot", "Rue Kennedy"),
        shop("110904349", "+33639980004", "marigot"),
        shop("732829320", "+33639980005", "grand-case"),
        shop("552100554", "+33639980006", "grand-case"),
        shop("443061841", "+33639980006", "marigot", "Rue de Hollande"),
    ]
    ids = {}
    for record in made:
        member = m.create_member(session, record, now=NOW, actor="ccism")
        ids[member.siren] = member.id
    return ids


def test_fan_out_ranks_each_number_and_keeps_its_establishments(engine: Engine) -> None:
    sessions = session_factory(engine)
    with sessions.begin() as session:
        ids = members(session)
    request = AlertRequest(
        text_fr="Vol rue de Hollande",
        sender="gnd.martin",
        target=Target(zones=["marigot", "grand-case"], streets=["rue de hollande"]),
    )
    with sessions() as session:
        alert_id = create_alert(
            session, Outbox(engine), request, now=NOW, today=TODAY, text_settings=TextSettings()
        ).alert_id
    with sessions() as session:
        ranks = dict(
            session.execute(
                select(OutboxMessage.recipient, OutboxMessage.rank).where(OutboxMessage.alert_id == alert_id)
            ).all()
        )
        kept = dict(
            session.execute(
                select(AlertRecipient.e164, AlertRecipient.member_ids).where(AlertRecipient.alert_id == alert_id)
            ).all()
        )
    assert ranks == {
        "+33639980001": 0,
        "+33639980002": 0,
        "+33639980003": 1,
        "+33639980004": 1,
        "+33639980005": 1,
        "+33639980006": 0,
    }
    assert sorted(kept["+33639980006"]) == sorted([ids["552100554"], ids["443061841"]])
    assert kept["+33639980001"] == [ids["246341275"]]

    # Its end of alert goes nearest first too: the ranks the alert was sent with.
    with sessions.begin() as session:
        session.execute(
            OutboxMessage.__table__.update()  # type: ignore[attr-defined]
            .where(OutboxMessage.alert_id == alert_id)
            .values(state="sent", sent_at=NOW)
        )
    follow_up = AlertRequest(
        text_fr="Fin d'alerte", sender="gnd.martin", msg_type=AlertType.CANCEL, references=alert_id
    )
    with sessions() as session:
        end_id = create_alert(
            session, Outbox(engine), follow_up, now=NOW, today=TODAY, text_settings=TextSettings()
        ).alert_id
    with sessions() as session:
        end_ranks = dict(
            session.execute(
                select(OutboxMessage.recipient, OutboxMessage.rank).where(OutboxMessage.alert_id == end_id)
            ).all()
        )
    assert end_ranks == ranks


def test_the_claim_takes_an_alert_rank_by_rank_and_alerts_in_the_order_dropped(engine: Engine) -> None:
    outbox = Outbox(engine)
    sessions = session_factory(engine)
    first, second = NOW, NOW + timedelta(seconds=1)
    with sessions.begin() as session:
        # Inserted far from rank order: the fan-out inserts by number, not by rank.
        outbox.enqueue(
            session,
            [
                NewMessage(recipient=f"+3363998001{i}", text="a1", priority=Priority.ALERT, alert_id=1, rank=rank)
                for i, rank in enumerate([2, 1, 0, 2, 0, 1])
            ],
            first,
        )
    with sessions.begin() as session:
        outbox.enqueue(
            session,
            [NewMessage(recipient="+33639980020", text="a2", priority=Priority.ALERT, alert_id=2, rank=0)],
            second,
        )
        outbox.enqueue(session, [NewMessage(recipient="+33639980030", text="op", priority=Priority.OPERATIONAL)], first)
    claimed = outbox.claim("w", "m", now=second, limit=20)
    order = [(c.alert_id, c.recipient) for c in claimed]
    # Alert 1 rank 0, 1, 2 (by id within a rank), then alert 2 (dropped later, even at rank 0), then the rest.
    assert order == [
        (1, "+33639980012"),
        (1, "+33639980014"),
        (1, "+33639980011"),
        (1, "+33639980015"),
        (1, "+33639980010"),
        (1, "+33639980013"),
        (2, "+33639980020"),
        (None, "+33639980030"),
    ]
