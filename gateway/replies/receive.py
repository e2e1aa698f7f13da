"""From a modem's incoming SMS to the inbox: a one-part SMS is handled at once, a part of a concatenated SMS
waits (durably) for the others; incomplete messages are handed over as they are after a while."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy.orm import Session, sessionmaker

from drivers.base import IncomingSms
from gateway.alerts.settings import TextSettings
from gateway.inbox.reassembly import FragmentRaceError, Reassembled, add_part, take_incomplete
from gateway.outbox.store import Outbox
from gateway.replies.handler import IncomingResult, handle_incoming

_ATTEMPTS = 3  # a FragmentRaceError (PostgreSQL only) is retried; it means another writer just won
T = TypeVar("T")


@dataclass(frozen=True)
class Receiver:
    """Everything needed to act on incoming SMS; one per daemon."""

    sessions: sessionmaker[Session]
    outbox: Outbox
    text: TextSettings
    window: timedelta  # how long the parts of a concatenated SMS wait for the missing ones

    def receive(self, sms: IncomingSms, now: datetime) -> IncomingResult | None:
        """Act on one SMS or part; returns the result once a whole message was handled, None for a part that
        waits. Committed before returning: only then may the modem delete the SMS from its SIM."""

        def work(session: Session) -> IncomingResult | None:
            whole = sms if sms.part is None else add_part(session, sms, now=now, window=self.window)
            return None if whole is None else self._handle(session, whole, now)

        return self._in_transaction(work)

    def flush_incomplete(self, now: datetime) -> list[IncomingResult]:
        """Hand concatenated SMS still missing parts after ``window`` to the inbox, the gaps marked."""

        def work(session: Session) -> list[IncomingResult]:
            return [
                self._handle(session, whole, now) for whole in take_incomplete(session, now=now, window=self.window)
            ]

        return self._in_transaction(work)

    def _handle(self, session: Session, whole: IncomingSms | Reassembled, now: datetime) -> IncomingResult:
        return handle_incoming(
            session,
            whole.sender,
            whole.text,
            whole.received_at,
            outbox=self.outbox,
            now=now,
            text_settings=self.text,
            modem_id=whole.modem_id,
        )

    def _in_transaction(self, work: Callable[[Session], T]) -> T:
        for attempt in range(_ATTEMPTS):
            try:
                with self.sessions.begin() as session:
                    return work(session)
            except FragmentRaceError:
                if attempt == _ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")
