"""Outcomes a worker could not write (the database disk is full), kept in order until it can.

A submit the modem accepted must be recorded, late if need be, never resent: while an outcome waits here the
worker sends nothing more (its rows stay claimed by it, so no other worker takes them either). Only storage
failures are kept; an outcome the outbox refuses for another reason (the claim was recovered meanwhile) is
dropped with a warning: there is nothing left to record.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from gateway.logs import event
from gateway.outbox.errors import OutboxError
from gateway.storage.errors import StorageError

log = logging.getLogger(__name__)

LOG_EVERY_SECONDS = 60.0  # while the disk stays full, one line a minute per modem, not one per retry

Write = Callable[[], object]


class OutcomeJournal:
    def __init__(self, modem_id: str) -> None:
        self.modem_id = modem_id
        self.last_error: str | None = None
        self._pending: list[Write] = []
        self._logged_at = -LOG_EVERY_SECONDS

    def __len__(self) -> int:
        return len(self._pending)

    def record(self, write: Write) -> bool:
        """Write now, or keep ``write`` (after those already kept) for ``flush``; False when kept."""
        if not self._pending:
            try:
                write()
            except StorageError as exc:
                self.storage_failed(exc)
            else:
                return True
        self._pending.append(write)
        return False

    def flush(self) -> bool:
        """Write what was kept, oldest first; False while the database still refuses."""
        written = 0
        while self._pending:
            try:
                self._pending[0]()
            except StorageError as exc:
                self.storage_failed(exc)
                return False
            except OutboxError as exc:
                event(log, "kept outcome dropped", logging.WARNING, modem=self.modem_id, error=exc)
            self._pending.pop(0)
            written += 1
        if written:
            self.last_error = None
            event(log, "database writable again", logging.WARNING, modem=self.modem_id, outcomes=written)
        return True

    def storage_failed(self, exc: StorageError) -> None:
        self.last_error = str(exc)
        if time.monotonic() - self._logged_at > LOG_EVERY_SECONDS:
            self._logged_at = time.monotonic()
            event(log, "database write failed", logging.ERROR, modem=self.modem_id, error=exc, kept=len(self))
