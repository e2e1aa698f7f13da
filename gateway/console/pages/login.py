"""Signing in (``/console/connexion``, fields ``username`` and ``password``) and out (``/console/deconnexion``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from gateway.console.auth import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    ReaderForm,
    clear_cookie,
    client_address,
    context_of,
    current,
    new_login_token,
    same_token,
    set_cookie,
)
from gateway.console.pages.common import render
from gateway.console.urls import href
from gateway.console.web import Flash, local, zone_name
from gateway.usecases import users

router = APIRouter()
HOME = "/console/"


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a console path only (never another site: ``//evil`` or ``https://…``)."""
    if target and target.startswith("/console/") and not target.startswith("//") and "\\" not in target:
        return target
    return HOME


def _form(request: Request, suite: str, flash: Flash | None, username: str = "", status: int = 200) -> Response:
    token = request.cookies.get(LOGIN_COOKIE) or new_login_token()
    response = render(
        request,
        "login.html",
        None,
        {"title": "Connexion", "login_token": token, "suite": safe_next(suite), "flash": flash, "username": username},
        status_code=status,
    )
    set_cookie(response, request, LOGIN_COOKIE, token)
    return response


@router.get("/connexion", name="login_page")
def login_page(request: Request, suite: str = "", deconnecte: str = "") -> Response:
    if current(request) is not None:
        return RedirectResponse(safe_next(suite), status_code=303)
    flash = Flash("ok", "Vous êtes déconnecté.") if deconnecte else None
    return _form(request, suite, flash)


@router.post("/connexion", name="login")
def login(
    request: Request,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
    suite: Annotated[str, Form()] = "",
) -> Response:
    if not same_token(csrf, request.cookies.get(LOGIN_COOKIE, "")):
        flash = Flash("error", "Formulaire expiré : la page de connexion a été rechargée, recommencez.")
        return _form(request, suite, flash, username, status=403)
    if not username.strip() or not password:
        flash = Flash("error", "Indiquez votre nom d'utilisateur et votre mot de passe.")
        return _form(request, suite, flash, username, 400)
    context = context_of(request)
    result = users.log_in(context.store, username, password, client_address(request), now=context.now())
    if result.token is None:
        if result.lock is not None:
            tz = context.config.hours.tz
            until = local(result.lock.until, tz, "%H:%M")
            who = "ce nom d'utilisateur" if result.lock.by == "name" else "cet ordinateur"
            text = (
                f"Trop d'essais refusés : connexion bloquée pour {who} jusqu'à {until} ({zone_name(tz)}). "
                "Réessayez ensuite, ou demandez à l'administrateur de changer votre mot de passe."
            )
            return _form(request, suite, Flash("error", text), username, 429)
        return _form(request, suite, Flash("error", "Nom d'utilisateur ou mot de passe incorrect."), username, 401)
    response = RedirectResponse(safe_next(suite), status_code=303)
    set_cookie(response, request, SESSION_COOKIE, result.token)
    clear_cookie(response, request, LOGIN_COOKIE)
    return response


@router.post("/deconnexion", name="logout")
def logout(request: Request, _identity: ReaderForm) -> Response:
    context = context_of(request)
    token = request.cookies.get(SESSION_COOKIE, "")
    users.log_out(context.store, token, now=context.now())
    response = RedirectResponse(f"{href(request, 'login_page')}?deconnecte=1", status_code=303)
    clear_cookie(response, request, SESSION_COOKIE)
    return response
