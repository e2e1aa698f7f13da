"""``create_console(context)``: the console as an ASGI application, mounted at ``/console`` by ``gateway.api.app``.

Its own FastAPI application (no OpenAPI document: these are pages, not the API), sharing the API's context (the
database, the configuration in force, the modems' statuses), wrapped in :class:`~gateway.console.headers.SecureHeaders`.
Errors become French pages with the status they mean, never a stack trace.
"""

from __future__ import annotations

import logging
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp

from gateway.api.context import ApiContext
from gateway.auth.roles import ROLE_LABELS_FR, Permission, roles_granting
from gateway.console.auth import CsrfRefusedError, ForbiddenError, SignInRequiredError, context_of, current, is_refresh
from gateway.console.headers import SecureHeaders
from gateway.console.pages import dashboard, login
from gateway.console.urls import href
from gateway.console.web import HERE, Templates
from gateway.storage.errors import StorageError

log = logging.getLogger(__name__)
# Every page module; each has a ``router``.
PAGES = (login, dashboard)
ACTIONS_FR = {
    Permission.READ: "consulter la console",
    Permission.SEND: "envoyer des alertes ou des SMS",
    Permission.MANAGE_MEMBERS: "gérer les adhérents",
    Permission.ADMINISTER: "gérer les jetons et les comptes",
}


def create_console(context: ApiContext) -> ASGIApp:
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None, title="Console Vigicommerce")
    app.state.context = context
    app.state.templates = Templates()
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    for module in PAGES:
        app.include_router(module.router)
    _install_error_pages(app)
    return SecureHeaders(app)


def error_page(request: Request, status: int, title: str, message: str) -> Response:
    if is_refresh(request):
        return PlainTextResponse(message, status_code=status)
    templates: Templates = request.app.state.templates
    tz = context_of(request).config.hours.tz
    identity = current(request) if status != 503 else None
    return templates.render(
        request, "error.html", identity, tz, {"title": title, "message": message}, status_code=status
    )


def _install_error_pages(app: FastAPI) -> None:
    @app.exception_handler(SignInRequiredError)
    async def _sign_in(request: Request, _exc: SignInRequiredError) -> Response:
        if is_refresh(request):
            return PlainTextResponse("session terminée : reconnectez-vous", status_code=401)
        login = href(request, "login_page")
        if request.method != "GET":  # a form posted after the session ended: nothing was done
            return RedirectResponse(login, status_code=303)
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"{login}?suite={quote(target)}", status_code=303)

    @app.exception_handler(ForbiddenError)
    async def _forbidden(request: Request, exc: ForbiddenError) -> Response:
        needed = " ou ".join(f"{r.value} ({ROLE_LABELS_FR[r]})" for r in roles_granting(exc.permission))
        message = (
            f"Votre compte « {exc.identity.name} » a le rôle {exc.identity.role.value} "
            f"({exc.identity.role_label}), qui ne permet pas de {ACTIONS_FR[exc.permission]}. Il faut le rôle "
            f"{needed} : demandez-le à l'administrateur de la passerelle."
        )
        return error_page(request, 403, "Action non permise", message)

    @app.exception_handler(CsrfRefusedError)
    async def _csrf(request: Request, _exc: CsrfRefusedError) -> Response:
        message = (
            "Ce formulaire n'est plus valable (page ouverte avant votre dernière connexion, ou envoyée depuis un "
            "autre site). Rien n'a été fait : rechargez la page et recommencez."
        )
        return error_page(request, 403, "Formulaire expiré", message)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            return error_page(request, 404, "Page introuvable", "Cette page n'existe pas : revenez au tableau de bord.")
        if exc.status_code == 405:
            return error_page(request, 405, "Action impossible ici", "Cette adresse ne s'ouvre pas de cette façon.")
        return error_page(request, exc.status_code, "Requête refusée", str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, _exc: RequestValidationError) -> Response:
        return error_page(
            request, 400, "Requête illisible", "Un champ du formulaire manque ou est mal écrit ; rechargez la page."
        )

    @app.exception_handler(StorageError)
    async def _storage(request: Request, exc: StorageError) -> Response:
        log.error("storage error in a console request: %s", exc)
        return error_page(
            request, 503, "Base de données indisponible", f"La base de données ne répond pas ({exc}). Réessayez."
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error in a console request", exc_info=exc)
        return PlainTextResponse(
            "Erreur interne de la console ; consultez le journal de la passerelle.", status_code=500
        )
