"""The API's one error format, ``{"error": {"code", "message", "field"}}``, and the mapping of every error.

Messages are in French for operators; ``code`` is stable for programs; ``field`` names the offending
input (``target.zones``, ``text_fr``, ``phones.0``, a header or a query parameter) or is null.
Domain errors raised before any commit map to 4xx, so "nothing written" holds by construction.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from gateway.alerts.errors import (
    AlertError,
    AlertNotFoundError,
    IdempotencyConflictError,
    NoRecipientsError,
    TextTooLongError,
)
from gateway.api.context import ErrorCounter
from gateway.auth.tokens import AuthError
from gateway.outbox.errors import OutboxError
from gateway.printable import UnprintableTextError
from gateway.registry.errors import (
    AmbiguousMemberError,
    InvalidPhoneError,
    InvalidSirenError,
    InvalidTargetError,
    InvalidTransitionError,
    MemberNotFoundError,
    RegistryError,
    UnknownReferenceError,
)
from gateway.storage.errors import StorageError

log = logging.getLogger(__name__)


class ErrorDetail(BaseModel):
    code: str
    message: str
    field: str | None = None


class ErrorBody(BaseModel):
    """Every 4xx and 5xx answer of the API."""

    error: ErrorDetail


class ApiError(Exception):
    """An error the routes raise on purpose; rendered in the error format."""

    def __init__(
        self, status: int, code: str, message: str, field: str | None = None, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field
        self.headers = dict(headers or {})


def error_json(
    status: int, code: str, message: str, field: str | None = None, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "field": field}}
    return JSONResponse(body, status_code=status, headers=dict(headers or {}))


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for error statuses, all with the error schema."""
    return {status: {"model": ErrorBody, "description": DESCRIPTIONS.get(status, "erreur")} for status in statuses}


DESCRIPTIONS = {
    400: "requête illisible (JSON ou XML mal formé, texte non UTF-8)",
    401: "jeton absent, inconnu ou révoqué",
    403: "le rôle du jeton ne permet pas cette action",
    404: "ressource introuvable",
    408: "client trop lent à envoyer sa requête",
    409: "conflit (clé d'idempotence réutilisée, transition impossible)",
    413: "corps de requête trop gros",
    415: "type de contenu non accepté",
    422: "donnée refusée : le champ « field » dit laquelle et le message pourquoi",
    503: "base de données indisponible",
}

_PYDANTIC_FR = {
    "string_pattern_mismatch": "format non permis",
    "missing": "champ obligatoire manquant",
    "extra_forbidden": "champ inconnu (vérifiez son orthographe)",
    "string_type": "une chaîne de caractères est attendue",
    "int_type": "un nombre entier est attendu",
    "int_parsing": "un nombre entier est attendu",
    "bool_type": "vrai ou faux (true/false) est attendu",
    "bool_parsing": "vrai ou faux (true/false) est attendu",
    "list_type": "une liste est attendue",
    "model_attributes_type": "un objet JSON est attendu",
    "dict_type": "un objet JSON est attendu",
    "enum": "valeur non permise",
    "literal_error": "valeur non permise",
    "date_from_datetime_parsing": "date attendue au format AAAA-MM-JJ",
    "date_parsing": "date attendue au format AAAA-MM-JJ",
    "date_type": "date attendue au format AAAA-MM-JJ",
}


def _field(loc: Sequence[int | str]) -> str | None:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:]
    return ".".join(parts) or None


def _validation_message(item: Mapping[str, Any]) -> str:
    kind = str(item.get("type", ""))
    ctx = item.get("ctx") or {}
    if kind in ("string_too_long", "too_long"):
        return f"trop long (au plus {ctx.get('max_length', '?')})"
    if kind in ("string_too_short", "too_short"):
        return f"trop court (au moins {ctx.get('min_length', '?')})"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        return f"valeur hors limites ({item.get('msg', '')})"
    if kind == "value_error" and "error" in ctx:  # our own validators' French message (unprintable text ...)
        return str(ctx["error"])
    if kind in ("enum", "literal_error") and "expected" in ctx:
        return f"valeur non permise ; valeurs possibles : {ctx['expected']}"
    return _PYDANTIC_FR.get(kind, f"valeur refusée ({item.get('msg', kind)})")


