"""Bearer-token authentication and role checks, as FastAPI dependencies.

``require(Permission.SEND)`` gives the route the caller's :class:`~gateway.auth.tokens.Identity`; its
``owner`` is the actor of every audit row the request writes. When ``http.require_tokens`` is false
(loopback only, the server refuses anything else), a request without a token acts as ``http-local``
with the admin role; a token, when given, is still checked and names the caller.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from gateway.api.context import ApiContext
from gateway.api.errors import ApiError
from gateway.auth.roles import ROLE_LABELS_FR, Permission, Role, allows, roles_granting
from gateway.auth.tokens import Identity, verify_token

LOCAL_ACTOR = "http-local"
bearer = HTTPBearer(auto_error=False, description="jeton créé par `vigicommerce tokens create`")
_CHALLENGE = {"WWW-Authenticate": "Bearer"}


def context_of(request: Request) -> ApiContext:
    context: ApiContext = request.app.state.context
    return context


Context = Annotated[ApiContext, Depends(context_of)]
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


def authenticate(request: Request, credentials: Credentials) -> Identity:
    """The caller, or 401 with what to do."""
    context = context_of(request)
    if credentials is None:
        if request.headers.get("authorization"):
            raise ApiError(
                401,
                "unauthenticated",
                "en-tête Authorization illisible ; écrivez « Bearer <jeton> »",
                "Authorization",
                _CHALLENGE,
            )
        if not context.config.http.require_tokens:
            return Identity(LOCAL_ACTOR, Role.ADMIN, "-")
        raise ApiError(
            401,
            "unauthenticated",
            "jeton manquant ; ajoutez l'en-tête « Authorization: Bearer <jeton> » "
            "(jeton créé par `vigicommerce tokens create`)",
            "Authorization",
            _CHALLENGE,
        )
    with context.read_sessions.begin() as session:
        identity = verify_token(session, credentials.credentials)
    if identity is None:
        raise ApiError(
            401,
            "unauthenticated",
            "jeton inconnu ou révoqué ; demandez un nouveau jeton à l'administrateur",
            "Authorization",
            _CHALLENGE,
        )
    return identity


def require(permission: Permission) -> Callable[..., Identity]:
    """A dependency that lets through only the roles granting ``permission`` (403 otherwise)."""

    def dependency(identity: Annotated[Identity, Depends(authenticate)]) -> Identity:
        if not allows(identity.role, permission):
            needed = ", ".join(f"{r.value} ({ROLE_LABELS_FR[r]})" for r in roles_granting(permission))
            raise ApiError(
                403,
                "forbidden",
                f"le jeton de « {identity.owner} » a le rôle {identity.role.value} "
                f"({ROLE_LABELS_FR[identity.role]}) ; cette action demande le rôle {needed}",
                "Authorization",
            )
        return identity

    return dependency


Reader = Annotated[Identity, Depends(require(Permission.READ))]
Sender = Annotated[Identity, Depends(require(Permission.SEND))]
MemberManager = Annotated[Identity, Depends(require(Permission.MANAGE_MEMBERS))]
