"""SIM budgets: messages per local day and distinct recipients per local month, and the sticky recipients.

French "unlimited" plans quietly cap distinct recipients per month (often 99 or 250). The counters are written in
the same transaction as each "sent" (``record_send_in``); which SIM may send what, given them, is decided by
``gateway.dispatch.claim.plan_claim`` (the one budget rule). This module counts, reads, and says how close each
budget is to its limit (``budget_uses``, for ``GET /modems`` and ``vigicommerce modems``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from gateway.dispatch.hours import MARIGOT
from gateway.dispatch.models import SimRecipient, SimUsage
from gateway.dispatch.settings import SimBudget
from gateway.storage import dialect
from gateway.storage.db import session_factory


@dataclass(frozen=True)
class SimState:
    """One SIM's use today and this month, against its budget."""

    imsi: str
    budget: SimBudget
    sent_today: int
    recipients_this_month: int

    def remaining_messages(self) -> float:
        limit = self.budget.messages_per_day
        return math.inf if limit is None else limit - self.sent_today

    def remaining_recipients(self) -> float:
        limit = self.budget.recipients_per_month
        return math.inf if limit is None else limit - self.recipients_this_month

    @property
    def past_budget(self) -> bool:
        """No message left today, or no new recipient left this month: the SIM takes alerts only."""
        return self.remaining_messages() <= 0 or self.remaining_recipients() <= 0


@dataclass(frozen=True)
class BudgetUse:
    """One budget of one SIM as operators see it: ``warning`` from ``warn_fraction`` of the limit on,
    ``exhausted`` at the limit (the SIM then sends alerts only, see ``gateway.dispatch.claim``)."""

    kind: str  # "messages/jour" | "destinataires/mois"
    used: int
    limit: int | None
    warning: bool
    exhausted: bool


# What a SIM past a budget does, in the operators' words (GET /modems, vigicommerce modems); the rule is
# gateway.dispatch.claim.plan_claim.
EXHAUSTED_NOTE = (
    "budget atteint : cette SIM n'envoie plus que les alertes ; ses autres messages passent par les autres SIM "
    "dans leur budget (ou attendent le lendemain si toutes l'ont atteint)"
)


def budget_uses(state: SimState, warn_fraction: float) -> list[BudgetUse]:
    """The SIM's two budgets, each with its warning and exhaustion flags. Pure."""
    pairs = (
        ("messages/jour", state.sent_today, state.budget.messages_per_day),
        ("destinataires/mois", state.recipients_this_month, state.budget.recipients_per_month),
    )
    return [
        BudgetUse(
            kind=kind,
            used=used,
            limit=limit,
            warning=limit is not None and used >= warn_fraction * limit,
            exhausted=limit is not None and used >= limit,
        )
        for kind, used, limit in pairs
    ]


class SimBudgets:
    """Persistent budget counters; one short transaction per call."""

    def __init__(self, engine: Engine, budgets: Mapping[str, SimBudget], *, tz: ZoneInfo = MARIGOT) -> None:
        self._engine = engine
        self._reads = session_factory(engine.execution_options(**{dialect.BEGIN_OPTION: "DEFERRED"}))
        self.budgets = dict(budgets)  # by IMSI, filled in as each modem opens and says which SIM it holds
        self.tz = tz

    def _day_month(self, now: datetime) -> tuple[date, str]:
        local = now.astimezone(self.tz).date()
        return local, f"{local.year:04d}-{local.month:02d}"

    def states(self, imsis: Sequence[str], now: datetime) -> list[SimState]:
        """The SIMs' use today and this month (local calendar), in the order given."""
        if not imsis:
            return []
        day, month = self._day_month(now)
        with self._reads.begin() as session:
            sent = dict(
                session.execute(
                    select(SimUsage.imsi, SimUsage.count).where(SimUsage.day == day, SimUsage.imsi.in_(imsis))
                ).all()
            )
            recipients = dict(
                session.execute(
                    select(SimRecipient.imsi, func.count())
                    .where(SimRecipient.month == month, SimRecipient.imsi.in_(imsis))
                    .group_by(SimRecipient.imsi)
                ).all()
            )
        return [
            SimState(
                imsi=imsi,
                budget=self.budgets.get(imsi, SimBudget()),
                sent_today=int(sent.get(imsi, 0)),
                recipients_this_month=int(recipients.get(imsi, 0)),
            )
            for imsi in imsis
        ]

    def stuck_to(self, imsis: Sequence[str], now: datetime, *, unless_held_by: str | None = None) -> Select[Any] | None:
        """The numbers stuck to one of ``imsis`` this month, except those stuck to ``unless_held_by`` too (a number
        two SIMs texted belongs to both: neither may leave it to the other, or it would wait for ever), as a query
        the claim runs inside its own transaction (a month can stick thousands of numbers: no list of parameters).
        None when there is nothing to leave."""
        if not imsis:
            return None
        _, month = self._day_month(now)
        query = select(SimRecipient.number).where(SimRecipient.month == month, SimRecipient.imsi.in_(list(imsis)))
        if unless_held_by is not None:
            own = select(SimRecipient.number).where(SimRecipient.month == month, SimRecipient.imsi == unless_held_by)
            query = query.where(SimRecipient.number.not_in(own))
        return query

    def record_send_in(self, session: Session, imsi: str, number: str, now: datetime, segments: int = 1) -> None:
        """Count a sent message on the SIM and make ``number`` stick to it this month, inside the caller's
        transaction (the worker's "sent" commit: one disk sync per message)."""
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
