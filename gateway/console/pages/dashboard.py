"""Tableau de bord (``/console/``): the modems, the queue, the alerts in progress, the replies waiting, the last
daily job and the gateway's health, refreshed live (``/console/fragments/tableau``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from gateway.console.auth import Reader, context_of
from gateway.console.pages.common import render
from gateway.outbox.models import Priority
from gateway.outbox.states import MessageState

router = APIRouter()
PRIORITY_LABELS = {Priority.ALERT: "alertes", Priority.OPERATIONAL: "messages de service", Priority.REMINDER: "rappels"}
STATE_LABELS = {"open": "en service", "failed": "hors service", "closed": "fermé"}


def _board(request: Request) -> dict[str, Any]:
    context = context_of(request)
    counts = context.outbox.counts()
    waiting = {
        label: sum(n for (state, p), n in counts.items() if p == priority and not state.is_final)
        for priority, label in PRIORITY_LABELS.items()
    }
    modems = [
        {
            "id": s.modem_id,
            "state": s.state,
            "state_label": STATE_LABELS.get(s.state, s.state),
            "operator": s.info.operator if s.info else None,
            "signal": s.info.signal_rssi if s.info else None,
            "sent": s.sent,
            "failed": s.failed,
            "last_error": s.last_error,
        }
        for s in context.modem_status()
    ]
    sending = sum(n for (state, _), n in counts.items() if state == MessageState.SENDING)
    return {"modems": modems, "waiting": waiting, "sending": sending, "alive": context.alive()}


@router.get("/", name="dashboard")
def dashboard(request: Request, identity: Reader) -> Response:
    return render(request, "dashboard.html", identity, {"title": "Tableau de bord", **_board(request)})


@router.get("/fragments/tableau", name="dashboard_fragment")
def dashboard_fragment(request: Request, identity: Reader) -> Response:
    return render(request, "_dashboard.html", identity, _board(request))
