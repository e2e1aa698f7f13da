"""The gateway's live Prometheus metrics: what happened since the process started, as histograms and counters.

One module holds every metric object, so their names are in one place (documented in docs/metrics.md). The
dispatch worker calls :func:`submit_done` and :func:`first_submit`; the API feeds :func:`alert_completed` from
the outbox when it is scraped. Figures read from the database at scrape time (queue sizes, modem states) are
built by ``gateway.api.metrics``. The objects are registered in no global registry: each scrape gathers them
with that scrape's figures (``collectors()``), so tests that build several daemons in one process stay apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from prometheus_client import Counter, Histogram, disable_created_metrics
from prometheus_client.registry import Collector

from gateway.dispatch.failures import Failure
from gateway.outbox.models import Priority

# The *_created series (one per label set, the time it appeared) only double the page's size for our use.
disable_created_metrics()

SUBMIT_SECONDS = Histogram(
    "vigicommerce_submit_seconds",
    "Time one modem took to submit one message (AT+CMGS to its answer), by modem and outcome.",
    ["modem", "outcome"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 3, 4, 5, 7.5, 10, 15, 30, 60, 120),
    registry=None,
)
COMMIT_TO_FIRST_SUBMIT = Histogram(
    "vigicommerce_commit_to_first_submit_seconds",
    "From a message's commit to the start of its first submit, by priority (reminders wait for daytime).",
    ["priority"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 14400, 43200),
    registry=None,
)
ALERT_COMPLETION = Histogram(
    "vigicommerce_alert_completion_seconds",
    "From an alert's drop (commit) to the last of its SMS accepted by a modem.",
    buckets=(1, 5, 10, 30, 60, 120, 300, 600, 900, 1200, 1800, 3600, 7200),
    registry=None,
)
SUBMITS = Counter(
    "vigicommerce_submits",
    "Submits by modem and outcome: sent, or what became of the message (gateway.dispatch.outcomes.Action).",
    ["modem", "outcome"],
    registry=None,
)
SUBMIT_ERRORS = Counter(
    "vigicommerce_submit_errors",
    "Failed submits by modem and error class (gateway.dispatch.failures.Failure).",
    ["modem", "error"],
    registry=None,
)

# "sent", or the Action values of gateway.dispatch.outcomes: what became of a message whose submit failed.
OUTCOMES = ("sent", "fail", "retry", "release", "resend", "hold")


def submit_done(modem: str, seconds: float, outcome: str, failure: Failure | None = None) -> None:
    """One submit finished: its duration, its outcome (one of ``OUTCOMES``) and, if it failed, its class."""
    SUBMIT_SECONDS.labels(modem, outcome).observe(seconds)
    SUBMITS.labels(modem, outcome).inc()
    if failure is not None:
        SUBMIT_ERRORS.labels(modem, failure.value).inc()


def first_submit(priority: Priority, waited: timedelta) -> None:
    """A message's first submit starts ``waited`` after its commit."""
    COMMIT_TO_FIRST_SUBMIT.labels(priority.name.lower()).observe(max(waited.total_seconds(), 0.0))


# Alerts finished before this process started are not this process's to count (a restart would count them twice).
STARTED = datetime.now(UTC)
_counted: set[int] = set()


def alerts_completed(found: Mapping[int, timedelta]) -> None:
    """Observe, once each, the alerts the outbox says are complete (id → drop to last SMS accepted).

    Fed at each scrape with the alerts completed since ``STARTED`` within the outbox's window; an id that left
    the window cannot come back, so only the ids still in it are remembered.
    """
    global _counted  # noqa: PLW0603 - process-wide, like the metric it feeds
    for alert_id, took in found.items():
        if alert_id not in _counted:
            ALERT_COMPLETION.observe(max(took.total_seconds(), 0.0))
    _counted = set(found)


def collectors() -> list[Collector]:
    """The live metrics, to gather in a scrape's registry."""
    return [SUBMIT_SECONDS, COMMIT_TO_FIRST_SUBMIT, ALERT_COMPLETION, SUBMITS, SUBMIT_ERRORS]
