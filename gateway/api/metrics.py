"""Prometheus text exposition (format 0.0.4), written by hand: a few gauges and counters do not justify a
dependency. Pure: takes the figures, returns the text."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import timedelta

from gateway.dispatch.worker import WorkerStatus
from gateway.outbox.models import Priority
from gateway.outbox.states import MessageState

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _family(name: str, kind: str, help_text: str, samples: Iterable[tuple[Mapping[str, str], float]]) -> list[str]:
    lines = [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
    for labels, value in samples:
        inner = ",".join(f'{k}="{_label(v)}"' for k, v in labels.items())
        lines.append(f"{name}{{{inner}}} {value:g}" if inner else f"{name} {value:g}")
    return lines


def render(
    counts: Mapping[tuple[MessageState, Priority], int],
    oldest_queued: timedelta | None,
    modems: Sequence[WorkerStatus],
    errors: Mapping[str, int],
    *,
    database_up: bool,
    database_free_bytes: int | None = None,
) -> str:
    """The whole ``/metrics`` page."""
    messages = [
        ({"state": s.value, "priority": p.name.lower()}, float(counts.get((s, p), 0)))
        for s in MessageState
        for p in Priority
    ]
    lines = _family("vigicommerce_outbox_messages", "gauge", "Outbox messages by state and priority.", messages)
    lines += _family(
        "vigicommerce_outbox_oldest_queued_age_seconds",
        "gauge",
        "Age of the oldest message waiting to be sent (0 when none).",
        [({}, oldest_queued.total_seconds() if oldest_queued else 0.0)],
    )
    lines += _family(
        "vigicommerce_modem_up",
        "gauge",
        "1 when the modem is open and usable.",
        [({"modem": m.modem_id}, 1.0 if m.state == "open" else 0.0) for m in modems],
    )
    lines += _family(
        "vigicommerce_modem_signal_rssi",
        "gauge",
        "Signal quality 0-31 (AT+CSQ), absent when unknown.",
        [
            ({"modem": m.modem_id}, float(m.info.signal_rssi))
            for m in modems
            if m.info is not None and m.info.signal_rssi is not None
        ],
    )
    for field, help_text in (
        ("sent", "Messages the modem accepted since start-up."),
        ("failed", "Messages that failed for good on this modem since start-up."),
        ("retried", "Submits retried on this modem since start-up."),
    ):
        lines += _family(
            f"vigicommerce_modem_{field}_total",
            "counter",
            help_text,
            [({"modem": m.modem_id}, float(getattr(m, field))) for m in modems],
        )
    lines += _family(
        "vigicommerce_api_errors_total",
        "counter",
        "API error answers by code since start-up.",
        [({"code": code}, float(n)) for code, n in sorted(errors.items())],
    )
    lines += _family(
        "vigicommerce_database_up", "gauge", "1 when the database answered.", [({}, 1.0 if database_up else 0.0)]
    )
    if database_free_bytes is not None:  # SQLite only: a server's disk is watched on the server
        lines += _family(
            "vigicommerce_database_free_bytes",
            "gauge",
            "Free space on the SQLite database's disk.",
            [({}, float(database_free_bytes))],
        )
    return "\n".join(lines) + "\n"
