"""Shared pieces of the SMS-engine benchmarks: a rig (real SQLite outbox + Dispatcher + in-process simulator),
a precise submit hook, fiction-block numbers, percentiles and plain-text tables.

Benchmarks do not import from ``tests/``: this is their own rig builder, on purpose, so that a change to a
test helper never silently changes a published figure.

Timing: the simulator runs in this process, so the hook reads ``time.perf_counter()`` (monotonic, sub-µs)
on the simulator's own thread at the moment it parses ``AT+CMGS=<len>`` and at the moment a submit is
recorded (after the radio delay, when the handset has the segment). The simulator's JSONL "time" field is
wall clock (``datetime.now(UTC)``, µs resolution) taken at that same record; the hook avoids mixing clocks.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from datetime import time as dtime
from pathlib import Path
from typing import Any, Literal

from sqlalchemy.orm import Session, sessionmaker

from drivers.settings import PortSettings
from gateway.alerts.guard import send_guard
from gateway.alerts.models import Alert, AlertStatus, AlertType
from gateway.dispatch.dispatcher import Dispatcher
from gateway.dispatch.hours import DaytimeWindow
from gateway.dispatch.policy import SendPolicy, build_policy
from gateway.dispatch.ratelimit import ModemLimits
from gateway.dispatch.settings import DispatchSettings, ModemSettings
from gateway.dispatch.wakeup import Wakeup
from gateway.outbox.models import Priority
from gateway.outbox.store import Outbox
from gateway.outbox.types import NewMessage, SendGuard
from gateway.registry.csv_io import COLUMNS, import_members
from gateway.registry.fiction import siren_from, siret_from
from gateway.registry.reference import load_reference
from gateway.storage.db import make_engine, session_factory
from gateway.storage.migrate import upgrade
from simulator.app import Simulator
from simulator.atparser import Command, Kind
from simulator.commands.registry import Prompt
from simulator.testing import running_simulator

FICTION_FIRST = 33639980000  # +33 6 39 98 00 00 .. +33 6 39 98 99 99, the only numbers we may use
FICTION_SIZE = 10_000
HIGH_LIMIT = 1_000_000  # per minute: "limits high", so that only the modems set the pace

# The simulator's realistic defaults (docs/simulator.md); benchmarks divide them by a time scale.
REAL_SUBMIT = 3.0
REAL_JITTER = 0.6
REAL_CMMS = 1.5
REAL_CMMS_WINDOW = 3.0
REAL_REPORT = 5.0

TextPolicy = Literal["exact", "gsm-folded"]


def numbers(count: int, offset: int = 0) -> list[str]:
    """``count`` distinct E.164 numbers of the fiction block."""
    if offset + count > FICTION_SIZE:
        raise ValueError(f"the fiction block has {FICTION_SIZE} numbers; asked for {offset + count}")
    return [f"+{FICTION_FIRST + offset + i}" for i in range(count)]


def realistic_timing(scale: float) -> dict[str, Any]:
    """Simulator options: the realistic default delays divided by ``scale`` (1 = the real thing)."""
    if scale <= 0:
        raise ValueError("scale must be positive")
    return {
        "submit_delay": REAL_SUBMIT / scale,
        "submit_jitter": REAL_JITTER / scale,
        "cmms_delay": REAL_CMMS / scale,
        "cmms_window": REAL_CMMS_WINDOW / scale,
        "report_delay": REAL_REPORT / scale,
    }


@dataclass
class SubmitWatch:
    """What the simulator's modems received, timed with ``perf_counter`` on the simulator's threads.

    ``cmgs``: one entry per ``AT+CMGS=<len>`` line parsed (the gateway starts a submit).
    ``submits``: one entry per submit recorded (radio delay over, the handset has the segment).
    """

    cmgs: list[tuple[float, str]] = field(default_factory=list)
    submits: list[tuple[float, dict[str, Any]]] = field(default_factory=list)
    _cond: threading.Condition = field(default_factory=threading.Condition)

    def attach(self, sim: Simulator) -> None:
        for handle in sim.modems:
            self._hook(handle.modem, handle.name)

    def _hook(self, modem: Any, name: str) -> None:
        run_command: Callable[[Command], list[str] | Prompt] = modem.run_command
        record_event: Callable[[dict[str, Any]], None] = modem.events

        def timed_command(command: Command) -> list[str] | Prompt:
            if command.name == "+CMGS" and command.kind is Kind.SET:
                stamp = time.perf_counter()
                with self._cond:
                    self.cmgs.append((stamp, name))
                    self._cond.notify_all()
            return run_command(command)

        def timed_event(record: dict[str, Any]) -> None:
            stamp = time.perf_counter()
            record_event(record)
            if record.get("event") == "submit" and record.get("result") == "ok":
                with self._cond:
                    self.submits.append((stamp, record))
                    self._cond.notify_all()

        # Instance attributes shadow the methods: only this simulator's modems are timed.
        modem.run_command = timed_command
        modem.events = timed_event

    def wait(self, predicate: Callable[[], bool], timeout: float) -> None:
        """Block until ``predicate()`` (checked under the lock at each hook call) or raise TimeoutError."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"cmgs={len(self.cmgs)} submits={len(self.submits)} after {timeout:.0f} s")
                self._cond.wait(remaining)

    def wait_cmgs(self, count: int, timeout: float) -> float:
        """The time of the ``count``-th AT+CMGS (1-based)."""
        self.wait(lambda: len(self.cmgs) >= count, timeout)
        return self.cmgs[count - 1][0]

    def wait_submits(self, count: int, timeout: float) -> float:
        """The time of the ``count``-th segment recorded (1-based)."""
        self.wait(lambda: len(self.submits) >= count, timeout)
        return self.submits[count - 1][0]


