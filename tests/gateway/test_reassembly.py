"""Concatenated incoming SMS: parts wait durably, join in order, duplicates ignored, gaps marked after a while."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from pytest_mock import MockerFixture
from sqlalchemy import select
from sqlalchemy.engine import Engine

from drivers.base import IncomingSms, MessagePart
from gateway.alerts.settings import TextSettings
from gateway.inbox.models import InboxFragment, InboxMessage
from gateway.inbox.reassembly import join_parts, missing_marker
from gateway.outbox.store import Outbox
from gateway.replies.receive import Receiver
from gateway.storage import migrate
from gateway.storage.db import make_engine, session_factory

NOW = datetime(2026, 11, 28, 15, 0, tzinfo=UTC)
WINDOW = timedelta(minutes=30)
SENDER = "+33639980005"
TEXT = "Vu un homme cagoulé derrière la pharmacie, il est parti à pied vers le front de mer. Merci à vous."


def parts_of(text: str, size: int, *, reference: int = 9, sender: str = SENDER, modem: str = "m1") -> list[IncomingSms]:
    pieces = [text[i : i + size] for i in range(0, len(text), size)]
    return [
        IncomingSms(modem, sender, piece, NOW, MessagePart(reference, len(pieces), n))
        for n, piece in enumerate(pieces, start=1)
    ]


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    url = database_url
    migrate.upgrade(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()


def receiver(engine: Engine) -> Receiver:
    return Receiver(session_factory(engine), Outbox(engine), TextSettings(), WINDOW)


def inbox(engine: Engine) -> list[tuple[str, str]]:
    with session_factory(engine)() as session:
        return [(m.sender, m.text) for m in session.scalars(select(InboxMessage).order_by(InboxMessage.id))]


def waiting(engine: Engine) -> int:
    with session_factory(engine)() as session:
        return len(session.scalars(select(InboxFragment).where(InboxFragment.consumed.is_(False))).all())


def test_join_parts_orders_them_marks_gaps_and_mends_split_surrogate_pairs() -> None:
    utf16 = [
        (2, "b \ud83d".encode("utf-16-be", "surrogatepass")),
        (1, b"\x00a"),
        (3, "\udc4d c".encode("utf-16-be", "surrogatepass")),
    ]
    assert join_parts(utf16, 3) == ("ab 👍 c", ())
    text, missing = join_parts([(1, b"\x00a"), (3, b"\x00c")], 4)
    assert text == "a" + missing_marker(2, 4) + "c" + missing_marker(4, 4)
    assert missing == (2, 4)
    assert join_parts([(1, b"\x00a"), (2, b"")], 2) == ("a", ())  # an empty part is a part, not a gap


def test_parts_in_any_order_make_one_reply_when_the_last_arrives(engine: Engine) -> None:
    parts = parts_of(TEXT, 40)
    assert len(parts) == 3
    r = receiver(engine)
    for part in reversed(parts[1:]):
        assert r.receive(part, NOW) is None
        assert inbox(engine) == []
    result = r.receive(parts[0], NOW)
    assert result is not None and result.sender == SENDER
    assert inbox(engine) == [(SENDER, TEXT)]
    assert waiting(engine) == 0


def test_a_part_handed_over_twice_counts_once(engine: Engine) -> None:
    first, second = parts_of(TEXT, 60)
    r = receiver(engine)
    assert r.receive(first, NOW) is None
    assert r.receive(first, NOW + timedelta(seconds=5)) is None  # read again from the SIM after a crash
    assert r.receive(second, NOW + timedelta(seconds=10)) is not None
    assert r.receive(second, NOW + timedelta(seconds=20)) is None  # again, after the message was complete
    assert r.flush_incomplete(NOW + 3 * WINDOW) == []  # nor does it come back later as a fragment
    assert inbox(engine) == [(SENDER, TEXT)]


def test_interleaved_messages_are_kept_apart(engine: Engine) -> None:
    other = "Une voiture grise stationne depuis deux heures devant le distributeur de billets, moteur allumé."
    mine = parts_of(TEXT, 60, reference=9)
    same_reference_other_sender = parts_of(other, 60, reference=9, sender="+33639980006")
    same_sender_other_reference = parts_of(other, 60, reference=10)
    r = receiver(engine)
    for a, b, c in zip(mine, same_reference_other_sender, same_sender_other_reference, strict=True):
        r.receive(a, NOW)
        r.receive(b, NOW)
        r.receive(c, NOW)
    assert sorted(inbox(engine)) == sorted([(SENDER, TEXT), ("+33639980006", other), (SENDER, other)])


def test_a_message_missing_parts_is_shown_with_the_gap_after_the_window(engine: Engine) -> None:
    parts = parts_of(TEXT, 40)
    r = receiver(engine)
    r.receive(parts[0], NOW)
    r.receive(parts[2], NOW + timedelta(minutes=1))
    assert r.flush_incomplete(NOW + WINDOW) == []  # the last part came a minute later: still waiting
    (result,) = r.flush_incomplete(NOW + timedelta(minutes=1) + WINDOW + timedelta(seconds=1))
    assert result.sender == SENDER
    assert inbox(engine) == [(SENDER, parts[0].text + missing_marker(2, 3) + parts[2].text)]
    assert r.flush_incomplete(NOW + 2 * WINDOW) == []  # handed over once
    assert waiting(engine) == 0


def test_parts_survive_a_restart(engine: Engine) -> None:
    first, second = parts_of(TEXT, 60)
    receiver(engine).receive(first, NOW)
    url = engine.url.render_as_string(hide_password=False)
    engine.dispose()
    reopened = make_engine(url)
    try:
        assert receiver(reopened).receive(second, NOW + timedelta(minutes=3)) is not None
        assert inbox(reopened) == [(SENDER, TEXT)]
    finally:
        reopened.dispose()


def test_a_failure_while_handling_the_whole_message_keeps_no_half(engine: Engine, mocker: MockerFixture) -> None:
    first, second = parts_of(TEXT, 60)
    r = receiver(engine)
    r.receive(first, NOW)
    mocker.patch("gateway.replies.receive.handle_incoming", side_effect=OSError(28, "No space left on device"))
    with pytest.raises(OSError, match="No space left"):
        r.receive(second, NOW)
    assert inbox(engine) == [] and waiting(engine) == 1  # the last part was not taken: the SIM keeps it
    mocker.stopall()
    assert r.receive(second, NOW) is not None  # read again later: the message is whole
    assert inbox(engine) == [(SENDER, TEXT)]


def test_a_stop_request_split_in_two_parts_is_still_a_stop(engine: Engine) -> None:
    r = receiver(engine)
    assert r.receive(IncomingSms("m1", SENDER, "ARR", NOW, MessagePart(3, 2, 1)), NOW) is None
    result = r.receive(IncomingSms("m1", SENDER, "ÊT ", NOW, MessagePart(3, 2, 2)), NOW)
    assert result is not None and result.kind == "stop"
