"""``/members``: the register of establishments — search, one establishment, create, update, renew, withdraw,
rejoin, spreadsheet in (CSV or .xlsx) and out; each route calls one use case of :mod:`gateway.usecases.members`."""

from __future__ import annotations

import io
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from gateway.api.context import ApiContext
from gateway.api.errors import ApiError, responses
from gateway.api.schemas import Phone, Ref, Short, StrictModel
from gateway.api.security import Context, MemberManager, Reader
from gateway.auth.tokens import Identity
from gateway.registry.models import MemberStatus
from gateway.registry.records import MemberInput
from gateway.usecases import members
from gateway.usecases.members import MemberView

router = APIRouter(tags=["adhérents"])
Siren = Annotated[
    str,
    Path(
        pattern=r"^[0-9]{9}([0-9]{5})?$",
        description="SIRET de l'établissement (14 chiffres), ou SIREN (9) s'il est le seul de son entreprise "
        "ou le seul sans SIRET",
    ),
]
EARLIEST = date(1990, 1, 1)
SHEET_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                "schema": {"type": "string", "format": "binary"}
            },
        },
    }
}


class PhoneOut(BaseModel):
    e164: str
    withdrawn: bool
    receives_alerts: bool
    state: str  # in French, as operators read it


class MemberOut(BaseModel):
    key: str
    siren: str
    siret: str | None
    name: str
    category: str
    zone: str
    street: str
    address: str
    contact: str
    phones: list[PhoneOut]
    registered_on: date
    expires_on: date
    status: MemberStatus
    status_label: str  # in French
    receives_alerts: bool  # an alert sent today reaches it
    not_receiving_because: str  # in French, empty when it receives alerts
    consent_at: datetime | None
    withdrawn_at: datetime | None


class MemberList(BaseModel):
    items: list[MemberOut]


class MemberCreate(StrictModel):
    """An establishment: its SIRET (the SIREN is its first nine digits), or a SIREN alone for an establishment
    whose SIRET is not known."""

    siren: Annotated[str, Field(max_length=11, pattern=r"^[0-9 ]*$")] = ""
    siret: Annotated[str, Field(max_length=17, pattern=r"^[0-9 ]*$")] = ""
    name: Annotated[Short, Field(min_length=1)]
    category: Ref
    zone: Ref
    street: Short = ""
    address: Short = ""
    contact: Short = ""
    phones: list[Phone] = Field(min_length=1, max_length=10)
    registered_on: date = Field(ge=EARLIEST)


class MemberUpdate(StrictModel):
    """Only the fields given change; ``street: ""`` removes the street; ``siret`` gives an establishment known
    by SIREN only its SIRET (or corrects it: same SIREN)."""

    siret: Annotated[str, Field(min_length=14, max_length=17, pattern=r"^[0-9 ]+$")] | None = None

    name: Annotated[Short, Field(min_length=1)] | None = None
    category: Ref | None = None
    zone: Ref | None = None
    street: Short | None = None
    address: Short | None = None
    contact: Short | None = None
    phones: list[Phone] | None = Field(None, min_length=1, max_length=10)
    registered_on: date | None = Field(None, ge=EARLIEST)


class WithdrawIn(StrictModel):
    reason: Short = ""


class RejoinIn(StrictModel):
    """A re-admission through the CCISM: the date of the new signed consent, and the numbers to take back
    (a number that said STOP comes back only when listed)."""

    consent_on: date = Field(ge=EARLIEST)
    numbers: list[Phone] = Field(default_factory=list, max_length=10)


class RenewOut(MemberOut):
    old_expires_on: date
    renewed: bool  # False: already renewed today, nothing done (``force=true`` to renew again)


class RowErrorOut(BaseModel):
    line: int
    siren: str  # the row's SIRET or SIREN as written
    reason: str


class ImportOut(BaseModel):
    format: str  # what was read: "xlsx", or "csv <encoding> <separator>"
    total: int
    created: int
    updated: int
    unchanged: int
    committed: bool
    dry_run: bool
    errors: list[RowErrorOut]


