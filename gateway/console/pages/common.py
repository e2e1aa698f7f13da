"""What every page module uses: the request's context and rendering with the station's time zone."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import Request
from starlette.responses import HTMLResponse

from gateway.api.context import ApiContext
from gateway.console.auth import context_of
from gateway.console.web import Templates
from gateway.usecases.users import Identity


def render(
    request: Request,
    name: str,
    identity: Identity | None,
    context: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
) -> HTMLResponse:
    """``templates/<name>`` as a response, times in the station's zone (from the configuration in force)."""
    templates: Templates = request.app.state.templates
    return templates.render(
        request, name, identity, context_of(request).config.hours.tz, context, status_code=status_code
    )


def api_context(request: Request) -> ApiContext:
    return context_of(request)
