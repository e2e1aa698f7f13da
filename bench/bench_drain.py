"""Benchmark 2: drain throughput against the modems' ceiling (issue 3). Target: >= 97 % of the ceiling.

2,000 one-segment messages over 4 simulated modems whose every AT+CMGS takes 0.25 s, no jitter, and
AT+CMMS no faster (cmms_delay = submit_delay): harsher than real modems, so that any idle time of the
gateway between two submits shows. The ceiling is the sum of the modems' rates (modems / submit_delay),
capped by the configured per-minute limits (high here). Time runs from just before the fan-out commit to
the moment the simulator records the last segment.

Run: ``python -m bench drain`` or ``python bench/bench_drain.py [--messages 2000 --modems 4 --delay 0.25]``.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

if not __package__:  # run as a file: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import HIGH_LIMIT, SubmitWatch, numbers, percentile, rig, table, wait_open
from gateway.outbox.models import Priority

TARGET_PERCENT = 97.0
TEXT = "Vigicommerce: test de debit, message d'un seul segment."  # GSM 7-bit, one segment
HEADERS = ("messages", "modems", "submit s", "batch", "total s", "msgs/s", "ceiling msgs/s", "% of ceiling")
GAP_HEADERS = ("modem idle between submits", "count", "p50 ms", "p90 ms", "p99 ms", "max ms", "sum s / modem")


def idle_gaps(watch: SubmitWatch) -> dict[str, list[float]]:
    """Per modem: seconds from a submit's result (segment recorded) to the gateway's next AT+CMGS on that
    modem: the time the radio sat idle because of the gateway (mark_sent, claims, AT+CMMS, reports)."""
    gaps: dict[str, list[float]] = {}
    cmgs_by_modem: dict[str, list[float]] = {}
    for stamp, modem in watch.cmgs:
        cmgs_by_modem.setdefault(modem, []).append(stamp)
    for modem, starts in cmgs_by_modem.items():
        ends = sorted(stamp for stamp, record in watch.submits if record["modem"] == modem)
        # The k-th submit ends before the (k+1)-th AT+CMGS on the same modem (one command at a time).
        gaps[modem] = [start - end for end, start in zip(ends, starts[1:], strict=False)]
    return gaps


def gap_rows(gaps: dict[str, list[float]]) -> list[tuple[object, ...]]:
    every = [g * 1000 for values in gaps.values() for g in values]
    if not every:
        return []
    per_modem = sum(sum(v) for v in gaps.values()) / len(gaps)
    return [
        (
            "all modems",
            len(every),
            percentile(every, 50),
            percentile(every, 90),
            percentile(every, 99),
            max(every),
            per_modem,
        )
    ]


def run(
    messages: int, modems: int, delay: float, batch_size: int, per_minute: int
) -> tuple[tuple[object, ...], str, list[tuple[object, ...]]]:
    """One drain; returns the table row, a line with the per-modem counts and the idle-gap rows."""
    with rig(
        registered=messages,
        modems=modems,
        fast=False,
        batch_size=batch_size,
        per_minute=per_minute,
        submit_delay=delay,
        submit_jitter=0.0,
        cmms_delay=delay,
    ) as bench:
        assert bench.dispatcher is not None
        wait_open(bench.dispatcher, timeout=30)
        start = bench.enqueue_all(numbers(messages), TEXT, Priority.OPERATIONAL)
        last = bench.watch.wait_submits(messages, timeout=messages * delay * 3 / modems + 60)
        spread = Counter(record["modem"] for _, record in bench.watch.submits)
        gaps = gap_rows(idle_gaps(bench.watch))
    elapsed = last - start
    rate = messages / elapsed
    ceiling = min(modems / delay, modems * per_minute / 60)
    row = (messages, modems, delay, batch_size, elapsed, rate, ceiling, 100 * rate / ceiling)
    return row, "per modem: " + ", ".join(f"{name} {count}" for name, count in sorted(spread.items())), gaps


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--modems", type=int, default=4)
    parser.add_argument("--delay", type=float, default=0.25, help="seconds per AT+CMGS (and per CMMS submit)")
    parser.add_argument("--batch-size", type=int, default=10)
    parser.add_argument("--per-minute", type=int, default=HIGH_LIMIT, help="per-modem limit (default: high)")
    parser.add_argument("--quick", action="store_true", help="40 messages, 0.02 s submits (smoke test)")
    args = parser.parse_args(argv)
    messages, delay = (40, 0.02) if args.quick else (args.messages, args.delay)
    row, spread, gaps = run(messages, args.modems, delay, args.batch_size, args.per_minute)
    verdict = "met" if float(str(row[-1])) >= TARGET_PERCENT else "MISSED"
    print("Drain: one-segment messages, no jitter, cmms_delay = submit delay, limits high")
    print(table(HEADERS, [row]))
    print(f"{spread}\ntarget >= {TARGET_PERCENT:.0f} % of ceiling: {verdict}")
    print(table(GAP_HEADERS, gaps), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
