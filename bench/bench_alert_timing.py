"""Benchmark 3: a bilingual alert at the simulator's realistic timing, beside the physical floor (issue 3).

A French + English alert of about 250 characters (with ’ « » œ, which force UCS-2 when sent exactly) to
300 numbers over 4 modems, from just before the fan-out commit to the moment the last handset has the
whole message, for: exact text (UCS-2) and GSM-folded text (7-bit), each with and without AT+CMMS.

The realistic timing (submit 3.0 s ± 0.6, 1.5 s per submit while AT+CMMS keeps the link open, reports
after 5 s) makes one run last 4 to 15 minutes, so by default every delay of the simulator is divided by
``--scale`` (20: submit 0.15 s ± 0.03, CMMS 0.075 s) and the table shows both the measured seconds and
those seconds multiplied back by the scale. The scaled-back figure is pessimistic: the gateway's own time
per message is not divided by the scale but is multiplied back with the rest. ``--scale 1`` runs the real
thing.

Floor: numbers x segments x seconds per submit / modems, at 3.0 s per submit (the issue's definition) and
at the mode's own rate (1.5 s per submit with CMMS).

Run: ``python -m bench alert_timing`` or ``python bench/bench_alert_timing.py [--scale 20 --numbers 300]``.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

if not __package__:  # run as a file: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import REAL_CMMS, REAL_SUBMIT, TextPolicy, numbers, realistic_timing, rig, table, wait_open
from drivers.text import analyse
from gateway.alerts.compose import join_languages
from gateway.alerts.settings import TextSettings
from gateway.outbox.models import Priority

TEXT_FR = (
    "Alerte gendarmerie : vol à l’arraché rue de Hollande, Marigot. Deux individus en scooter, casques noirs, "
    "« très mobiles ». Fermez vos caisses, prévenez vos voisins. Cœur de ville."
)
TEXT_EN = "Alert: bag snatching, Rue de Hollande, Marigot. Two men on a scooter. Call 17."
TEXT = join_languages(TEXT_FR, TEXT_EN, TextSettings().template)
HEADERS = (
    "text policy",
    "cmms",
    "encoding",
    "segs",
    "measured s",
    "x scale = real s",
    "floor s @3.0",
    "floor s @mode",
    "real / floor@mode",
    "handsets",
    "msgs per modem",
)
RUNS: tuple[tuple[TextPolicy, bool], ...] = (
    ("exact", False),
    ("exact", True),
    ("gsm-folded", False),
    ("gsm-folded", True),
)


def run_one(policy: TextPolicy, cmms: bool, count: int, modems: int, scale: float) -> tuple[object, ...]:
    info = analyse(TEXT, policy)
    segments_total = count * info.segments
    floor_3 = segments_total * REAL_SUBMIT / modems
    floor_mode = segments_total * (REAL_CMMS if cmms else REAL_SUBMIT) / modems
    recipients = numbers(count)
    timing = realistic_timing(scale)
    with rig(
        modems=modems, fast=False, use_cmms=cmms, text_policy=policy, registered=len(recipients), **timing
    ) as bench:
        assert bench.dispatcher is not None
        wait_open(bench.dispatcher, timeout=60)
        start = bench.enqueue_all(recipients, TEXT, Priority.ALERT)
        last = bench.watch.wait_submits(segments_total, timeout=3 * floor_3 / scale + 120)
        received = {sms.recipient for sms in bench.sim.handsets.received() if sms.text == info.text}
        # Uneven shares (whole batches claimed near the end) make a tail that the floor does not have.
        per_modem = Counter(record["modem"] for _, record in bench.watch.submits)
        shares = sorted(per_modem[h.name] // info.segments for h in bench.sim.modems)
    measured = last - start
    return (
        policy,
        "on" if cmms else "off",
        info.encoding,
        info.segments,
        measured,
        measured * scale,
        floor_3,
        floor_mode,
        f"{measured * scale / floor_mode:.3f}",
        f"{len(received & set(recipients))}/{count}",
        f"{shares[0]}-{shares[-1]}",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--numbers", type=int, default=300)
    parser.add_argument("--modems", type=int, default=4)
    parser.add_argument("--scale", type=float, default=20.0, help="divide every simulator delay by this (1 = real)")
    parser.add_argument(
        "--runs",
        default="exact-off,exact-on,gsm-folded-off,gsm-folded-on",
        help="which of <policy>-<cmms on|off> to run, comma-separated",
    )
    parser.add_argument("--quick", action="store_true", help="12 numbers at scale 100 (smoke test)")
    args = parser.parse_args(argv)
    wanted = set(args.runs.split(","))
    count, scale = (12, 100.0) if args.quick else (args.numbers, args.scale)
    delays = realistic_timing(scale)
    runs = [(policy, cmms) for policy, cmms in RUNS if f"{policy}-{'on' if cmms else 'off'}" in wanted]
    rows = [run_one(policy, cmms, count, args.modems, scale) for policy, cmms in runs]
    print(
        f"Alert timing: {len(TEXT)}-character fr+en alert to {count} numbers over {args.modems} modems, "
        f"commit -> last handset\nsimulator delays divided by {scale:g}: submit {delays['submit_delay']:.3f} s "
        f"± {delays['submit_jitter']:.3f}, CMMS {delays['cmms_delay']:.3f} s; 'real s' = measured x {scale:g}; "
        "floors in real seconds"
    )
    print(table(HEADERS, rows), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
