"""Benchmark 4: the software's own cost per message on --fast modems (issue 3).

The dispatcher runs alone in a child process (``python -m bench.bench_cost --child ...``) against 4 fast
simulated modems (no radio delay, status reports at once) served by this process, so that the simulator's
CPU is not counted. The parent commits the 2,000 messages first (one fan-out transaction), starts the
child, waits until the simulator has recorded every submit, then sends SIGTERM; the child stops the
dispatcher (claims given back, modems closed) and exits. Figures:

- CPU s / 1,000 msgs (drain): user + system CPU of the child between ``Dispatcher.start`` and SIGTERM,
  measured by the child itself (``getrusage(RUSAGE_SELF)``): the engine's cost, start-up excluded;
- CPU s (whole process): the child's user + system CPU from ``os.wait4`` (imports and start-up included);
- peak RSS MB: the child's ``ru_maxrss`` from ``os.wait4`` (Linux reports kB).

Run: ``python -m bench cost`` or ``python bench/bench_cost.py [--messages 2000 --modems 4]``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

if not __package__:  # run as a file: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import dispatch_settings, guard, make_policy, modem, numbers, rig, table
from gateway.dispatch.dispatcher import Dispatcher
from gateway.dispatch.settings import ModemSettings
from gateway.dispatch.wakeup import Wakeup
from gateway.outbox.models import Priority
from gateway.outbox.states import MessageState
from gateway.outbox.store import Outbox
from gateway.storage.db import make_engine

ROOT = Path(__file__).resolve().parents[1]
TEXT = "Vigicommerce: mesure du cout logiciel par message."
HEADERS = (
    "messages",
    "modems",
    "drain s",
    "msgs/s",
    "CPU s drain",
    "CPU s / 1,000 msgs",
    "CPU s whole process",
    "peak RSS MB",
)


def child(db_url: str, modems: list[ModemSettings]) -> int:
    """The measured process: a Dispatcher until SIGTERM; prints its own CPU use as one JSON line."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda _signum, _frame: stop.set())
    engine = make_engine(db_url)
    wakeup = Wakeup()
    outbox = Outbox(engine, notify=wakeup.notify)
    dispatcher = Dispatcher(
        outbox, make_policy(modems), dispatch_settings(10, True), "exact", wakeup=wakeup, guard=guard()
    )
    before = resource.getrusage(resource.RUSAGE_SELF)
    dispatcher.start(modems)
    print(json.dumps({"ready": True}), flush=True)
    stop.wait()
    dispatcher.stop()
    after = resource.getrusage(resource.RUSAGE_SELF)
    engine.dispose()
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    print(json.dumps({"drain_cpu": cpu}), flush=True)
    return 0


def run(messages: int, modems: int) -> tuple[object, ...]:
    with (
        tempfile.TemporaryDirectory(prefix="vigicommerce-bench-") as tmp,
        rig(modems=modems, fast=True, start_dispatcher=False, workdir=Path(tmp), registered=messages) as bench,
    ):
        bench.enqueue_all(numbers(messages), TEXT, Priority.OPERATIONAL)
        config = json.dumps([[m.id, m.port.device] for m in bench.modems])
        stderr = (Path(tmp) / "child.err").open("w")
        proc = subprocess.Popen(
            [sys.executable, "-m", "bench.bench_cost", "--child", bench.db_url, config],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
        assert proc.stdout is not None
        try:
            json.loads(proc.stdout.readline())  # {"ready": true}
            start = time.perf_counter()
            last = bench.watch.wait_submits(messages, timeout=120 + messages / 10)
        finally:
            proc.send_signal(signal.SIGTERM)
        report = json.loads(proc.stdout.readline())
        proc.stdout.close()
        # wait4 gives this child's own rusage (RUSAGE_CHILDREN would add up every child ever reaped).
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        stderr.close()
        if proc.returncode != 0:
            raise RuntimeError(f"child failed ({proc.returncode}): {(Path(tmp) / 'child.err').read_text()}")
        done = sum(
            n for (state, _), n in bench.outbox.counts().items() if state in (MessageState.SENT, MessageState.DELIVERED)
        )
        if done != messages:
            raise RuntimeError(f"only {done} of {messages} rows sent: {bench.outbox.counts()}")
    drain = last - start
    cpu = float(report["drain_cpu"])
    return (
        messages,
        modems,
        drain,
        messages / drain,
        cpu,
        cpu * 1000 / messages,
        usage.ru_utime + usage.ru_stime,
        usage.ru_maxrss / 1024,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--modems", type=int, default=4)
    parser.add_argument("--quick", action="store_true", help="100 messages (smoke test)")
    parser.add_argument("--child", nargs=2, metavar=("DB_URL", "MODEMS_JSON"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        db_url, config = args.child
        return child(db_url, [modem(modem_id, device) for modem_id, device in json.loads(config)])
    messages = 100 if args.quick else args.messages
    row = run(messages, args.modems)
    print("Cost on --fast simulated modems: dispatcher alone in a child process, simulator in the parent")
    print(table(HEADERS, [row]), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
