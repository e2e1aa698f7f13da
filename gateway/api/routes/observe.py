"""Read-only views of the running gateway: ``/inbox``, ``/modems``, ``/outbox``."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy import func, select

from gateway.api.context import ApiContext
from gateway.api.errors import responses
from gateway.api.schemas import MAX_ID
from gateway.api.security import Context, Reader
from gateway.dispatch.budgets import EXHAUSTED_NOTE, budget_uses
from gateway.dispatch.link import WorkerStatus
from gateway.inbox.models import InboxKind
from gateway.outbox.models import OutboxMessage, Priority
from gateway.outbox.states import MessageState
from gateway.replies.handler import list_replies

router = APIRouter(tags=["supervision"])


class ReplyOut(BaseModel):
    id: int
    modem_id: str
    sender: str
    text: str
    received_at: datetime
    kind: InboxKind
    linked_alert_id: int | None


class ReplyList(BaseModel):
    items: list[ReplyOut]


class BudgetOut(BaseModel):
    """One budget of the modem's SIM; ``warning`` once ``used`` reaches ``dispatch.budget_warn_fraction`` of it,
    ``exhausted`` at the limit, and then ``note`` says what the SIM still sends."""

    kind: str
    used: int
    limit: int | None
    warning: bool
    exhausted: bool = False
    note: str | None = None


class ModemOut(BaseModel):
    """``signal``: 0-31 (AT+CSQ), null when unknown; ``queue``: messages this modem holds right now."""

    id: str
    state: str
    network: str | None
    operator: str | None
    signal: int | None
    model: str | None
    queue: int
    sent_today: int
    sent: int
    failed: int
    retried: int
    last_error: str | None
    reopen_at: datetime | None
    budget: list[BudgetOut]


class ModemList(BaseModel):
    items: list[ModemOut]


class CountOut(BaseModel):
    state: MessageState
    priority: str
    count: int


class OutboxOut(BaseModel):
    counts: list[CountOut]
    by_state: dict[str, int]
    oldest_queued_age_seconds: float | None


@router.get("/inbox", response_model=ReplyList, responses=responses(401, 403, 422, 503))
def inbox(
    context: Context,
    _identity: Reader,
    alert_id: Annotated[int | None, Query(ge=1, le=MAX_ID, description="réponses à cette alerte")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> ReplyList:
    """Les réponses des adhérents (hors STOP), la plus récente d'abord."""
    with context.read_sessions.begin() as session:
        rows = list_replies(session, alert_id=alert_id, limit=limit)
        return ReplyList(
            items=[
                ReplyOut(
                    id=r.id,
                    modem_id=r.modem_id,
                    sender=r.sender,
                    text=r.text,
                    received_at=r.received_at,
                    kind=r.kind,
                    linked_alert_id=r.linked_alert_id,
                )
                for r in rows
            ]
        )


def start_of_local_day(context: ApiContext, now: datetime) -> datetime:
    return datetime.combine(context.today(now), time(0), context.config.hours.tz).astimezone(UTC)


@router.get("/modems", response_model=ModemList, responses=responses(401, 403, 503))
def modems(context: Context, _identity: Reader) -> ModemList:
    """Chaque modem : état, réseau, opérateur, signal, messages en cours, envoyés aujourd'hui, dernière erreur."""
    statuses = list(context.modem_status())
    now = context.now()
    since = start_of_local_day(context, now)
    M = OutboxMessage  # noqa: N806 - the table, as elsewhere
    with context.read_sessions.begin() as session:
        today = dict(
            session.execute(select(M.modem_id, func.count()).where(M.sent_at >= since).group_by(M.modem_id)).all()
        )
        sending = dict(
            session.execute(
                select(M.modem_id, func.count()).where(M.state == MessageState.SENDING).group_by(M.modem_id)
            ).all()
        )
    items = []
    for s in statuses:
        info = s.info
        items.append(
            ModemOut(
                id=s.modem_id,
                state=s.state,
                network=None if info is None else "registered" if info.registered else "not-registered",
                operator=info.operator if info else None,
                signal=info.signal_rssi if info else None,
                model=f"{info.manufacturer} {info.model}".strip() if info else None,
                queue=int(sending.get(s.modem_id, 0)),
                sent_today=int(today.get(s.modem_id, 0)),
                sent=s.sent,
                failed=s.failed,
                retried=s.retried,
                last_error=s.last_error,
                reopen_at=s.reopen_at,
                budget=_budget(s, context.config.dispatch.budget_warn_fraction),
            )
        )
    return ModemList(items=items)


def _budget(status: WorkerStatus, warn_fraction: float) -> list[BudgetOut]:
    if status.budget is None:
        return []
    return [
        BudgetOut(
            kind=use.kind,
            used=use.used,
            limit=use.limit,
            warning=use.warning,
            exhausted=use.exhausted,
            note=EXHAUSTED_NOTE if use.exhausted else None,
        )
        for use in budget_uses(status.budget, warn_fraction)
    ]


@router.get("/outbox", response_model=OutboxOut, responses=responses(401, 403, 503))
def outbox(context: Context, _identity: Reader) -> OutboxOut:
    """Messages de la file par état et par priorité, et l'âge du plus ancien message en attente."""
    counts = context.outbox.counts()
    age = context.outbox.oldest_queued_age(context.now())
    by_state = {state.value: 0 for state in MessageState}
    for (state, _priority), n in counts.items():
        by_state[state.value] += n
    rows = [
        CountOut(state=s, priority=Priority(p).name.lower(), count=n)
        for (s, p), n in sorted(counts.items(), key=lambda item: (item[0][0].value, int(item[0][1])))
    ]
    return OutboxOut(
        counts=rows, by_state=by_state, oldest_queued_age_seconds=age.total_seconds() if age is not None else None
    )
