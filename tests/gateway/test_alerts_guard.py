"""Invariant 2 at send time: a withdrawal or an expiry after the fan-out stops the message."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from gateway.alerts.fanout import create_alert
from gateway.alerts.guard import is_still_allowed, send_guard
from gateway.alerts.models import AlertStatus
from gateway.alerts.settings import TextSettings
from gateway.alerts.types import AlertRequest, Target
from gateway.campaigns.reregistration import launch_reregistration
from gateway.outbox.states import MessageState
from gateway.outbox.store import Outbox
from gateway.registry import members as m
from gateway.registry.records import MemberInput
from gateway.registry.reference import load_reference
from gateway.storage import migrate
from gateway.storage.db import make_engine, session_factory

DATA = Path(__file__).resolve().parents[2] / "data"
NOW = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
TODAY = date(2026, 11, 27)
TEXT = TextSettings()
OPERATORS = ["+33639989990"]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[Session, Outbox]]:
    url = f"sqlite:///{tmp_path / 'guard.db'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    with session_factory(engine)() as s:
        load_reference(s, DATA)
        # Registered 2023-11-28: last valid day 2026-11-28, expired from the 29th.
        for siren, phones, registered in [
            ("246341275", ["+33639980001", "+33639980002"], date(2023, 11, 28)),
            ("078984705", ["+33639980003"], date(2025, 1, 10)),
        ]:
            m.create_member(
                s,
                MemberInput(
                    siren=siren,
                    name="Shop",
                    category="bijouterie",
                    zone="marigot",
                    phones=phones,
                    registered_on=registered,
                ),
                now=NOW,
                actor="c",
            )
        s.commit()
        yield s, Outbox(engine)
    engine.dispose()


def send(s: Session, outbox: Outbox, status: AlertStatus = AlertStatus.ACTUAL) -> int:
    request = AlertRequest(text_fr="Vol", sender="gnd", status=status, target=Target(zones=["marigot"]))
    return create_alert(
        s, outbox, request, now=NOW, today=TODAY, text_settings=TEXT, operator_numbers=OPERATORS
    ).alert_id


def test_withdrawal_after_fan_out_stops_the_message(world: tuple[Session, Outbox]) -> None:
    s, outbox = world
    alert_id = send(s, outbox)
    assert is_still_allowed(s, ("+33639980003", alert_id, None), TODAY)
    m.withdraw_number(s, "+33639980003", now=NOW, actor="sms")
    s.commit()
    assert not is_still_allowed(s, ("+33639980003", alert_id, None), TODAY)
    s.rollback()
    # As the worker calls it right before each submit: the withdrawn number's row is cancelled, not sent.
    claimed = outbox.claim("w", "m1", now=NOW, limit=10)
    guard = send_guard(lambda: TODAY)
    verdicts = {c.recipient: outbox.check_before_submit(c, guard, NOW) for c in claimed}
    assert verdicts == {"+33639980001": None, "+33639980002": None, "+33639980003": "recipient no longer allowed"}
    refused = [v for v in (outbox.get(i) for i in range(1, 4)) if v is not None and v.recipient == "+33639980003"]
    assert refused[0].state is MessageState.CANCELLED


def test_expiry_after_fan_out_stops_the_message(world: tuple[Session, Outbox]) -> None:
    s, outbox = world
    alert_id = send(s, outbox)
    assert is_still_allowed(s, ("+33639980001", alert_id, None), TODAY + timedelta(days=1))
    assert not is_still_allowed(s, ("+33639980001", alert_id, None), TODAY + timedelta(days=2))
    assert is_still_allowed(s, ("+33639980003", alert_id, None), TODAY + timedelta(days=2))
    m.suspend(s, "078984705", now=NOW, actor="ccism")
    assert not is_still_allowed(s, ("+33639980003", alert_id, None), TODAY)


def test_test_alerts_only_to_operator_numbers(world: tuple[Session, Outbox]) -> None:
    s, outbox = world
    alert_id = send(s, outbox, AlertStatus.TEST)
    assert is_still_allowed(s, ("+33639989990", alert_id, None), TODAY)
    assert is_still_allowed(s, ("+33639989990", alert_id, None), TODAY, operator_numbers=OPERATORS)
    assert not is_still_allowed(s, ("+33639989990", alert_id, None), TODAY, operator_numbers=[])
    assert not is_still_allowed(s, ("+33639980001", alert_id, None), TODAY)  # a member, not an operator
    assert not is_still_allowed(s, ("+33639980001", 999, None), TODAY)  # unknown alert


def test_operational_always_and_campaigns_until_stop(world: tuple[Session, Outbox]) -> None:
    s, outbox = world
    assert is_still_allowed(s, ("+33639980001", None, None), TODAY)
    report = launch_reregistration(
        s,
        outbox,
        ends_from=date(2026, 11, 1),
        ends_to=date(2026, 12, 31),
        window_from=TODAY,
        window_to=TODAY + timedelta(days=30),
        now=NOW,
        actor="ccism",
        text_settings=TEXT,
    )
    view = outbox.get(1)
    assert view is not None and view.campaign_id == report.campaign_id
    # Expired members are who a re-registration campaign is for.
    assert is_still_allowed(s, view, TODAY + timedelta(days=10))
    m.withdraw_number(s, view.recipient, now=NOW, actor="sms")
    assert not is_still_allowed(s, view, TODAY)
    assert is_still_allowed(s, (view.recipient, None, None), TODAY)  # the STOP confirmation itself goes