def _reference_field(exc: UnknownReferenceError, path: str) -> str:
    kind = "street" if exc.kind.startswith("rue") else "category" if exc.kind.startswith("cat") else "zone"
    if path.startswith("/alerts"):
        return {"zone": "target.zones", "street": "target.streets", "category": "target.categories"}[kind]
    return kind


def domain_error(exc: Exception, request: Request) -> tuple[int, str, str | None]:
    """(status, code, field) for an error of a domain package."""
    path, method = request.url.path, request.method
    table: list[tuple[type[Exception], int, str, str | None]] = [
        (IdempotencyConflictError, 409, "idempotency_conflict", "Idempotency-Key"),
        (TextTooLongError, 422, "text_too_long", "text" if path.startswith("/messages") else "text_fr"),
        (NoRecipientsError, 422, "no_recipients", "target"),
        (InvalidTargetError, 422, "invalid_target", "target"),
        (AmbiguousMemberError, 422, "siret_required", "siret"),
        (InvalidPhoneError, 422, "invalid_phone", "recipients" if path.startswith("/messages") else "phones"),
        (MemberNotFoundError, 404, "member_not_found", None),
        (InvalidTransitionError, 409, "invalid_transition", None),
        (UnprintableTextError, 422, "unprintable_text", None),
    ]
    if isinstance(exc, InvalidSirenError):
        table.insert(0, (InvalidSirenError, 422, f"invalid_{exc.kind.lower()}", exc.kind.lower()))
    if isinstance(exc, UnknownReferenceError):
        return 422, "unknown_reference", _reference_field(exc, path)
    if isinstance(exc, AlertNotFoundError):
        if method == "POST" and path == "/alerts":
            return 422, "unknown_reference", "references"
        return 404, "alert_not_found", None
    for kind, status, code, field in table:
        if isinstance(exc, kind):
            return status, code, field or getattr(exc, "field", None)
    if isinstance(exc, AlertError):
        return 422, "invalid_alert", None
    return 422, "invalid_input", None


def install_handlers(app: FastAPI, counter: ErrorCounter) -> None:
    """Render every error in the format above and count it for the metrics."""

    def render(
        status: int, code: str, message: str, field: str | None, headers: Mapping[str, str] | None = None
    ) -> JSONResponse:
        counter.add(code)
        return error_json(status, code, message, field, headers)

    @app.exception_handler(ApiError)
    async def _api(_request: Request, exc: ApiError) -> JSONResponse:
        return render(exc.status, exc.code, exc.message, exc.field, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = list(exc.errors())
        first = errors[0] if errors else {}
        if first.get("type") == "json_invalid":
            reason = (first.get("ctx") or {}).get("error", "")
            return render(400, "json_invalid", f"JSON mal formé : {reason}".rstrip(" :"), None)
        field = _field(first.get("loc", ()))
        message = _validation_message(first)
        if len(errors) > 1:
            message += f" (et {len(errors) - 1} autre(s) erreur(s))"
        return render(422, "invalid_field", message, field)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed", 400: "bad_request"}.get(exc.status_code, "http_error")
        message = {
            404: "ressource introuvable ; voir /docs pour la liste des chemins",
            405: "méthode non permise sur ce chemin",
            400: "requête illisible",
        }.get(exc.status_code, str(exc.detail))
        return render(exc.status_code, code, message, None, getattr(exc, "headers", None))

    async def _domain(request: Request, exc: Exception) -> JSONResponse:
        status, code, field = domain_error(exc, request)
        return render(status, code, str(exc), field)

    for kind in (AlertError, RegistryError, AuthError, OutboxError, UnprintableTextError):
        app.add_exception_handler(kind, _domain)

    @app.exception_handler(StorageError)
    async def _storage(_request: Request, exc: StorageError) -> JSONResponse:
        log.error("storage error in an API request: %s", exc)
        return render(503, "storage_unavailable", f"base de données indisponible : {exc}", None)

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error in an API request", exc_info=exc)
        return render(500, "internal", "erreur interne ; consultez le journal de la passerelle", None)
