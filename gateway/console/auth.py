"""Who is signed in, what their role allows, and the CSRF check of every form.

The session cookie (``vigi_session``) holds a random token; the server keeps the session (``gateway.usecases.users``),
so signing out or disabling a user ends it at once. The cookie is ``HttpOnly`` (no script reads it),
``SameSite=Strict`` (no other site's page sends it) and ``Secure`` when the request came over HTTPS: directly, or
through a reverse proxy listed in ``[http] trusted_proxies`` whose ``X-Forwarded-Proto`` uvicorn believes (see
``gateway.api.server``); its path is ``/console``, so the API never sees it.

Every form carries the session's CSRF token in a hidden ``csrf`` field, checked before the route runs (the ``…Form``
dependencies below). The sign-in form, before any session exists, uses a double-submit value: a random cookie
(``vigi_login``) that the form must repeat.

A page's own periodic refresh (``X-Vigi-Refresh: 1``, sent by ``console.js``) does not count as the user's activity:
a screen left unattended still reaches the idle timeout.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from typing import Annotated, cast

from fastapi import Depends, Form, Request
from starlette.responses import Response

from gateway.api.context import ApiContext
from gateway.auth.roles import Permission, allows
from gateway.usecases import users
from gateway.usecases.users import Identity

SESSION_COOKIE = "vigi_session"
LOGIN_COOKIE = "vigi_login"
COOKIE_PATH = "/console"
REFRESH_HEADER = "x-vigi-refresh"
_UNSET = object()


class SignInRequiredError(Exception):
    """No open session: pages redirect to the sign-in page, fragments answer 401 (the script reloads the page)."""


class ForbiddenError(Exception):
    """The user's role does not allow this page or action."""

    def __init__(self, identity: Identity, permission: Permission) -> None:
        self.identity, self.permission = identity, permission
        super().__init__(f"{identity.name} ({identity.role.value}) may not {permission.value}")


class CsrfRefusedError(Exception):
    """A form came without the token of the session (another site's form, or a page older than the session)."""


def context_of(request: Request) -> ApiContext:
    context: ApiContext = request.app.state.context
    return context


def is_https(request: Request) -> bool:
    return request.url.scheme == "https"


def client_address(request: Request) -> str:
    """The client's address (the real one behind a trusted proxy: uvicorn rewrote it from X-Forwarded-For)."""
    return request.client.host if request.client is not None else "inconnue"


def is_refresh(request: Request) -> bool:
    return request.headers.get(REFRESH_HEADER) == "1"


def set_cookie(response: Response, request: Request, name: str, value: str) -> None:
    response.set_cookie(
        name, value, path=COOKIE_PATH, httponly=True, samesite="strict", secure=is_https(request), max_age=None
    )


def clear_cookie(response: Response, request: Request, name: str) -> None:
    response.delete_cookie(name, path=COOKIE_PATH, httponly=True, samesite="strict", secure=is_https(request))


def current(request: Request) -> Identity | None:
    """The signed-in user, or None; cached on the request."""
    cached = getattr(request.state, "identity", _UNSET)
    if cached is not _UNSET:
        return cast(Identity | None, cached)
    token = request.cookies.get(SESSION_COOKIE)
    identity = None
    if token:
        context = context_of(request)
        identity = users.identify(
            context.store,
            token,
            now=context.now(),
            idle=context.config.console.idle_timeout,
            activity=not is_refresh(request),
        )
    request.state.identity = identity
    return identity


def signed_in(request: Request) -> Identity:
    identity = current(request)
    if identity is None:
        raise SignInRequiredError
    return identity


def same_token(given: str, expected: str) -> bool:
    return bool(given) and hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def require(permission: Permission, *, form: bool = False) -> Callable[..., Identity]:
    """A dependency letting through the signed-in users whose role grants ``permission``; with ``form``, the
    request must also carry the session's CSRF token in its ``csrf`` field."""

    def check(identity: Identity) -> Identity:
        if not allows(identity.role, permission):
            raise ForbiddenError(identity, permission)
        return identity

    if not form:

        def page(identity: Annotated[Identity, Depends(signed_in)]) -> Identity:
            return check(identity)

        return page

    def posted(identity: Annotated[Identity, Depends(signed_in)], csrf: Annotated[str, Form()] = "") -> Identity:
        if not same_token(csrf, identity.csrf_token):
            raise CsrfRefusedError
        return check(identity)

    return posted


def new_login_token() -> str:
    return secrets.token_urlsafe(24)


Reader = Annotated[Identity, Depends(require(Permission.READ))]
Sender = Annotated[Identity, Depends(require(Permission.SEND))]
MemberManager = Annotated[Identity, Depends(require(Permission.MANAGE_MEMBERS))]
Admin = Annotated[Identity, Depends(require(Permission.ADMINISTER))]
ReaderForm = Annotated[Identity, Depends(require(Permission.READ, form=True))]
SenderForm = Annotated[Identity, Depends(require(Permission.SEND, form=True))]
MemberManagerForm = Annotated[Identity, Depends(require(Permission.MANAGE_MEMBERS, form=True))]
AdminForm = Annotated[Identity, Depends(require(Permission.ADMINISTER, form=True))]
