"""``create_app(context)``: the FastAPI application, with its error format, body limits and routers."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from gateway.api.context import ApiContext
from gateway.api.errors import install_handlers
from gateway.api.limits import BodyLimits
from gateway.api.routes import alerts, health, members, messages, observe, reference
from gateway.console.app import create_console

TITLE = "Passerelle SMS Vigicommerce"
VERSION = "1.0.0"
DESCRIPTION = (
    "API locale de la passerelle d'alertes SMS de la gendarmerie de Saint-Martin. Authentification : "
    "`Authorization: Bearer <jeton>` (jetons créés par `vigicommerce tokens create`, rôles alerts, members, "
    'read, admin). Toute erreur a la forme `{"error": {"code", "message", "field"}}`.'
)
# Bodies read by hand (JSON or CAP on one endpoint): their schemas are added to the document explicitly.
EXTRA_SCHEMAS: tuple[type[BaseModel], ...] = (alerts.AlertIn,)


def create_app(context: ApiContext) -> FastAPI:
    """The API over ``context``; no modem, thread or socket is started here."""
    app = FastAPI(title=TITLE, version=VERSION, description=DESCRIPTION)
    app.state.context = context
    install_handlers(app, context.errors)
    app.add_middleware(
        BodyLimits,
        max_bytes=context.config.http.max_body_bytes,
        counter=context.errors,
        chunk_timeout=context.body_timeout_seconds,
    )
    for module in (alerts, messages, members, reference, observe, health):
        app.include_router(module.router)
    app.mount("/console", create_console(context), name="console")

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_openapi(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


def build_openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document plus the schemas of hand-read bodies."""
    document = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    _, extra = models_json_schema(
        [(m, "validation") for m in EXTRA_SCHEMAS], ref_template="#/components/schemas/{model}"
    )
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for name, schema in extra.get("$defs", {}).items():
        schemas.setdefault(name, schema)
    return document
