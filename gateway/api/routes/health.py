"""``/healthz`` (for monitoring, no token) and ``/metrics`` (Prometheus, read token)."""

from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from sqlalchemy import text

from gateway import metrics as live
from gateway.api import metrics
from gateway.api.context import ApiContext
from gateway.api.errors import responses
from gateway.api.security import Context, Reader
from gateway.storage.db import free_bytes
from gateway.storage.errors import StorageError

# Below this, /healthz says so: SQLite needs room for its WAL, and a full disk refuses every new alert.
MIN_FREE_BYTES = 16 * 1024 * 1024

router = APIRouter(tags=["supervision"])
log = logging.getLogger(__name__)


class Health(BaseModel):
    status: str
    database: bool
    modems_open: int
    modems: int
    reasons: list[str]


def database_ok(context: ApiContext) -> bool:
    try:
        with context.read_sessions.begin() as session:
            session.execute(text("SELECT 1"))
    except (StorageError, OSError, Exception) as exc:  # noqa: BLE001 - any failure means "not healthy"
        log.warning("health check: database unavailable: %s", exc)
        return False
    return True


@router.get("/healthz", response_model=Health, responses={503: {"model": Health, "description": "pas en état"}})
def healthz(context: Context) -> JSONResponse:
    """200 seulement si la base répond et qu'au moins un modem est ouvert ; sinon 503 et pourquoi."""
    statuses = list(context.modem_status())
    open_count = sum(1 for s in statuses if s.state == "open")
    db = database_ok(context)
    reasons = []
    if not db:
        reasons.append("la base de données ne répond pas")
    if open_count == 0:
        reasons.append(f"aucun modem ouvert sur {len(statuses)} configuré(s)")
    if not context.alive():
        reasons.append("le répartiteur des modems ne tourne plus")
    free = free_bytes(context.engine)
    if free is not None and free < MIN_FREE_BYTES:
        reasons.append(f"disque de la base presque plein ({free // 1024} Kio libres) : libérez de la place")
    health = Health(
        status="ok" if not reasons else "unavailable",
        database=db,
        modems_open=open_count,
        modems=len(statuses),
        reasons=reasons,
    )
    return JSONResponse(health.model_dump(), status_code=200 if not reasons else 503)


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {"content": {"text/plain": {"schema": {"type": "string"}}}, "description": "format Prometheus 0.0.4"},
        **responses(401, 403),
    },
)
def get_metrics(context: Context, _identity: Reader) -> Response:
    """Messages par état et priorité, débit par modem, âge de la file, erreurs (format Prometheus)."""
    now = context.now()
    try:
        counts, age, up = context.outbox.counts(), context.outbox.oldest_queued_age(now), True
        live.alerts_completed(context.outbox.alerts_completed(since=live.STARTED, now=now))
    except StorageError:
        counts, age, up = {}, None, False
    scraped = metrics.families(
        counts,
        age,
        list(context.modem_status()),
        context.errors.snapshot(),
        database_up=up,
        database_free_bytes=free_bytes(context.engine),
    )
    return Response(metrics.render(scraped), media_type=metrics.CONTENT_TYPE)
