"""A real dispatcher on a real SQLite file, driving simulator modems over ptys (shared by dispatch tests)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from drivers.settings import PortSettings
from gateway.dispatch.dispatcher import Dispatcher
from gateway.dispatch.hours import DaytimeWindow
from gateway.dispatch.policy import build_policy
from gateway.dispatch.ratelimit import ModemLimits
from gateway.dispatch.settings import DispatchSettings, ModemSettings, SimBudget
from gateway.dispatch.wakeup import Wakeup
from gateway.outbox.models import Priority
from gateway.outbox.retry import RetryPolicy
from gateway.outbox.states import MessageState
from gateway.outbox.store import Outbox
from gateway.outbox.types import MessageView, NewMessage
from gateway.storage.db import make_engine, session_factory
from gateway.storage.migrate import upgrade
from simulator.app import Simulator
from simulator.testing import running_simulator


@dataclass
class Rig:
    sim: Simulator
    outbox: Outbox
    dispatcher: Dispatcher
    modems: list[ModemSettings]
    sessions: sessionmaker[Session]

    def enqueue(self, number: str, text: str, priority: Priority = Priority.OPERATIONAL, **kw: Any) -> int:
        return self.outbox.enqueue_one(
            NewMessage(recipient=number, text=text, priority=priority, **kw), datetime.now(UTC)
        )

    def enqueue_all(self, texts: dict[str, str], priority: Priority = Priority.OPERATIONAL) -> list[int]:
        """One message per number, committed together (as a fan-out is)."""
        with self.sessions.begin() as session:
            return self.outbox.enqueue(
                session,
                [NewMessage(recipient=n, text=t, priority=priority) for n, t in texts.items()],
                datetime.now(UTC),
            )

    def views(self, ids: list[int]) -> list[MessageView]:
        return [v for v in (self.outbox.get(i) for i in ids) if v is not None]

    def count(self, state: MessageState) -> int:
        return sum(n for (s, _), n in self.outbox.counts().items() if s is state)

    def wait_open(self) -> None:
        """Until every modem is in service (a test about sharing work must not start with one modem alone)."""
        self.wait(lambda: all(s.state == "open" for s in self.dispatcher.statuses()))

    def wait(self, predicate: Callable[[], bool], timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            assert time.monotonic() < deadline, f"timed out; outbox={self.outbox.counts()}"
            time.sleep(0.02)


@contextlib.contextmanager
def rig(
    tmp_path: Path,
    *,
    modems: int = 2,
    per_minute: int = 10_000,
    batch_size: int = 10,
    night: bool = False,
    submit_timeout: float = 5.0,
    late_window: float = 0.5,
    budgets: dict[int, SimBudget] | None = None,
    db_dir: Path | None = None,
    pin: str | None = None,
    dispatch_options: dict[str, Any] | None = None,
    **sim_options: Any,
) -> Iterator[Rig]:
    """``budgets`` maps a modem index to its SIM budget; ``db_dir`` puts the database elsewhere than
    ``tmp_path`` (a small filesystem, to fill it); ``pin`` is configured for every modem (the simulator's
    ``sim_pin`` fault asks for 1234); ``dispatch_options`` override the ``DispatchSettings`` of the rig."""
    url = f"sqlite:///{(db_dir or tmp_path) / 'gateway.db'}"
    upgrade(url)
    engine = make_engine(url)
    wakeup = Wakeup()
    # Short retry backoff: an unplug can surface as a retryable error on the message in flight, and the
    # tests check hand-over within seconds, not the production backoff (30 s, doubling).
    outbox = Outbox(
        engine, notify=wakeup.notify, retry=RetryPolicy(initial=timedelta(seconds=0.2), maximum=timedelta(seconds=1))
    )
    with running_simulator(tmp_path, modems=modems, **sim_options) as sim:
        settings = [
            ModemSettings(
                id=h.name,
                port=PortSettings(
                    h.device_path, modem_id=h.name, pin=pin, command_timeout=2.0, submit_timeout=submit_timeout
                ),
                limits=ModemLimits(per_minute, per_minute * 60, per_minute * 1440),
                budget=(budgets or {}).get(i, SimBudget()),
            )
            for i, h in enumerate(sim.modems)
        ]
        # A window that is never (night=True) or always daytime, so the tests do not depend on the hour.
        hours = DaytimeWindow(dtime(0, 0), dtime(0, 1) if night else dtime(23, 59, 59))
        dispatch = DispatchSettings(
            **{
                "batch_size": batch_size,
                "reopen_initial_seconds": 0.1,
                "reopen_max_seconds": 0.5,
                "stop_timeout_seconds": 10,
                "late_result_window_seconds": late_window,
                **(dispatch_options or {}),
            }
        )
        dispatcher = Dispatcher(
            outbox,
            build_policy(settings, dispatch, hours, engine),
            dispatch,
            "exact",
            wakeup=wakeup,
        )
        dispatcher.start(settings)
        try:
            yield Rig(sim, outbox, dispatcher, settings, session_factory(engine))
        finally:
            dispatcher.stop()
            engine.dispose()
