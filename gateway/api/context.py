"""What the API needs from the daemon, gathered in one object so that tests build it without modems."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from gateway.campaigns.daytime import local_today
from gateway.config import GatewayConfig
from gateway.dispatch.worker import WorkerStatus
from gateway.outbox.store import Outbox
from gateway.registry.settings import RegistrySettings
from gateway.usecases import Store


def _utc_now() -> datetime:
    return datetime.now(UTC)


class ErrorCounter:
    """Errors answered, by code, for ``/metrics``; shared by the middleware and the exception handlers."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()

    def add(self, code: str) -> None:
        with self._lock:
            self._counts[code] += 1

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)


@dataclass
class ApiContext:
    """``config``: the configuration in force (a reload replaces it: read it per request, never keep a part of
    it); ``modem_status`` gives each modem's worker status (the dispatcher's ``statuses``); ``alive`` the
    dispatcher's liveness; ``clock`` the current UTC time (tests may pin it)."""

    config: GatewayConfig
    engine: Engine
    outbox: Outbox
    modem_status: Callable[[], Sequence[WorkerStatus]] = lambda: ()
    alive: Callable[[], bool] = lambda: True
    clock: Callable[[], datetime] = _utc_now
    errors: ErrorCounter = field(default_factory=ErrorCounter)
    body_timeout_seconds: float = 10.0  # most seconds between two pieces of a request body (slow clients)
    sessions: sessionmaker[Session] = field(init=False)
    read_sessions: sessionmaker[Session] = field(init=False)
    store: Store = field(init=False)

    def __post_init__(self) -> None:
        self.store = Store.for_engine(self.engine)
        self.sessions = self.store.sessions
        # GETs never wait for the SQLite write lock (WAL readers).
        self.read_sessions = self.store.read_sessions

    def now(self) -> datetime:
        return self.clock()

    def today(self, now: datetime | None = None) -> date:
        """The station's local date (registrations expire on local dates)."""
        return local_today(now or self.clock(), self.config.hours)

    def registry_settings(self) -> RegistrySettings:
        return self.config.registry
