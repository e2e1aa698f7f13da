"""``/members``: the register — list and search, one member, create, update, renew, withdraw, CSV in and out."""

from __future__ import annotations

import io
import tempfile
from datetime import date, datetime
from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from gateway.api.context import ApiContext
from gateway.api.errors import ApiError, responses
from gateway.api.schemas import Phone, Ref, Short, StrictModel
from gateway.api.security import Context, MemberManager, Reader
from gateway.auth.tokens import Identity
from gateway.registry.csv_io import export_members, import_members
from gateway.registry.members import (
    create_member,
    get_member,
    renew,
    search_members,
    update_member,
    withdraw_member,
)
from gateway.registry.models import Member, MemberStatus
from gateway.registry.records import MemberInput

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
CSV_BODY = {"requestBody": {"required": True, "content": {"text/csv": {"schema": {"type": "string"}}}}}


class PhoneOut(BaseModel):
    e164: str
    withdrawn: bool


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


class RowErrorOut(BaseModel):
    line: int
    siren: str  # the row's SIRET or SIREN as written
    reason: str


class ImportOut(BaseModel):
    total: int
    created: int
    updated: int
    unchanged: int
    committed: bool
    dry_run: bool
    errors: list[RowErrorOut]


def member_out(member: Member) -> MemberOut:
    return MemberOut(
        key=member.key,
        siren=member.siren,
        siret=member.siret,
        name=member.name,
        category=member.category_id,
        zone=member.zone_id,
        street=member.street.name if member.street is not None else "",
        address=member.address,
        contact=member.contact,
        phones=[PhoneOut(e164=p.e164, withdrawn=p.withdrawn_at is not None) for p in member.phones],
        registered_on=member.registered_on,
        expires_on=member.expires_on,
        status=member.status,
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
    siren: Annotated[str | None, Query(max_length=11, pattern=r"^[0-9 ]*$", description="début du SIREN")] = None,
    phone: Annotated[str | None, Query(max_length=40)] = None,
    zone: Annotated[str | None, Query(max_length=160)] = None,
    status: MemberStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> MemberList:
    """Chercher des adhérents (tous les critères donnés doivent correspondre), triés par nom."""
    with context.read_sessions.begin() as session:
        found = search_members(
            session,
            text=q,
            siren=siren,
            phone=phone,
            zone=zone,
            status=status,
            limit=limit,
            settings=context.registry_settings(),
        )
        return MemberList(items=[member_out(m) for m in found])


@router.get(
    "/members/export",
    response_class=Response,
    responses={
        200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "CSV au format d'import"},
        **responses(401, 403, 422, 503),
    },
)
def export(context: Context, _identity: Reader, status: list[MemberStatus] | None = Query(None)) -> Response:  # noqa: B008
    """Tous les adhérents (ou ceux des statuts donnés), au format de l'import CSV."""
    buffer = io.StringIO()
    with context.read_sessions.begin() as session:
        export_members(session, buffer, statuses=status)
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="adherents.csv"'},
    )


@router.post(
    "/members/import",
    response_model=ImportOut,
    openapi_extra=CSV_BODY,
    responses=responses(400, 401, 403, 413, 415, 422, 503),
)
async def import_csv(
    request: Request,
    context: Context,
    identity: MemberManager,
    dry_run: bool = False,
    partial: Annotated[bool, Query(description="importer les lignes valides, signaler les autres")] = False,
) -> ImportOut:
    """Importer un CSV (corps text/csv) : tout ou rien, sauf ``partial`` ; ``dry_run`` vérifie sans écrire."""
    data = await request.body()
    if not data:
        raise ApiError(422, "invalid_field", "corps vide : envoyez le fichier CSV", None)
    return await run_in_threadpool(_import, context, identity, data, dry_run, partial)


def _import(context: ApiContext, identity: Identity, data: bytes, dry_run: bool, partial: bool) -> ImportOut:
    now = context.now()
    with tempfile.TemporaryDirectory(prefix="vigi-import-") as folder:
        # The import reads a file (and names it in the audit log): the upload becomes one, briefly.
        source = FilePath(folder) / "import-http.csv"
        source.write_bytes(data)
        with context.sessions() as session:
            report = import_members(
                session,
                source,
                today=context.today(now),
                now=now,
                actor=identity.owner,
                dry_run=dry_run,
                partial=partial,
                settings=context.registry_settings(),
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
    with context.read_sessions.begin() as session:
        return member_out(get_member(session, siren))


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
    with context.sessions.begin() as session:
        member = create_member(
            session, data, now=context.now(), actor=identity.owner, settings=context.registry_settings()
        )
        return member_out(member)


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
    with context.sessions.begin() as session:
        member = update_member(
            session, siren, now=context.now(), actor=identity.owner, settings=context.registry_settings(), **changes
        )
        session.expire(member, ["street"])  # street_id changed under the loaded relationship
        return member_out(member)


@router.post("/members/{siren}/renew", response_model=MemberOut, responses=responses(401, 403, 404, 409, 422, 503))
def renew_one(siren: Siren, context: Context, identity: MemberManager) -> MemberOut:
    """Prolonger l'inscription de la durée réglementaire ; journalisé."""
    now = context.now()
    with context.sessions.begin() as session:
        member = renew(
            session,
            siren,
            today=context.today(now),
            now=now,
            actor=identity.owner,
            settings=context.registry_settings(),
        )
        return member_out(member)


@router.post(
    "/members/{siren}/withdraw", response_model=MemberOut, responses=responses(400, 401, 403, 404, 413, 415, 422, 503)
)
def withdraw(
    siren: Siren, context: Context, identity: MemberManager, body: Annotated[WithdrawIn | None, Body()] = None
) -> MemberOut:
    """Retirer un adhérent : plus aucun message vers ses numéros, dès maintenant ; journalisé."""
    with context.sessions.begin() as session:
        member = withdraw_member(
            session, siren, now=context.now(), actor=identity.owner, reason=body.reason if body else ""
        )
        return member_out(member)
