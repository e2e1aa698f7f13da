from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from gateway.inbox.store import latest_alert_for
from gateway.outbox.models import Priority
from gateway.outbox.store import Outbox
from gateway.outbox.types import NewMessage
from gateway.storage.db import make_engine, session_factory
from gateway.storage.migrate import upgrade_engine

T0 = datetime(2025, 3, 10, 15, 0, tzinfo=UTC)
MEMBER, STRANGER = "+33639980001", "+33639980002"


def test_a_reply_is_linked_to_the_latest_alert_sent_to_that_number(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/inbox.db")
    upgrade_engine(engine)
    try:
        outbox = Outbox(engine)
        for alert_id, at in ((1, T0 - timedelta(hours=3)), (2, T0 - timedelta(hours=1))):
            message_id = outbox.enqueue_one(NewMessage(MEMBER, "Alerte", Priority.ALERT, alert_id=alert_id), at)
            outbox.claim("w", "m", now=at)
            outbox.mark_sent(message_id, "w", refs=[alert_id], segments=1, encoding="gsm7", now=at)
        with session_factory(engine)() as session:
            assert latest_alert_for(session, MEMBER, T0) == 2
            assert latest_alert_for(session, MEMBER, T0 - timedelta(hours=2)) == 1  # sent before the reply only
            assert latest_alert_for(session, MEMBER, T0, timedelta(minutes=30)) is None  # outside the window
            assert latest_alert_for(session, STRANGER, T0) is None
    finally:
        engine.dispose()
