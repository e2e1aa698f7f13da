from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gateway.inbox.models import InboxKind
from gateway.inbox.store import Inbox, classify
from gateway.outbox.models import Priority
from gateway.outbox.store import Outbox
from gateway.outbox.types import NewMessage
from gateway.storage.db import make_engine
from gateway.storage.migrate import upgrade_engine

T0 = datetime(2025, 3, 10, 15, 0, tzinfo=UTC)
MEMBER, STRANGER = "+33639980001", "+33639980002"


@pytest.mark.parametrize(
    ("text", "kind"),
    [("STOP", InboxKind.STOP), (" stop. ", InboxKind.STOP), ("Arrêt", InboxKind.STOP), ("stop sms", InboxKind.STOP),
     ("Merci, bien reçu", InboxKind.REPLY), ("stop the thief!", InboxKind.REPLY)],
)  # fmt: skip
def test_classify(text: str, kind: InboxKind) -> None:
    assert classify(text) is kind


def test_store_links_replies_to_the_latest_alert_and_lists(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/inbox.db")
    upgrade_engine(engine)
    try:
        outbox = Outbox(engine)
        for alert_id, at in ((1, T0 - timedelta(hours=3)), (2, T0 - timedelta(hours=1))):
            message_id = outbox.enqueue_one(NewMessage(MEMBER, "Alerte", Priority.ALERT, alert_id=alert_id), at)
            outbox.claim("w", "m", now=at)
            outbox.mark_sent(message_id, "w", refs=[alert_id], segments=1, encoding="gsm7", now=at)
        inbox = Inbox(engine)
        reply = inbox.store_incoming(modem_id="m", sender=MEMBER, text="Vu, merci", received_at=T0, now=T0)
        stop = inbox.store_incoming(modem_id="m", sender=STRANGER, text="STOP", received_at=T0, now=T0)
        listed = inbox.list()
        assert [m.id for m in listed] == [stop, reply]
        assert listed[1].linked_alert_id == 2 and listed[0].linked_alert_id is None
        assert [m.id for m in inbox.list(kind=InboxKind.STOP)] == [stop]
        assert inbox.mark_handled(stop) and not inbox.mark_handled(stop)
        assert [m.id for m in inbox.list(handled=False)] == [reply]
    finally:
        engine.dispose()
