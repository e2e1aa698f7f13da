"""``POST /messages``: an operational SMS (not an alert) to numbers given by an operator or technician."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from gateway import audit
from gateway.alerts.compose import check_length
from gateway.api.errors import responses
from gateway.api.schemas import Message, Phone, StrictModel
from gateway.api.security import Context, Sender
from gateway.outbox.models import Priority
from gateway.outbox.types import NewMessage
from gateway.registry.phones import mask, parse_phone

router = APIRouter(tags=["messages"])


class MessageIn(StrictModel):
    recipients: list[Phone] = Field(min_length=1, max_length=100, description="numéros de portable")
    text: Message


class MessageAccepted(BaseModel):
    ids: list[int]
    numbers: int
    segments: int
    text: str


@router.post(
    "/messages", status_code=202, response_model=MessageAccepted, responses=responses(400, 401, 403, 413, 415, 422, 503)
)
def post_message(body: MessageIn, context: Context, identity: Sender) -> MessageAccepted:
    """Un SMS de service (priorité « opérationnel », après les alertes) ; journalisé."""
    reg = context.registry_settings()
    numbers: list[str] = []
    for raw in body.recipients:
        e164 = parse_phone(raw, default_region=reg.default_region, test_ranges=reg.test_ranges).e164
        if e164 not in numbers:
            numbers.append(e164)
    composed = check_length(body.text, context.config.text)
    now = context.now()
    with context.sessions.begin() as session:
        ids = context.outbox.enqueue(
            session, [NewMessage(recipient=n, text=composed.text, priority=Priority.OPERATIONAL) for n in numbers], now
        )
        audit.record(
            session,
            identity.owner,
            "message.operational",
            f"messages:{ids[0]}",
            len(ids),
            {"numbers": [mask(n) for n in numbers], "segments": composed.segments},
            now=now,
        )
    return MessageAccepted(ids=ids, numbers=len(ids), segments=composed.segments, text=composed.text)