@dataclass
class Rig:
    sim: Simulator
    outbox: Outbox
    dispatcher: Dispatcher | None
    sessions: sessionmaker[Session]
    watch: SubmitWatch
    modems: list[ModemSettings]
    db_url: str
    alert_id: int | None = None

    def message(self, recipient: str, text: str, priority: Priority = Priority.ALERT) -> NewMessage:
        """One message of the rig's alert (see ``enqueue_all``)."""
        return NewMessage(recipient=recipient, text=text, priority=priority, alert_id=self.alert_id)

    def enqueue_all(self, recipients: Sequence[str], text: str, priority: Priority = Priority.ALERT) -> float:
        """Commit one message per recipient in one transaction (as a fan-out does); returns the
        ``perf_counter`` taken just before the transaction began. The rows belong to the rig's alert, so the
        check before each submit reads the alert and the register (``gateway.alerts.guard``), as in production."""
        now = datetime.now(UTC)
        batch = [NewMessage(recipient=r, text=text, priority=priority, alert_id=self.alert_id) for r in recipients]
        start = time.perf_counter()
        with self.sessions.begin() as session:
            self.outbox.enqueue(session, batch, now)
        return start


def modem(modem_id: str, device: str, per_minute: int = HIGH_LIMIT) -> ModemSettings:
    """One modem at ``device`` with production timeouts and ``per_minute`` (hour and day scaled from it)."""
    return ModemSettings(
        id=modem_id,
        port=PortSettings(device, modem_id=modem_id, command_timeout=10.0, submit_timeout=120.0),
        limits=ModemLimits(per_minute, per_minute * 60, per_minute * 1440),
    )


def modem_settings(sim: Simulator, per_minute: int = HIGH_LIMIT) -> list[ModemSettings]:
    return [modem(h.name, h.device_path, per_minute) for h in sim.modems]


# So that no figure depends on the hour the benchmark runs (alerts go at any hour anyway).
ALWAYS_DAYTIME = DaytimeWindow(dtime(0, 0), dtime(23, 59, 59))


