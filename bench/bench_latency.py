"""Benchmark 1: latency from commit to the first AT+CMGS (issue 3). Target: p50 <= 50 ms.

One fast simulated modem, the dispatcher in this process (the in-process wake-up: the outbox's after-commit
hook notifies the workers). Each trial commits one message with ``Outbox.enqueue_one`` and times, with
``perf_counter`` on both sides, the moment the simulator parses the gateway's ``AT+CMGS=<len>`` line.
Trials are sequential: the next one starts once the previous row is ``sent`` and the worker had a short gap
to go back to sleep on its mailbox (so each trial measures a wake-up, not a busy worker).

Run: ``python -m bench latency`` or ``python bench/bench_latency.py [--trials 200]``.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

if not __package__:  # run as a file: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import numbers, percentile, rig, table, wait_open
from gateway.outbox.states import MessageState
from gateway.outbox.store import Outbox

TARGET_P50_MS = 50.0
WARMUP = 3
HEADERS = ("interval", "trials", "p50 ms", "p90 ms", "p99 ms", "max ms")


def _wait_sent(outbox: Outbox, message_id: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        view = outbox.get(message_id)
        if view is not None and view.state in (MessageState.SENT, MessageState.DELIVERED):
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"message {message_id} not sent: {view}")
        time.sleep(0.002)  # observation only; the gateway is not waiting on this loop


def run(trials: int, gap: float) -> dict[str, list[float]]:
    """Intervals in ms, keyed by the row label of the table."""
    series: dict[str, list[float]] = {
        "enqueue_one() call -> AT+CMGS": [],
        "enqueue_one() returned -> AT+CMGS": [],
        "enqueue_one() duration (commit)": [],
        "enqueue_one() call -> segment on handset": [],
    }
    recipients = numbers(trials + WARMUP)
    with rig(modems=1, fast=True, registered=len(recipients)) as bench:
        assert bench.dispatcher is not None
        wait_open(bench.dispatcher, timeout=10)
        for index, recipient in enumerate(recipients):
            time.sleep(gap)  # spacing between trials, so that the worker is idle on its mailbox
            message = bench.message(recipient, f"Bench latence {index}")
            start = time.perf_counter()
            message_id = bench.outbox.enqueue_one(message, datetime.now(UTC))
            committed = time.perf_counter()
            cmgs = bench.watch.wait_cmgs(index + 1, timeout=10)
            submitted = bench.watch.wait_submits(index + 1, timeout=10)
            _wait_sent(bench.outbox, message_id)
            if index < WARMUP:
                continue
            values = (cmgs - start, cmgs - committed, committed - start, submitted - start)
            for key, value in zip(series, values, strict=True):
                series[key].append(value * 1000)
    return series


def report(series: dict[str, list[float]]) -> str:
    rows = [
        (label, len(v), percentile(v, 50), percentile(v, 90), percentile(v, 99), max(v)) for label, v in series.items()
    ]
    p50 = percentile(next(iter(series.values())), 50)
    verdict = "met" if p50 <= TARGET_P50_MS else "MISSED"
    return (
        "Latency commit -> first AT+CMGS (1 fast simulated modem, in-process wake-up)\n"
        + table(HEADERS, rows)
        + f"\ntarget p50 <= {TARGET_P50_MS:.0f} ms: {verdict} (p50 {p50:.2f} ms); clock: perf_counter in one"
        " process, resolution < 1 us"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--gap", type=float, default=0.03, help="seconds between trials (worker back to sleep)")
    parser.add_argument("--quick", action="store_true", help="10 trials (smoke test)")
    args = parser.parse_args(argv)
    trials = 10 if args.quick else args.trials
    print(report(run(trials, args.gap)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
