"""``vigicommerce-sim`` / ``python -m simulator``: run virtual modems until SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from types import FrameType

from simulator.app import Simulator
from simulator.config import OUTCOMES, ConfigError, load


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vigicommerce-sim",
        description="Virtual USB GSM modems on pseudo-terminals (AT commands of 3GPP TS 27.007/27.005).",
    )
    parser.add_argument("--config", help="TOML file; command-line options override it")
    parser.add_argument("--modems", type=int, help="number of modems (default 4)")
    parser.add_argument("--fast", action="store_true", default=None, help="no submit or report delays")
    parser.add_argument("--state-file", help="JSON file written with device paths and control URL")
    parser.add_argument("--state-dir", help="directory of the stable modemN symlinks")
    parser.add_argument("--control-host", help="control interface address (default 127.0.0.1)")
    parser.add_argument("--control-port", type=int, help="control interface port (0 = any free port)")
    parser.add_argument("--submit-log", help="JSONL file: one line per submit, status report, incoming SMS")
    parser.add_argument("--submit-delay", type=float, help="seconds per AT+CMGS (default 3.0)")
    parser.add_argument("--report-delay", type=float, help="seconds from submit to status report")
    parser.add_argument("--report-outcome", choices=OUTCOMES, help="status report outcome")
    parser.add_argument("--seed", type=int, help="seed of the delay jitter")
    parser.add_argument("--log-level", help="DEBUG shows every AT line")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        config = load(
            args.config,
            modems=args.modems,
            fast=args.fast,
            state_file=args.state_file,
            state_dir=args.state_dir,
            control_host=args.control_host,
            control_port=args.control_port,
            submit_log=args.submit_log,
            submit_delay=args.submit_delay,
            report_delay=args.report_delay,
            report_outcome=args.report_outcome,
            seed=args.seed,
            log_level=args.log_level,
        )
    except ConfigError as exc:
        print(f"vigicommerce-sim: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(level=config.log_level.upper(), format="%(asctime)s %(name)s %(levelname)s %(message)s")
    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()  # only a flag: the main thread does the shutdown

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    with Simulator(config) as sim:
        for handle in sim.modems:
            print(f"{handle.name}\t{handle.device_path}\t{handle.pts_path}", flush=True)
        print(f"control\t{sim.control_url}", flush=True)
        while not stop.wait(1.0):
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
