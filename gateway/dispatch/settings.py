"""What the dispatcher reads: each modem (how to reach it, its operator's limits, its SIM's budget) and the
sending parameters. Built by the daemon from the ``[[modems]]`` and ``[dispatch]`` sections of the configuration.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from drivers.settings import PortSettings
from gateway.dispatch.ratelimit import ModemLimits
from gateway.outbox.models import Priority

# What a modem may send when its operator's limits are not configured: cautious, for a prepaid SIM.
DEFAULT_PER_MINUTE, DEFAULT_PER_HOUR, DEFAULT_PER_DAY = 20, 600, 5000
DEFAULT_LIMITS = ModemLimits(DEFAULT_PER_MINUTE, DEFAULT_PER_HOUR, DEFAULT_PER_DAY)


@dataclass(frozen=True, slots=True)
class SimBudget:
    """A SIM's hidden caps ("unlimited" plans): messages per local day, distinct recipients per local month;
    None means unlimited at that scale."""

    messages_per_day: int | None = None
    recipients_per_month: int | None = None


@dataclass(frozen=True, slots=True)
class ModemSettings:
    """One modem: ``port`` says how to open it (a change reopens it), ``limits`` and ``budget`` how much it may
    send (a change applies to the running worker without reopening); a modem not ``enabled`` is not opened."""

    id: str
    port: PortSettings
    limits: ModemLimits = DEFAULT_LIMITS
    budget: SimBudget = field(default_factory=SimBudget)
    enabled: bool = True


@dataclass(frozen=True, slots=True)
class DispatchSettings:
    """Sending parameters. Durations in seconds unless the name says otherwise.

    ``batch_size``: most messages a worker claims at once; ``use_cmms``: keep the radio link up between the
    messages of a batch (AT+CMMS); ``stale_claim_seconds``: a claim older than this goes back to the queue;
    ``max_attempts``, ``retry_*``: retries of a failed message; ``late_result_window_seconds``: how long a
    message whose submit timed out is held before it may be resent; ``report_match_window_hours``: how old a sent
    message a delivery report may still match; ``overall_per_minute``: a cap over all modems (None: none);
    ``reopen_*``: back-off to reopen a failed modem (also how long a sick modem stays out, doubling while it
    keeps failing); ``resend_ambiguous``: priorities sent again at once on another modem when a submit's outcome
    is unknown (the others are held ``late_result_window_seconds``); ``sick_after_same_failures``: the same refusal
    on this many messages in a row (while other modems send) takes a modem out of service;
    ``device_poll_seconds``: how often an out-of-service modem's device path is looked at;
    ``budget_warn_fraction``: a SIM budget used beyond this fraction is shown as a warning;
    ``stop_timeout_seconds``: how long a stop waits for the AT commands in flight; ``wake_socket``: the Unix
    socket commands in other processes poke (None: beside the database)."""

    batch_size: int = 10
    use_cmms: bool = True
    stale_claim_seconds: float = 300.0
    max_attempts: int = 8
    retry_initial_seconds: float = 30.0
    retry_max_seconds: float = 3600.0
    late_result_window_seconds: float = 600.0
    report_match_window_hours: float = 72.0
    overall_per_minute: int | None = None
    reopen_initial_seconds: float = 1.0
    reopen_max_seconds: float = 60.0
    resend_ambiguous: frozenset[Priority] = frozenset({Priority.ALERT})
    sick_after_same_failures: int = 3
    device_poll_seconds: float = 0.25
    budget_warn_fraction: float = 0.8
    stop_timeout_seconds: float = 30.0
    wake_socket: str | None = None