def member_out(member: MemberView) -> MemberOut:
    return MemberOut(
        key=member.key,
        siren=member.siren,
        siret=member.siret,
        name=member.name,
        category=member.category,
        zone=member.zone,
        street=member.street or "",
        address=member.address,
        contact=member.contact,
        phones=[
            PhoneOut(
                e164=p.e164, withdrawn=p.withdrawn_at is not None, receives_alerts=p.receives_alerts, state=p.state
            )
            for p in member.phones
        ],
        registered_on=member.registered_on,
        expires_on=member.expires_on,
        status=member.status,
        status_label=member.status_label,
        receives_alerts=member.receives_alerts,
        not_receiving_because=member.not_receiving_because,
        consent_at=member.consent_at,
        withdrawn_at=member.withdrawn_at,
    )


def _not_future(day: date | None, context: ApiContext) -> None:
    if day is not None and day > context.today():
        raise ApiError(422, "invalid_field", "date d'inscription dans le futur", "registered_on")


@router.get("/members", response_model=MemberList, responses=responses(401, 403, 422, 503))
def list_members(  # noqa: PLR0917 - query parameters are declared as parameters
    context: Context,
    _identity: Reader,
    q: Annotated[str | None, Query(max_length=200, description="texte dans le nom ou le contact")] = None,
    siren: Annotated[
        str | None, Query(max_length=17, pattern=r"^[0-9 ]*$", description="début du SIREN ou du SIRET")
    ] = None,
    phone: Annotated[str | None, Query(max_length=40)] = None,
    zone: Annotated[str | None, Query(max_length=160, description="quartier (nom ou identifiant)")] = None,
    status: MemberStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> MemberList:
    """Chercher des établissements (tous les critères donnés doivent correspondre), triés par nom."""
    found = members.search(
        context.store,
        today=context.today(),
        settings=context.registry_settings(),
        text=q,
        siren=siren,
        phone=phone,
        zone=zone,
        status=status,
        limit=limit,
    )
    return MemberList(items=[member_out(m) for m in found])


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get(
    "/members/export",
    response_class=Response,
    responses={
        200: {
            "content": {"text/csv": {"schema": {"type": "string"}}, XLSX: {"schema": {"type": "string"}}},
            "description": "au format d'import, avec statut, échéance et état de chaque numéro",
        },
        **responses(401, 403, 422, 503),
    },
)
def export(
    context: Context,
    _identity: Reader,
    status: list[MemberStatus] | None = Query(None),  # noqa: B008
    format: Literal["csv", "xlsx"] = "csv",
) -> Response:
    """Tous les établissements (ou ceux des statuts donnés), au format d'import : CSV ou classeur .xlsx."""
    buffer = io.BytesIO()
    members.export_register(
        context.store, buffer, fmt=format, statuses=status, today=context.today(), tz=context.config.hours.tz
    )
    media = "text/csv; charset=utf-8" if format == "csv" else XLSX
    return Response(
        buffer.getvalue(),
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="adherents.{format}"'},
    )


@router.post(
    "/members/import",
    response_model=ImportOut,
    openapi_extra=SHEET_BODY,
    responses=responses(400, 401, 403, 413, 415, 422, 503),
)
async def import_csv(
    request: Request,
    context: Context,
    identity: MemberManager,
    dry_run: bool = False,
    partial: Annotated[bool, Query(description="importer les lignes valides, signaler les autres")] = False,
) -> ImportOut:
    """Importer un tableur (corps text/csv tel qu'Excel l'écrit, ou classeur .xlsx) : tout ou rien, sauf
    ``partial`` ; ``dry_run`` vérifie sans écrire."""
    data = await request.body()
    if not data:
        raise ApiError(422, "invalid_field", "corps vide : envoyez le fichier CSV ou .xlsx", None)
    return await run_in_threadpool(_import, context, identity, data, dry_run, partial)


def _import(context: ApiContext, identity: Identity, data: bytes, dry_run: bool, partial: bool) -> ImportOut:
    now = context.now()
    report = members.import_register(
        context.store,
        data,
        source="import-http",
        actor=identity.owner,
        now=now,
        today=context.today(now),
        settings=context.registry_settings(),
        dry_run=dry_run,
        partial=partial,
    )
    if report.errors and not report.committed and not dry_run:
        first = report.errors[0]
        raise ApiError(
            422,
            "import_rejected",
            f"{len(report.errors)} ligne(s) en erreur, rien n'est importé ; première : {first}",
            "body",
        )
    return ImportOut(
        format=report.format,
        total=report.total,
        created=report.created,
        updated=report.updated,
        unchanged=report.unchanged,
        committed=report.committed,
        dry_run=dry_run,
        errors=[RowErrorOut(line=e.line, siren=e.siren, reason=e.reason) for e in report.errors],
    )


@router.get("/members/{siren}", response_model=MemberOut, responses=responses(401, 403, 404, 422, 503))
def get_one(siren: Siren, context: Context, _identity: Reader) -> MemberOut:
    """Un établissement par son SIRET (ou son SIREN)."""
    return member_out(members.show(context.store, siren, today=context.today()))


@router.post(
    "/members", status_code=201, response_model=MemberOut, responses=responses(400, 401, 403, 409, 413, 415, 422, 503)
)
def create(body: MemberCreate, context: Context, identity: MemberManager) -> MemberOut:
    """Inscrire un adhérent (SIREN, catégorie, zone, rue, numéros vérifiés) ; journalisé."""
    _not_future(body.registered_on, context)
    if not body.siren.strip() and not body.siret.strip():
        raise ApiError(422, "invalid_field", "SIRET manquant : donnez le SIRET (ou à défaut le SIREN)", "siret")
    data = MemberInput(
        siren=body.siren,
        siret=body.siret,
        name=body.name,
        category=body.category,
        zone=body.zone,
        street=body.street,
        address=body.address,
        contact=body.contact,
        phones=body.phones,
        registered_on=body.registered_on,
    )
    now = context.now()
    created = members.create(
        context.store,
        data,
        actor=identity.owner,
        now=now,
        today=context.today(now),
        settings=context.registry_settings(),
    )
    return member_out(created)


@router.patch("/members/{siren}", response_model=MemberOut, responses=responses(400, 401, 403, 404, 413, 415, 422, 503))
def update(siren: Siren, body: MemberUpdate, context: Context, identity: MemberManager) -> MemberOut:
    """Modifier les champs donnés d'un adhérent ; journalisé."""
    _not_future(body.registered_on, context)
    changes: dict[str, Any] = body.model_dump(exclude_unset=True)
    if any(changes.get(k, "") is None for k in changes):
        raise ApiError(
            422,
            "invalid_field",
            "null n'est pas une valeur ; omettez le champ pour le garder",
            next(k for k, v in changes.items() if v is None),
        )
    now = context.now()
    updated = members.update(
        context.store,
        siren,
        changes,
        actor=identity.owner,
        now=now,
        today=context.today(now),
        settings=context.registry_settings(),
    )
    return member_out(updated)


@router.post("/members/{siren}/renew", response_model=RenewOut, responses=responses(401, 403, 404, 409, 422, 503))
def renew_one(
    siren: Siren,
    context: Context,
    identity: MemberManager,
    force: Annotated[bool, Query(description="renouveler encore même s'il l'a déjà été aujourd'hui")] = False,
) -> RenewOut:
    """Prolonger l'inscription de la durée réglementaire, une fois par jour (sauf ``force``) ; journalisé."""
    now = context.now()
    renewal = members.renew(
        context.store,
        siren,
        actor=identity.owner,
        now=now,
        today=context.today(now),
        settings=context.registry_settings(),
        force=force,
    )
    return RenewOut(
        **member_out(renewal.member).model_dump(), old_expires_on=renewal.old_expires_on, renewed=renewal.renewed
    )


@router.post(
    "/members/{siren}/withdraw", response_model=MemberOut, responses=responses(400, 401, 403, 404, 413, 415, 422, 503)
)
def withdraw(
    siren: Siren, context: Context, identity: MemberManager, body: Annotated[WithdrawIn | None, Body()] = None
) -> MemberOut:
    """Retirer un établissement : plus aucun message vers ses numéros, dès maintenant ; journalisé."""
    now = context.now()
    change = members.withdraw(
        context.store,
        siren,
        actor=identity.owner,
        now=now,
        today=context.today(now),
        reason=body.reason if body else "",
    )
    return member_out(change.member)


@router.post(
    "/members/{siren}/rejoin",
    response_model=MemberOut,
    responses=responses(400, 401, 403, 404, 409, 413, 415, 422, 503),
)
def rejoin(siren: Siren, body: RejoinIn, context: Context, identity: MemberManager) -> MemberOut:
    """Réinscrire un établissement retiré (nouvelle inscription datée du consentement) ou des numéros qui ont
    dit STOP (seulement ceux cités) ; journalisé."""
    now = context.now()
    member = members.rejoin(
        context.store,
        siren,
        consent_on=body.consent_on,
        numbers=body.numbers,
        actor=identity.owner,
        now=now,
        today=context.today(now),
        settings=context.registry_settings(),
    )
    return member_out(member)
