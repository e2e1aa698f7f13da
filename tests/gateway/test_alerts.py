"""Alerts: preview, fan-out (invariants 2 and 3), statuses, update/cancel, idempotency, progress, cancel."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import gateway.alerts.models
import gateway.audit.models
import gateway.registry.models
import gateway.storage.tables  # noqa: F401 - registers every table
from gateway.alerts.errors import (
    AlertNotFoundError,
    IdempotencyConflictError,
    InvalidAlertError,
    NoRecipientsError,
    TextTooLongError,
)
from gateway.alerts.fanout import create_alert, preview_alert
from gateway.alerts.models import Alert, AlertRecipient, AlertStatus, AlertType
from gateway.alerts.settings import TextSettings
from gateway.alerts.tracking import alert_progress, cancel_alert
from gateway.alerts.types import AlertRequest, Target
from gateway.audit import entries
from gateway.outbox.models import OutboxMessage, Priority
from gateway.outbox.states import MessageState
from gateway.outbox.store import Outbox
from gateway.registry import members as m
from gateway.registry.csv_io import import_members
from gateway.registry.models import Member, MemberPhone, MemberStatus
from gateway.registry.records import MemberInput
from gateway.registry.reference import load_reference
from gateway.storage.base import Base
from gateway.storage.db import make_engine, session_factory

DATA = Path(__file__).resolve().parents[2] / "data"
TODAY = date(2026, 11, 27)
NOW = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
TEXT = TextSettings()
OPERATORS = ["+33639989990", "+33639989991"]


class World:
    def __init__(self, session: Session, outbox: Outbox) -> None:
        self.session, self.outbox = session, outbox

    def send(self, request: AlertRequest, **kw: object) -> int:
        kw.setdefault("now", NOW)
        kw.setdefault("today", TODAY)
        result = create_alert(self.session, self.outbox, request, text_settings=TEXT, operator_numbers=OPERATORS, **kw)  # type: ignore[arg-type]
        return result.alert_id

    def rows(self, alert_id: int) -> list[OutboxMessage]:
        return list(
            self.session.scalars(
                select(OutboxMessage).where(OutboxMessage.alert_id == alert_id).order_by(OutboxMessage.recipient)
            )
        )

    def recipients(self, alert_id: int) -> list[str]:
        return [r.recipient for r in self.rows(alert_id)]


@pytest.fixture
def world(database_url: str) -> Iterator[World]:
    engine = make_engine(database_url)
    Base.metadata.create_all(engine)
    with session_factory(engine)() as s:
        load_reference(s, DATA)
        s.commit()
        yield World(s, Outbox(engine))
    engine.dispose()


def shop(
    siren: str,
    phones: list[str],
    zone: str = "marigot",
    category: str = "bijouterie",
    registered_on: date = date(2025, 1, 10),
) -> MemberInput:
    return MemberInput(
        siren=siren, name=f"Shop {siren}", category=category, zone=zone, phones=phones, registered_on=registered_on
    )


SIRENS = ["246341275", "078984705", "682734884", "110904349", "732829320"]


def alert(text: str = "Vol à l'arraché rue Kennedy", **kw: object) -> AlertRequest:
    kw.setdefault("target", Target(zones=["marigot"]))
    return AlertRequest(text_fr=text, sender="gnd.dupont", text_en="Bag snatching", **kw)  # type: ignore[arg-type]


def test_fan_out_one_row_per_distinct_number_at_alert_priority(world: World) -> None:
    s = world.session
    # Two shops run by one person share +33639980001: it gets the alert once (invariant 3).
    m.create_member(s, shop(SIRENS[0], ["+33639980001", "+33639980002"]), now=NOW, actor="ccism")
    m.create_member(s, shop(SIRENS[1], ["+33639980001"], category="restaurant"), now=NOW, actor="ccism")
    m.create_member(s, shop(SIRENS[2], ["+33639980003"], zone="grand-case"), now=NOW, actor="ccism")
    s.commit()
    alert_id = world.send(alert())
    rows = world.rows(alert_id)
    assert [r.recipient for r in rows] == ["+33639980001", "+33639980002"]
    assert {r.priority for r in rows} == {Priority.ALERT}
    assert {r.state for r in rows} == {MessageState.QUEUED}
    assert rows[0].text == "Gendarmerie - Vigicommerce : Vol à l'arraché rue Kennedy\n---\nBag snatching"
    stored = s.get(Alert, alert_id)
    assert stored is not None and (stored.members_count, stored.numbers_count) == (2, 2)
    assert sorted(s.scalars(select(AlertRecipient.e164).where(AlertRecipient.alert_id == alert_id))) == [
        "+33639980001",
        "+33639980002",
    ]
    (row,) = entries(s, action="alert.alert")
    assert (row.actor, row.count, row.at, row.details["members"]) == ("gnd.dupont", 2, NOW, 2)


def test_only_active_unexpired_numbers_not_withdrawn_receive_an_alert(world: World) -> None:
    s = world.session
    m.create_member(s, shop(SIRENS[0], ["+33639980001"]), now=NOW, actor="ccism")
    m.create_member(s, shop(SIRENS[1], ["+33639980002"], registered_on=date(2023, 11, 26)), now=NOW, actor="c")
    m.create_member(s, shop(SIRENS[2], ["+33639980003"]), now=NOW, actor="ccism")
    m.create_member(s, shop(SIRENS[3], ["+33639980004", "+33639980005"]), now=NOW, actor="ccism")
    m.create_member(s, shop(SIRENS[4], ["+33639980006"]), now=NOW, actor="ccism")
    m.suspend(s, SIRENS[2], now=NOW, actor="ccism")
    m.withdraw_number(s, "+33639980004", now=NOW, actor="sms")
    m.withdraw_member(s, SIRENS[4], now=NOW, actor="ccism")
    s.commit()
    assert world.recipients(world.send(alert())) == ["+33639980001", "+33639980005"]


def test_sample_register_whole_territory_matches_the_eligible_numbers(world: World, tmp_path: Path) -> None:
    s = world.session
    report = import_members(
        s, (DATA / "members-sample.csv").read_bytes(), source="sample", today=TODAY, now=NOW, actor="ccism"
    )
    assert report.committed
    expected = set(
        s.scalars(
            select(MemberPhone.e164)
            .join(Member)
            .where(Member.status == MemberStatus.ACTIVE, Member.expires_on >= TODAY)
        )
    )
    preview = preview_alert(s, alert(target=Target(whole_territory=True)), today=TODAY, text_settings=TEXT)
    assert preview.numbers == len(expected) > 1000
    alert_id = world.send(alert(target=Target(whole_territory=True)))
    got = world.recipients(alert_id)
    assert len(got) == len(set(got)) and set(got) == expected


def test_preview_counts_and_writes_nothing(world: World) -> None:
    s = world.session
    m.create_member(s, shop(SIRENS[0], ["+33639980001", "+33639980002"]), now=NOW, actor="ccism")
    m.create_member(s, shop(SIRENS[1], ["+33639980001"]), now=NOW, actor="ccism")
    s.commit()
    preview = preview_alert(s, alert(status=AlertStatus.EXERCISE), today=TODAY, text_settings=TEXT)
    assert (preview.members, preview.numbers, preview.segments, preview.encoding) == (2, 2, 1, "gsm7")
    assert preview.text.startswith("Gendarmerie - Vigicommerce : EXERCICE - Vol") and preview.total_segments == 2
    s.rollback()
    assert s.scalar(select(func.count()).select_from(Alert)) == 0
    assert s.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_exercise_every_sms_starts_with_exercice(world: World) -> None:
    m.create_member(world.session, shop(SIRENS[0], ["+33639980001", "+33639980002"]), now=NOW, actor="c")
    world.session.commit()
    rows = world.rows(world.send(alert(status=AlertStatus.EXERCISE)))
    assert len(rows) == 2
    signed = "Gendarmerie - Vigicommerce : EXERCICE - "
    assert all(r.text.startswith(signed) and "\n---\nEXERCISE - Bag" in r.text for r in rows)


def test_test_status_goes_to_operator_numbers_only(world: World) -> None:
    m.create_member(world.session, shop(SIRENS[0], ["+33639980001"]), now=NOW, actor="ccism")
    world.session.commit()
    alert_id = world.send(alert(status=AlertStatus.TEST, target=Target(whole_territory=True)))
    assert world.recipients(alert_id) == OPERATORS
    with pytest.raises(NoRecipientsError):
        create_alert(
            world.session,
            world.outbox,
            alert(status=AlertStatus.TEST),
            now=NOW,
            today=TODAY,
            text_settings=TEXT,
            operator_numbers=[],
        )


def test_update_and_cancel_go_to_the_original_recipients_only(world: World) -> None:
    s = world.session
    m.create_member(s, shop(SIRENS[0], ["+33639980001", "+33639980002"]), now=NOW, actor="ccism")
    s.commit()
    first = world.send(alert())
    # Joins after the alert: not a recipient of its update. Withdraws after the alert: not either.
    m.create_member(s, shop(SIRENS[1], ["+33639980003"]), now=NOW, actor="ccism")
    m.withdraw_number(s, "+33639980002", now=NOW, actor="sms")
    s.commit()
    update = world.send(alert("Individus partis vers Sandy Ground", msg_type=AlertType.UPDATE, references=first))
    assert world.recipients(update) == ["+33639980001"]
    end = world.send(alert("Fin d'alerte", msg_type=AlertType.CANCEL, references=update))
    assert world.recipients(end) == ["+33639980001"]
    stored = s.get(Alert, end)
    assert stored is not None and stored.references_id == update and stored.target_zones == ["marigot"]
    assert [e.action for e in entries(s) if e.action.startswith("alert.")] == [
        "alert.alert",
        "alert.update",
        "alert.cancel",
    ]


def test_update_rules(world: World) -> None:
    m.create_member(world.session, shop(SIRENS[0], ["+33639980001"]), now=NOW, actor="ccism")
    world.session.commit()
    first = world.send(alert())
    with pytest.raises(InvalidAlertError):
        world.send(alert(msg_type=AlertType.UPDATE))
    with pytest.raises(InvalidAlertError):
        world.send(alert(references=first))
    with pytest.raises(AlertNotFoundError):
        world.send(alert(msg_type=AlertType.UPDATE, references=999))
    with pytest.raises(InvalidAlertError, match="même statut"):
        world.send(alert(msg_type=AlertType.UPDATE, references=first, status=AlertStatus.EXERCISE))
    end = world.send(alert(msg_type=AlertType.CANCEL, references=first))
    with pytest.raises(InvalidAlertError, match="fin d'alerte"):
        world.send(alert(msg_type=AlertType.UPDATE, references=end))


def test_idempotency_key_returns_the_same_alert_and_sends_nothing_twice(world: World) -> None:
    m.create_member(world.session, shop(SIRENS[0], ["+33639980001", "+33639980002"]), now=NOW, actor="c")
    world.session.commit()
    first = create_alert(
        world.session, world.outbox, alert(), now=NOW, today=TODAY, text_settings=TEXT, idempotency_key="drop-42"
    )
    again = create_alert(
        world.session,
        world.outbox,
        alert(),
        now=NOW + timedelta(seconds=5),
        today=TODAY,
        text_settings=TEXT,
        idempotency_key="drop-42",
    )
    assert first.created and not again.created
    assert (again.alert_id, again.numbers, again.text) == (first.alert_id, 2, first.text)
    assert world.session.scalar(select(func.count()).select_from(OutboxMessage)) == 2
    with pytest.raises(IdempotencyConflictError, match="drop-42"):
        create_alert(
            world.session,
            world.outbox,
            alert("Autre texte"),
            now=NOW,
            today=TODAY,
            text_settings=TEXT,
            idempotency_key="drop-42",
        )
    assert world.session.scalar(select(func.count()).select_from(Alert)) == 1


def test_refusals_write_nothing(world: World) -> None:
    m.create_member(world.session, shop(SIRENS[0], ["+33639980001"]), now=NOW, actor="ccism")
    world.session.commit()
    with pytest.raises(NoRecipientsError):
        world.send(alert(target=Target(zones=["grand-case"])))
    with pytest.raises(TextTooLongError):
        world.send(alert("x" * 2000))
    assert world.session.scalar(select(func.count()).select_from(Alert)) == 0


def test_progress_and_cancel_stop_what_is_not_sent(world: World) -> None:
    s = world.session
    m.create_member(s, shop(SIRENS[0], [f"+3363998000{i}" for i in range(1, 6)]), now=NOW, actor="ccism")
    s.commit()
    alert_id = world.send(alert())
    claimed = world.outbox.claim("w1", "modem-a", now=NOW, limit=3)
    world.outbox.mark_sent(claimed[0].id, "w1", refs=[7], segments=1, encoding="gsm7", now=NOW)
    world.outbox.record_report("modem-a", 7, delivered=True, final=True, now=NOW)
    world.outbox.mark_sent(claimed[1].id, "w1", refs=[8], segments=1, encoding="gsm7", now=NOW)
    s.rollback()
    progress = alert_progress(s, alert_id)
    assert (progress.total, progress.queued, progress.sending, progress.sent, progress.delivered) == (5, 2, 1, 1, 1)
    assert progress.percent_done == 40.0
    result = cancel_alert(s, world.outbox, alert_id, now=NOW, actor="gnd.dupont")
    assert (result.cancelled, result.pending) == (2, 1)
    # The row a worker held ends cancelled when it gives it back unsent.
    world.outbox.release("w1", NOW)
    s.rollback()  # SQLite: a session's transaction holds the write lock; let the outbox take it
    after = alert_progress(s, alert_id)
    assert (after.queued, after.sending, after.cancelled, after.percent_done) == (0, 0, 3, 100.0)
    s.rollback()
    assert world.outbox.claim("w1", "modem-a", now=NOW, limit=10) == []
    (row,) = entries(s, action="alert.cancel_sending")
    assert (row.actor, row.count, row.subject) == ("gnd.dupont", 2, f"alert:{alert_id}")
    stored = s.get(Alert, alert_id)
    assert stored is not None and stored.cancelled_by == "gnd.dupont"
