"""``/zones``, ``/streets``, ``/categories``: the names alerts and members are given, with member counts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from gateway.api.errors import responses
from gateway.api.security import Context, Reader
from gateway.usecases import reference
from gateway.usecases.reference import Entry

router = APIRouter(tags=["listes de référence"])


class EntryOut(BaseModel):
    """``id`` and ``name`` are both accepted wherever a zone, street or category is asked for; ``receiving``:
    establishments an alert sent today reaches; ``members``: all, whatever their status."""

    id: str
    name: str
    members: int
    receiving: int


class StreetOut(EntryOut):
    zone: str
    zone_name: str


class EntryList(BaseModel):
    items: list[EntryOut]


class StreetList(BaseModel):
    items: list[StreetOut]


def _out(entry: Entry) -> EntryOut:
    return EntryOut(id=entry.id, name=entry.name, members=entry.members, receiving=entry.receiving)


@router.get("/zones", response_model=EntryList, responses=responses(401, 403, 503))
def list_zones(context: Context, _identity: Reader) -> EntryList:
    """Les quartiers (zones d'alerte), avec leurs établissements."""
    return EntryList(items=[_out(e) for e in reference.zones(context.store, today=context.today())])


@router.get("/categories", response_model=EntryList, responses=responses(401, 403, 503))
def list_categories(context: Context, _identity: Reader) -> EntryList:
    """Les catégories d'activité, avec leurs établissements."""
    return EntryList(items=[_out(e) for e in reference.categories(context.store, today=context.today())])


@router.get("/streets", response_model=StreetList, responses=responses(401, 403, 422, 503))
def list_streets(
    context: Context,
    _identity: Reader,
    zone: Annotated[str | None, Query(max_length=160, description="quartier (nom ou identifiant)")] = None,
) -> StreetList:
    """Les rues, par quartier, avec leurs établissements."""
    found = reference.streets(context.store, today=context.today(), zone=zone)
    return StreetList(
        items=[
            StreetOut(
                id=e.id, name=e.name, members=e.members, receiving=e.receiving, zone=e.zone, zone_name=e.zone_name
            )
            for e in found
        ]
    )
