"""``/alerts``: the drop endpoint (JSON or CAP 1.2), progress, cancel, recent alerts."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from gateway.alerts.fanout import create_alert, preview_alert
from gateway.alerts.models import Alert, AlertStatus, AlertType
from gateway.alerts.tracking import alert_progress, cancel_alert, get_alert
from gateway.alerts.types import AlertRequest, Target
from gateway.api.cap import CapAlert, CapError, parse_cap
from gateway.api.context import ApiContext
from gateway.api.errors import ApiError, responses
from gateway.api.limits import CAP
from gateway.api.schemas import MAX_ID, Message, OptionalMessage, Ref, StrictModel
from gateway.api.security import Context, Reader, Sender
from gateway.auth.tokens import Identity

router = APIRouter(tags=["alertes"])
AlertId = Annotated[int, Path(ge=1, le=MAX_ID, description="numéro de l'alerte")]


class TargetIn(StrictModel):
    """Zones OR streets (the place), AND categories when given; or ``whole_territory``."""

    zones: list[Ref] = Field(default_factory=list, max_length=100)
    streets: list[Ref] = Field(default_factory=list, max_length=200)
    categories: list[Ref] = Field(default_factory=list, max_length=50)
    whole_territory: bool = False


class AlertIn(StrictModel):
    """An alert. ``references``: the alert an update or a cancel (end of alert) refers to."""

    text_fr: Message
    text_en: OptionalMessage = ""
    target: TargetIn = Field(default_factory=TargetIn)
    status: AlertStatus = AlertStatus.ACTUAL
    type: AlertType = AlertType.ALERT
    references: int | None = Field(None, ge=1, le=MAX_ID)
    dry_run: bool = False


class AlertAccepted(BaseModel):
    id: int
    created: bool = Field(description="false quand la clé d'idempotence a retrouvé une alerte déjà reçue")
    location: str
    members: int
    numbers: int
    segments: int
    text: str


class FoldOut(BaseModel):
    """One character the GSM folding replaced, and what replaced it (« ’ » -> « ' »)."""

    original: str
    replacement: str


class AlertPreviewOut(BaseModel):
    dry_run: bool = True
    members: int
    numbers: int
    segments: int
    total_segments: int
    encoding: str
    text: str
    length: int
    ucs2_forced_by: list[str]
    folded: list[FoldOut] = Field(
        default_factory=list, description="ce que le repli GSM a changé dans le texte (policy gsm-folded)"
    )


class ProgressOut(BaseModel):
    total: int
    queued: int
    sending: int
    sent: int
    delivered: int
    failed: int
    dead: int
    cancelled: int
    percent_done: float


class TargetOut(BaseModel):
    zones: list[str]
    streets: list[str]
    categories: list[str]
    whole_territory: bool


class AlertSummary(BaseModel):
    id: int
    status: AlertStatus
    type: AlertType
    references: int | None
    text: str
    sender: str
    created_at: datetime
    members: int
    numbers: int
    segments: int
    cancelled_at: datetime | None


class AlertOut(AlertSummary):
    text_fr: str
    text_en: str
    encoding: str
    target: TargetOut
    cancelled_by: str | None
    progress: ProgressOut


class AlertPage(BaseModel):
    items: list[AlertSummary]
    next_before: int | None = Field(description="à passer en « before » pour la page suivante")


class CancelOut(BaseModel):
    id: int
    cancelled: int
    pending: int


def _summary(alert: Alert) -> dict[str, Any]:
    return {
        "id": alert.id,
        "status": alert.status,
        "type": alert.msg_type,
        "references": alert.references_id,
        "text": alert.text,
        "sender": alert.sender,
        "created_at": alert.created_at,
        "members": alert.members_count,
        "numbers": alert.numbers_count,
        "segments": alert.segments,
        "cancelled_at": alert.cancelled_at,
    }


_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/AlertIn"}},
            "application/cap+xml": {"schema": {"type": "string", "description": "document OASIS CAP 1.2"}},
        },
    }
}


@router.post(
    "/alerts",
    status_code=202,
    response_model=None,
    openapi_extra=_BODY,
    responses={
        202: {"model": AlertAccepted, "description": "alerte enregistrée (ou retrouvée par sa clé)"},
        200: {"model": AlertPreviewOut, "description": "aperçu (dry_run) : rien n'est envoyé"},
        **responses(400, 401, 403, 409, 413, 415, 422, 503),
    },
)
async def post_alert(
    request: Request,
    response: Response,
    *,
    context: Context,
    identity: Sender,
    idempotency_key: Annotated[
        str | None, Header(alias="Idempotency-Key", min_length=1, max_length=200, pattern=r"^[!-~]+$")
    ] = None,
    dry_run: Annotated[bool, Query(description="aperçu sans envoi (aussi dans le corps JSON)")] = False,
) -> AlertAccepted | AlertPreviewOut:
    """Déposer une alerte (JSON ou CAP 1.2). 202 une fois enregistrée ; avec ``Idempotency-Key``, un nouvel
    essai renvoie la même alerte sans rien renvoyer aux adhérents."""
    body = await request.body()
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media in CAP:
        try:
            cap = parse_cap(body)
        except CapError as exc:
            raise ApiError(exc.status, "cap_invalid", str(exc), exc.field) from exc
        return await run_in_threadpool(_submit_cap, context, identity, cap, dry_run, response)
    try:
        payload = AlertIn.model_validate_json(body or b"null")
    except ValidationError as exc:
        raise RequestValidationError(exc.errors(include_url=False)) from exc
    alert = AlertRequest(
        text_fr=payload.text_fr,
        text_en=payload.text_en,
        sender=identity.owner,
        status=payload.status,
        msg_type=payload.type,
        references=payload.references,
        target=Target(
            zones=tuple(payload.target.zones),
            streets=tuple(payload.target.streets),
            categories=tuple(payload.target.categories),
            whole_territory=payload.target.whole_territory,
        ),
    )
    return await run_in_threadpool(_submit, context, alert, dry_run or payload.dry_run, idempotency_key, response)


