"""The console's templates: one Jinja2 environment (autoescaped), its filters, and ``render``.

Times are stored in UTC and shown in the station's time zone (``[hours] timezone``, America/Marigot): ``local``
gives ``28/11/2026 14:05``, for tables whose caption names the zone (``zone_caption``); ``local_zone`` adds the
zone, for a time standing alone in a sentence. Numbers are written the French way (``12 345``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context
from starlette.responses import HTMLResponse

from gateway.console.nav import sections_for
from gateway.console.urls import href
from gateway.usecases.users import Identity

HERE = Path(__file__).resolve().parent
NBSP = "\u202f"  # narrow no-break space: French thousands separator and before « % »


@dataclass(frozen=True, slots=True)
class Flash:
    """A message at the top of a page: ``kind`` is ``ok``, ``warning`` or ``error``."""

    kind: str
    text: str


def zone_name(tz: tzinfo) -> str:
    return str(getattr(tz, "key", None) or tz)


def local(moment: datetime | None, tz: tzinfo, pattern: str = "%d/%m/%Y %H:%M") -> str:
    if moment is None:
        return ""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(tz).strftime(pattern)


def number(value: int | float | None) -> str:
    """``12 345`` (a narrow no-break space between thousands), ``12,5`` for a fraction."""
    if value is None:
        return ""
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}".replace(",", NBSP).replace(".", ",")
    return f"{int(value):,}".replace(",", NBSP)


def percent(value: float | None) -> str:
    if value is None:
        return ""
    return f"{number(round(value, 1))}{NBSP}%"


def duration(seconds: float | None) -> str:
    """``45 s``, ``3 min``, ``1 h 20 min``: how long something will take, as operators say it."""
    if seconds is None:
        return ""
    total = round(seconds)
    if total < 60:
        return f"{total}{NBSP}s"
    minutes = round(total / 60)
    if minutes < 60:
        return f"{minutes}{NBSP}min"
    return f"{minutes // 60}{NBSP}h{NBSP}{minutes % 60:02d}"


@pass_context
def _href(context: Context, name: str, **params: Any) -> str:
    return href(context["request"], name, **params)


class Templates:
    """The console's Jinja2 environment; ``tz`` comes from the configuration in force at each render."""

    def __init__(self) -> None:
        self.templates = Jinja2Templates(directory=HERE / "templates")
        env = self.templates.env
        env.filters["number"] = number
        env.filters["percent"] = percent
        env.filters["duration"] = duration
        env.globals["href"] = _href
        env.trim_blocks = True
        env.lstrip_blocks = True

    def render(
        self,
        request: Request,
        name: str,
        identity: Identity | None,
        tz: tzinfo,
        context: Mapping[str, Any] | None = None,
        *,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> HTMLResponse:
        """``name`` rendered with ``context`` plus what every page needs: the user, the navigation, the zone."""

        def local_filter(moment: datetime | None) -> str:
            return local(moment, tz)

        def local_zone(moment: datetime | None) -> str:
            shown = local(moment, tz)
            return f"{shown} ({zone_name(tz)})" if shown else ""

        def time_only(moment: datetime | None) -> str:
            return local(moment, tz, "%H:%M")

        values: dict[str, Any] = {
            "identity": identity,
            "nav": sections_for(request, identity) if identity is not None else [],
            "zone": zone_name(tz),
            "zone_caption": f"heures locales ({zone_name(tz)})",
            "local": local_filter,
            "local_zone": local_zone,
            "hm": time_only,
            "now_local": local(datetime.now(UTC), tz),
            **(context or {}),
        }
        response = self.templates.TemplateResponse(request, name, values, status_code=status_code)
        for key, value in (headers or {}).items():
            response.headers[key] = value
        return response