@contextlib.contextmanager
def rig(
    *,
    modems: int,
    fast: bool,
    batch_size: int = 10,
    use_cmms: bool = True,
    text_policy: TextPolicy = "exact",
    per_minute: int = HIGH_LIMIT,
    start_dispatcher: bool = True,
    workdir: Path | None = None,
    registered: int = 0,
    dispatch: DispatchSettings | None = None,
    pin: str | None = None,
    **sim_options: Any,
) -> Iterator[Rig]:
    """A migrated SQLite file, an in-process simulator with ``modems`` modems (hooked by a SubmitWatch)
    and, unless ``start_dispatcher`` is False, a running Dispatcher with the in-process wake-up and the
    production check before each submit (``gateway.alerts.guard.send_guard``).

    ``registered``: that many members (fiction numbers ``numbers(registered)``, registered today) and one
    actual alert (``Rig.alert_id``) are written first, so that the check before each submit does its real reads.
    """
    with contextlib.ExitStack() as stack:
        if workdir is None:
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="vigicommerce-bench-")))
        url = f"sqlite:///{workdir / 'gateway.db'}"
        upgrade(url)
        engine = make_engine(url)
        stack.callback(engine.dispose)
        wakeup = Wakeup()
        outbox = Outbox(engine, notify=wakeup.notify)
        sim = stack.enter_context(running_simulator(workdir, modems=modems, fast=fast, **sim_options))
        watch = SubmitWatch()
        watch.attach(sim)
        settings = [
            dataclasses.replace(m, port=dataclasses.replace(m.port, pin=pin)) for m in modem_settings(sim, per_minute)
        ]
        sessions = session_factory(engine)
        alert_id = register(sessions, workdir, registered) if registered else None
        dispatcher = None
        if start_dispatcher:
            dispatcher = Dispatcher(
                outbox,
                make_policy(settings),
                dispatch or dispatch_settings(batch_size, use_cmms),
                text_policy,
                wakeup=wakeup,
                guard=guard(),
            )
            dispatcher.start(settings)
            stack.callback(dispatcher.stop)
        yield Rig(sim, outbox, dispatcher, sessions, watch, settings, url, alert_id)


DATA = Path(__file__).resolve().parents[1] / "data"


def guard() -> SendGuard:
    """The production check before each submit (``gateway.alerts.guard``), as the daemon builds it."""
    return send_guard(lambda: datetime.now(UTC).astimezone(ALWAYS_DAYTIME.tz).date())


def register(sessions: sessionmaker[Session], workdir: Path, count: int) -> int:
    """``count`` members, one fiction number each (``numbers(count)``), registered today through the CSV import,
    and one actual alert to send them; returns the alert's id."""
    today = datetime.now(UTC).astimezone(ALWAYS_DAYTIME.tz).date()
    source = workdir / "members.csv"
    with source.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for i, number in enumerate(numbers(count)):
            siren = siren_from(10**7 + i)
            writer.writerow(
                [siren, siret_from(siren, 1), f"Commerce {i}", "bijouterie", "", "", "marigot", number, "", today]
            )
    with sessions() as session:
        load_reference(session, DATA)
        session.commit()
        report = import_members(
            session, source.read_bytes(), source=source.name, today=today, now=datetime.now(UTC), actor="bench"
        )
        if report.errors:
            raise RuntimeError(f"bench members refused: {report.errors[:3]}")
    with sessions.begin() as session:
        alert = Alert(
            text_fr="Bench",
            text="Bench",
            encoding="gsm7",
            segments=1,
            status=AlertStatus.ACTUAL,
            msg_type=AlertType.ALERT,
            sender="bench",
            created_at=datetime.now(UTC),
            request_hash="bench",
        )
        session.add(alert)
        session.flush()
        return alert.id


def wait_open(dispatcher: Dispatcher, timeout: float) -> None:
    """Until every worker has opened its modem (identify, PIN, registration), so that no figure includes
    the modems' start-up."""
    deadline = time.monotonic() + timeout
    while not all(s.state == "open" for s in dispatcher.statuses()):
        if time.monotonic() > deadline:
            raise TimeoutError(f"modems not open: {dispatcher.statuses()}")
        time.sleep(0.01)  # observation only


def make_policy(settings: list[ModemSettings]) -> SendPolicy:
    return build_policy(settings, DispatchSettings(), ALWAYS_DAYTIME)


def dispatch_settings(batch_size: int, use_cmms: bool) -> DispatchSettings:
    return DispatchSettings(batch_size=batch_size, use_cmms=use_cmms, stop_timeout_seconds=10)


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty sequence."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))  # ceil(n * p / 100), at least 1
    return ordered[int(rank) - 1]


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Plain-text table: first column left-aligned, the others right-aligned; floats as given by ``fmt``."""
    cells = [[str(h) for h in headers], *[[fmt(v) for v in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = []
    for row in cells:
        parts = [row[0].ljust(widths[0]), *(c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True))]
        lines.append("  ".join(parts).rstrip())
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.1f}" if abs(value) >= 100 else f"{value:.2f}" if abs(value) >= 1 else f"{value:.3f}"
    return str(value)