def _submit_cap(
    context: ApiContext, identity: Identity, cap: CapAlert, dry_run: bool, response: Response
) -> AlertAccepted | AlertPreviewOut:
    references = None
    if cap.references:
        with context.read_sessions.begin() as session:
            for ref in cap.references:
                references = session.scalar(select(Alert.id).where(Alert.idempotency_key == ref.key))
                if references is not None:
                    break
        if references is None:
            raise ApiError(
                422,
                "unknown_reference",
                "aucune des alertes CAP référencées n'a été reçue par la passerelle (sender,identifier inconnus)",
                "references",
            )
    elif cap.msg_type is not AlertType.ALERT:
        raise ApiError(
            422, "cap_invalid", "une mise à jour (Update) ou une fin (Cancel) doit avoir <references>", "references"
        )
    alert = AlertRequest(
        text_fr=cap.text_fr,
        text_en=cap.text_en,
        sender=identity.owner,
        status=cap.status,
        msg_type=cap.msg_type,
        references=references,
        target=Target(
            zones=cap.zones, streets=cap.streets, categories=cap.categories, whole_territory=cap.whole_territory
        ),
    )
    # The CAP identifier is the natural de-duplication key, and how later CAP references find this alert.
    return _submit(context, alert, dry_run, cap.key, response)


def _submit(
    context: ApiContext, alert: AlertRequest, dry_run: bool, key: str | None, response: Response
) -> AlertAccepted | AlertPreviewOut:
    now = context.now()
    text, operators = context.config.text, context.config.operator_numbers
    if dry_run:
        with context.read_sessions.begin() as session:
            preview = preview_alert(
                session, alert, today=context.today(now), text_settings=text, operator_numbers=operators
            )
        response.status_code = 200
        return AlertPreviewOut(
            members=preview.members,
            numbers=preview.numbers,
            segments=preview.segments,
            total_segments=preview.total_segments,
            encoding=preview.encoding,
            text=preview.text,
            length=preview.length,
            ucs2_forced_by=list(preview.ucs2_forced_by),
            folded=[FoldOut(original=a, replacement=b) for a, b in preview.folded],
        )
    with context.sessions() as session:
        result = create_alert(
            session,
            context.outbox,
            alert,
            now=now,
            today=context.today(now),
            text_settings=text,
            operator_numbers=operators,
            idempotency_key=key,
        )
    location = f"/alerts/{result.alert_id}"
    response.headers["Location"] = location
    return AlertAccepted(
        id=result.alert_id,
        created=result.created,
        location=location,
        members=result.members,
        numbers=result.numbers,
        segments=result.segments,
        text=result.text,
    )


@router.get("/alerts", response_model=AlertPage, responses=responses(401, 403, 422, 503))
def list_recent(
    context: Context,
    _identity: Reader,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    before: Annotated[int | None, Query(ge=1, le=MAX_ID, description="alertes de numéro inférieur")] = None,
) -> AlertPage:
    """Les alertes récentes, la plus récente d'abord, par pages."""
    query = select(Alert).order_by(Alert.id.desc()).limit(limit)
    if before is not None:
        query = query.where(Alert.id < before)
    with context.read_sessions.begin() as session:
        alerts = session.scalars(query).all()
        items = [AlertSummary(**_summary(a)) for a in alerts]
    return AlertPage(items=items, next_before=items[-1].id if len(items) == limit else None)


@router.get("/alerts/{alert_id}", response_model=AlertOut, responses=responses(401, 403, 404, 422, 503))
def get_one(alert_id: AlertId, context: Context, _identity: Reader) -> AlertOut:
    """Une alerte, sa cible et sa progression (messages par état, pourcentage terminé)."""
    with context.read_sessions.begin() as session:
        alert = get_alert(session, alert_id)
        progress = alert_progress(session, alert_id)
        return AlertOut(
            **_summary(alert),
            text_fr=alert.text_fr,
            text_en=alert.text_en,
            encoding=alert.encoding,
            target=TargetOut(
                zones=alert.target_zones,
                streets=[str(s) for s in alert.target_streets],
                categories=alert.target_categories,
                whole_territory=alert.whole_territory,
            ),
            cancelled_by=alert.cancelled_by,
            progress=ProgressOut(
                total=progress.total,
                queued=progress.queued,
                sending=progress.sending,
                sent=progress.sent,
                delivered=progress.delivered,
                failed=progress.failed,
                dead=progress.dead,
                cancelled=progress.cancelled,
                percent_done=progress.percent_done,
            ),
        )


@router.post("/alerts/{alert_id}/cancel", response_model=CancelOut, responses=responses(401, 403, 404, 422, 503))
def cancel(alert_id: AlertId, context: Context, identity: Sender) -> CancelOut:
    """Arrêter l'envoi : les messages pas encore partis ne partiront pas (journalisé)."""
    with context.sessions() as session:
        result = cancel_alert(session, context.outbox, alert_id, now=context.now(), actor=identity.owner)
    return CancelOut(id=result.alert_id, cancelled=result.cancelled, pending=result.pending)
