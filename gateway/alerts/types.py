"""Plain values crossing the alerts interface: the request, its target, preview, result and progress."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from gateway.alerts.models import AlertStatus, AlertType


@dataclass(frozen=True, slots=True)
class Target:
    """Who an alert is for; semantics in :mod:`gateway.registry.targeting` (place OR, categories AND)."""

    zones: Sequence[str] = ()
    streets: Sequence[str | int] = ()
    categories: Sequence[str] = ()
    whole_territory: bool = False


@dataclass(frozen=True, slots=True)
class AlertRequest:
    """An alert as the operator (or the alerting software) asks for it.

    ``references`` is the id of the alert an ``update`` or ``cancel`` refers to; their target is the
    original's recipients, so ``target`` is ignored for them. ``template`` and ``fields``: the template the texts
    were rendered from and the fields the operator gave (defaults such as the time left out), which identify a
    retried drop better than the texts do (a default time would differ).
    """

    text_fr: str
    sender: str
    text_en: str = ""
    target: Target = field(default_factory=Target)
    status: AlertStatus = AlertStatus.ACTUAL
    msg_type: AlertType = AlertType.ALERT
    references: int | None = None
    template: str | None = None
    fields: tuple[tuple[str, str], ...] = ()

    def fingerprint(self) -> str:
        """A hash of everything that makes two requests the same alert (for idempotency keys); for a template, the
        template and the fields given rather than the texts."""
        written: dict[str, object] = (
            {"template": self.template, "fields": sorted(self.fields)}
            if self.template is not None
            else {"text_fr": self.text_fr, "text_en": self.text_en}
        )
        body = {
            **written,
            "sender": self.sender,
            "status": self.status.value,
            "msg_type": self.msg_type.value,
            "references": self.references,
            "zones": sorted(self.target.zones),
            "streets": sorted(str(s) for s in self.target.streets),
            "categories": sorted(self.target.categories),
            "whole_territory": self.target.whole_territory,
        }
        return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Preview:
    """What sending would do, computed without writing anything."""

    members: int
    numbers: int
    segments: int
    encoding: str
    text: str
    length: int
    ucs2_forced_by: tuple[str, ...]
    folded: tuple[tuple[str, str], ...] = ()  # (character, replacement) the GSM folding changed

    @property
    def total_segments(self) -> int:
        """Segments the whole fan-out costs (modem time)."""
        return self.segments * self.numbers


@dataclass(frozen=True, slots=True)
class AlertResult:
    """A committed alert. ``created`` is False when an idempotency key returned an existing alert."""

    alert_id: int
    created: bool
    members: int
    numbers: int
    segments: int
    text: str


@dataclass(frozen=True, slots=True)
class AlertProgress:
    """Outbox rows of one alert per state; ``percent_done`` counts rows that left the queue for good
    (sent, delivered, failed, dead, cancelled) over all rows."""

    alert_id: int
    total: int
    queued: int
    sending: int
    sent: int
    delivered: int
    failed: int
    dead: int
    cancelled: int

    @property
    def percent_done(self) -> float:
        if self.total == 0:
            return 100.0
        return round(100.0 * (self.total - self.queued - self.sending) / self.total, 1)
