"""Benchmark: draining with a sick modem, and a modem plugged back in (issue 9).

Drain: ``--messages`` one-segment messages (registered members, one actual alert: the check before each submit
does its real reads) over simulated modems whose every AT+CMGS takes ``--delay`` s, no jitter, production
dispatch settings (retry back-off 30 s, reopen back-off 1 s doubling to 60 s, a modem out after the same refusal
on 3 messages in a row). Time runs from just before the fan-out commit to the moment the last recipient's
handset has its message. Scenarios:

* ``3 healthy``: the reference;
* ``4, sim_pin on 1``: once a tenth has gone, one modem reboots with its SIM asking for the PIN (configured:
  1234), so it answers ERROR to AT+CMGS until reinitialised;
* ``4, +CMS 42 on 1``: one modem's every submit is refused with ``+CMS ERROR: 42`` (congestion) from the start;
* ``4, hang on 1``: once a tenth has gone, one modem stops answering anything.

Target: each sick run within 1.4x the 3 healthy modems' drain time; 0 dead, 0 never received, no message charged
more than one attempt beyond the submits the network saw.

Device back: one modem unplugged for ``--outage`` s (40) with an alert waiting, then plugged back: seconds from
the replug to the alert's submit recorded by the simulator. Target <= 5 s.

Run: ``python -m bench faults`` or ``python bench/bench_faults.py [--messages 600 --delay 0.25 --outage 40]``.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

if not __package__:  # run as a file: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import Rig, numbers, rig, table, wait_open
from gateway.outbox.models import Priority
from gateway.outbox.states import MessageState

TEXT = "Vigicommerce: test de vidange avec un modem malade, un seul segment."
TARGET_RATIO = 1.4
TARGET_BACK_SECONDS = 5.0
HEADERS = (
    "scenario",
    "modems",
    "messages",
    "drain s",
    "x 3 healthy",
    "dead",
    "never received",
    "max attempts - submits",
    "refused submits",
)
FAULTS: dict[str, tuple[int, str | None]] = {
    "3 healthy": (3, None),
    "4, sim_pin on 1": (4, "sim_pin"),
    "4, +CMS 42 on 1": (4, "cms_error"),
    "4, hang on 1": (4, "hang"),
}


def delivered(bench: Rig) -> set[str]:
    return {str(record["destination"]) for _, record in bench.watch.submits}


def drain(scenario: str, messages: int, delay: float) -> tuple[object, ...]:
    modems, fault = FAULTS[scenario]
    recipients = numbers(messages)
    with rig(
        modems=modems,
        fast=False,
        registered=messages,
        pin="1234",
        submit_delay=delay,
        submit_jitter=0.0,
        cmms_delay=delay,
        report_delay=1.0,
    ) as bench:
        assert bench.dispatcher is not None
        wait_open(bench.dispatcher, timeout=60)
        client = bench.sim.client
        if fault == "cms_error":
            client.inject_fault(0, "cms_error", code=42)
        start = bench.enqueue_all(recipients, TEXT, Priority.OPERATIONAL)
        if fault in ("sim_pin", "hang"):
            bench.watch.wait(lambda: len(bench.watch.submits) >= messages // 10, timeout=600)
            client.inject_fault(0, fault)
        bench.watch.wait(lambda: len(delivered(bench)) >= messages, timeout=messages * delay * 4 + 300)
        last = max(stamp for stamp, _ in bench.watch.submits)
        seen = Counter(str(r.get("destination")) for r in bench.sim.events.records("submit"))
        refused = sum(1 for r in bench.sim.events.records("submit") if r.get("result") != "ok")
        views = [bench.outbox.get(i) for i in range(1, messages + 1)]
    dead = sum(1 for v in views if v is not None and v.state is MessageState.DEAD)
    missing = messages - len({r for r in recipients if seen[r]})
    over = max((v.attempts - seen[v.recipient] for v in views if v is not None), default=0)
    return (scenario, modems, messages, last - start, 0.0, dead, missing, over, refused)


def device_back(outage: float) -> float:
    """Seconds from the replug to the waiting alert's submit, after ``outage`` seconds unplugged."""
    with rig(modems=1, fast=True, registered=1) as bench:
        assert bench.dispatcher is not None
        wait_open(bench.dispatcher, timeout=30)
        bench.sim.client.unplug(0)
        deadline = time.monotonic() + 30
        while bench.dispatcher.statuses()[0].state == "open":
            if time.monotonic() > deadline:
                raise TimeoutError("the unplug was never noticed")
            time.sleep(0.01)  # observation only
        bench.enqueue_all(numbers(1), "ALERTE : vol signalé", Priority.ALERT)
        time.sleep(outage)  # the outage itself
        replugged = time.perf_counter()
        bench.sim.client.replug(0)
        sent = bench.watch.wait_submits(1, timeout=120)
    return sent - replugged


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=600)
    parser.add_argument("--delay", type=float, default=0.25, help="seconds per AT+CMGS (and per CMMS submit)")
    parser.add_argument("--outage", type=float, default=40.0, help="seconds the modem stays unplugged")
    parser.add_argument("--only", choices=[*FAULTS, "device back"], help="one scenario")
    parser.add_argument("--quick", action="store_true", help="60 messages, 0.02 s submits, 2 s outage (smoke test)")
    args = parser.parse_args(argv)
    messages, delay, outage = (60, 0.02, 2.0) if args.quick else (args.messages, args.delay, args.outage)
    rows = []
    for scenario in FAULTS:
        if args.only in (None, scenario):
            rows.append(list(drain(scenario, messages, delay)))
            print(f"  {scenario}: {rows[-1][3]:.1f} s", flush=True)
    healthy = next((float(str(r[3])) for r in rows if r[0] == "3 healthy"), None)
    for row in rows:
        row[4] = float(str(row[3])) / healthy if healthy else "-"
    if rows:
        print(f"Drain with a sick modem: {messages} one-segment messages, {delay} s per submit, production settings")
        print(table(HEADERS, rows))
        worst = max((float(str(r[4])) for r in rows if healthy and r[0] != "3 healthy"), default=0.0)
        clean = all(r[5] == 0 and r[6] == 0 and int(str(r[7])) <= 1 for r in rows)
        verdict = "met" if worst <= TARGET_RATIO and clean else "MISSED"
        print(f"target: sick runs <= {TARGET_RATIO}x the 3 healthy modems, 0 dead, 0 never received: {verdict}")
    if args.only in (None, "device back"):
        back = device_back(outage)
        verdict = "met" if back <= TARGET_BACK_SECONDS else "MISSED"
        print(table(("device back", "outage s", "replug -> submit s"), [("1 modem", outage, back)]))
        print(f"target <= {TARGET_BACK_SECONDS:.0f} s: {verdict}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
