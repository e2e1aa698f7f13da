"""``/metrics``: the figures read at each scrape (queue, modems, API errors, database) as Prometheus metric
families, gathered with the live histograms and counters of ``gateway.metrics`` and the process metrics, and
written by prometheus_client. Names and meanings: docs/metrics.md."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import timedelta

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector

from gateway import metrics as live
from gateway.dispatch.worker import WorkerStatus
from gateway.outbox.models import Priority
from gateway.outbox.states import MessageState

# The classic text format every Prometheus reads (our names need none of 1.0.0's escaping).
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4

# Process, platform and garbage-collector figures, built once: they read /proc and the interpreter at collect.
_RUNTIME: list[Collector] = [
    ProcessCollector(registry=None),
    PlatformCollector(registry=None),
    GCCollector(registry=CollectorRegistry()),  # its signature wants a registry: a throwaway one
]


class _Families(Collector):
    """Metric families computed for one scrape."""

    def __init__(self, families: list[Metric]) -> None:
        self._families = families

    def collect(self) -> Iterable[Metric]:
        return self._families


def families(
    counts: Mapping[tuple[MessageState, Priority], int],
    oldest_queued: timedelta | None,
    modems: Sequence[WorkerStatus],
    errors: Mapping[str, int],
    *,
    database_up: bool,
    database_free_bytes: int | None = None,
) -> list[Metric]:
    """The figures read at this scrape. Pure: takes the figures, returns the families."""
    messages = GaugeMetricFamily(
        "vigicommerce_outbox_messages", "Outbox messages by state and priority.", labels=["state", "priority"]
    )
    for state in MessageState:
        for priority in Priority:
            messages.add_metric([state.value, priority.name.lower()], counts.get((state, priority), 0))
    found: list[Metric] = [
        messages,
        GaugeMetricFamily(
            "vigicommerce_outbox_oldest_queued_age_seconds",
            "Age of the oldest message waiting to be sent (0 when none).",
            value=oldest_queued.total_seconds() if oldest_queued else 0.0,
        ),
    ]
    up = GaugeMetricFamily("vigicommerce_modem_up", "1 when the modem is open and usable.", labels=["modem"])
    signal = GaugeMetricFamily(
        "vigicommerce_modem_signal_rssi", "Signal quality 0-31 (AT+CSQ), absent when unknown.", labels=["modem"]
    )
    for m in modems:
        up.add_metric([m.modem_id], 1.0 if m.state == "open" else 0.0)
        if m.info is not None and m.info.signal_rssi is not None:
            signal.add_metric([m.modem_id], m.info.signal_rssi)
    found += [up, signal]
    for field, help_text in (
        ("sent", "Messages the modem accepted since start-up."),
        ("failed", "Messages that failed for good on this modem since start-up."),
        ("retried", "Submits retried on this modem since start-up."),
    ):
        counter = CounterMetricFamily(f"vigicommerce_modem_{field}", help_text, labels=["modem"])
        for m in modems:
            counter.add_metric([m.modem_id], getattr(m, field))
        found.append(counter)
    api = CounterMetricFamily("vigicommerce_api_errors", "API error answers by code since start-up.", labels=["code"])
    for code, n in sorted(errors.items()):
        api.add_metric([code], n)
    found += [
        api,
        GaugeMetricFamily(
            "vigicommerce_database_up", "1 when the database answered.", value=1.0 if database_up else 0.0
        ),
    ]
    if database_free_bytes is not None:  # SQLite only: a server's disk is watched on the server
        found.append(
            GaugeMetricFamily(
                "vigicommerce_database_free_bytes",
                "Free space on the SQLite database's disk.",
                value=float(database_free_bytes),
            )
        )
    return found


def render(scraped: list[Metric]) -> bytes:
    """The whole ``/metrics`` page: this scrape's figures, the live metrics, the process."""
    registry = CollectorRegistry(auto_describe=False)
    for collector in [_Families(scraped), *live.collectors(), *_RUNTIME]:
        registry.register(collector)
    return generate_latest(registry)
