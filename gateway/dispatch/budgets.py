"""SIM budgets: messages per local day and distinct recipients per local month, with sticky recipients.

French "unlimited" plans quietly cap distinct recipients per month (often 99 or 250). Each number sticks to
the SIM that already texted it this month, so a SIM's set of recipients stays small; when that SIM is not
among the candidates (failed, removed) another takes the number and it counts on both.

Decision (life safety): an ALERT is never held back by a budget. It takes a SIM within budget when one can
serve it, else the best SIM over budget with ``over_budget=True`` (the operator sees a warning). Other
priorities wait (``choose`` returns None) until a budget frees up.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from gateway.dispatch.hours import MARIGOT
from gateway.dispatch.models import SimRecipient, SimUsage
from gateway.dispatch.settings import SimBudget
from gateway.outbox.models import Priority
from gateway.storage import dialect
from gateway.storage.db import session_factory


@dataclass(frozen=True)
class SimState:
    """One SIM's use, as seen for one recipient number."""

    imsi: str
    budget: SimBudget
    sent_today: int
    recipients_this_month: int
    has_number: bool

    def remaining_messages(self) -> float:
        limit = self.budget.messages_per_day
        return math.inf if limit is None else limit - self.sent_today

    def remaining_recipients(self) -> float:
        limit = self.budget.recipients_per_month
        return math.inf if limit is None else limit - self.recipients_this_month

    def can_take(self, segments: int) -> bool:
        if self.remaining_messages() < segments:
            return False
        return self.has_number or self.remaining_recipients() >= 1


@dataclass(frozen=True)
class SimChoice:
    imsi: str
    sticky: bool
    over_budget: bool


@dataclass(frozen=True)
class BudgetWarning:
    imsi: str
    kind: str  # "messages_per_day" | "recipients_per_month"
    used: int
    limit: int

    @property
    def exhausted(self) -> bool:
        return self.used >= self.limit


def choose(states: Sequence[SimState], priority: Priority, segments: int = 1) -> SimChoice | None:
    """Pure decision: the sticky SIM if it can take the message, else the SIM with most budget left."""
    if not states:
        return None
    sticky = [s for s in states if s.has_number]
    for state in sticky:
        if state.can_take(segments):
            return SimChoice(state.imsi, sticky=True, over_budget=False)
    able = [s for s in states if s.can_take(segments)]
    if able:
        best = max(able, key=lambda s: (s.remaining_recipients(), s.remaining_messages(), s.imsi))
        return SimChoice(best.imsi, sticky=False, over_budget=False)
    if priority is not Priority.ALERT:
        return None
    # Over budget everywhere: prefer a SIM that already has the number (no new recipient spent).
    pool = sticky or list(states)
    best = max(pool, key=lambda s: (s.remaining_recipients(), s.remaining_messages(), s.imsi))
    return SimChoice(best.imsi, sticky=best.has_number, over_budget=True)


class SimBudgets:
    """Persistent budget counters behind ``choose``; one short transaction per call."""

    def __init__(
        self,
        engine: Engine,
        budgets: Mapping[str, SimBudget],
        *,
        warn_fraction: float = 0.8,
        tz: ZoneInfo = MARIGOT,
    ) -> None:
        if not 0 < warn_fraction <= 1:
            raise ValueError("warn_fraction must be in (0, 1]")
        self._engine = engine
        self._sessions = session_factory(engine)
        self._reads = session_factory(engine.execution_options(**{dialect.BEGIN_OPTION: "DEFERRED"}))
        self.budgets = dict(budgets)
        self.warn_fraction = warn_fraction
        self.tz = tz

    def _day_month(self, now: datetime) -> tuple[date, str]:
        local = now.astimezone(self.tz).date()
        return local, f"{local.year:04d}-{local.month:02d}"

    def states(self, number: str, candidates: Sequence[str], now: datetime) -> list[SimState]:
        """The candidates' use today / this month, and whether each already has ``number``."""
        day, month = self._day_month(now)
        with self._reads.begin() as session:
            sent = {
                imsi: count
                for imsi, count in session.execute(
                    select(SimUsage.imsi, SimUsage.count).where(SimUsage.day == day, SimUsage.imsi.in_(candidates))
                )
            }
            recipients = {
                imsi: count
                for imsi, count in session.execute(
                    select(SimRecipient.imsi, func.count())
                    .where(SimRecipient.month == month, SimRecipient.imsi.in_(candidates))
                    .group_by(SimRecipient.imsi)
                )
            }
            holders = set(
                session.scalars(
                    select(SimRecipient.imsi).where(
                        SimRecipient.month == month,
                        SimRecipient.number == number,
                        SimRecipient.imsi.in_(candidates),
                    )
                )
            )
        return [
            SimState(
                imsi=imsi,
                budget=self.budgets.get(imsi, SimBudget()),
                sent_today=int(sent.get(imsi, 0)),
                recipients_this_month=int(recipients.get(imsi, 0)),
                has_number=imsi in holders,
            )
            for imsi in candidates
        ]

    def choose_sim(
        self,
        number: str,
        candidates: Sequence[str],
        now: datetime,
        *,
        priority: Priority = Priority.ALERT,
        segments: int = 1,
    ) -> SimChoice | None:
        """Which SIM should text ``number`` now; None when only over-budget SIMs remain and it is no alert."""
        return choose(self.states(number, candidates, now), priority, segments)

    def numbers_held_by(self, imsis: Sequence[str], now: datetime) -> set[str]:
        """Numbers that stick to one of ``imsis`` this month: other SIMs leave them alone."""
        if not imsis:
            return set()
        _, month = self._day_month(now)
        with self._reads.begin() as session:
            return set(
                session.scalars(
                    select(SimRecipient.number).where(SimRecipient.month == month, SimRecipient.imsi.in_(imsis))
                )
            )

    def state(self, imsi: str, now: datetime) -> SimState:
        """This SIM's use today and this month."""
        (state,) = self.states("", [imsi], now)
        return state

    def record_send(self, imsi: str, number: str, now: datetime, segments: int = 1) -> None:
        """Count a sent message on the SIM and make ``number`` stick to it this month."""
        with self._sessions.begin() as session:
            self.record_send_in(session, imsi, number, now, segments)

    def record_send_in(self, session: Session, imsi: str, number: str, now: datetime, segments: int = 1) -> None:
        """``record_send`` inside the caller's transaction (the worker's "sent" commit)."""
        day, month = self._day_month(now)
        db = session.get_bind().dialect
        session.execute(
            dialect.insert_or_add(
                db, SimUsage.__table__, {"imsi": imsi, "day": day, "count": segments}, ["imsi", "day"], "count"
            )
        )
        session.execute(
            dialect.insert_or_ignore(
                db,
                SimRecipient.__table__,
                {"imsi": imsi, "month": month, "number": number, "first_sent_at": now},
            )
        )

    def warnings(self, now: datetime) -> list[BudgetWarning]:
        """Every budget used at or beyond ``warn_fraction`` of its limit, for the CLI and the API."""
        found = []
        for imsi, budget in sorted(self.budgets.items()):
            (state,) = self.states("", [imsi], now)
            for kind, used, limit in (
                ("messages_per_day", state.sent_today, budget.messages_per_day),
                ("recipients_per_month", state.recipients_this_month, budget.recipients_per_month),
            ):
                if limit is not None and used >= self.warn_fraction * limit:
                    found.append(BudgetWarning(imsi, kind, used, limit))
        return found
