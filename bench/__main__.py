"""Run the benchmarks: ``python -m bench`` runs every ``bench/bench_*.py`` in turn, ``python -m bench latency``
runs one (further arguments go to it: ``python -m bench drain --messages 400``).

Each benchmark runs in its own interpreter, so that one's threads, memory and CPU figures never leak into
the next one's.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def available() -> list[str]:
    """Benchmark names, without the ``bench_`` prefix: ``latency``, ``drain``, ..."""
    return sorted(p.stem.removeprefix("bench_") for p in HERE.glob("bench_*.py"))


def run(name: str, args: list[str]) -> int:
    print(f"== bench {name} {' '.join(args)}".rstrip(), flush=True)
    start = time.monotonic()
    status = subprocess.call([sys.executable, "-m", f"bench.bench_{name}", *args], cwd=HERE.parent)
    print(f"== {name}: exit {status}, {time.monotonic() - start:.0f} s wall\n", flush=True)
    return status


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    names = available()
    if argv and argv[0] in ("-h", "--help"):
        print(__doc__.strip() + "\n\nbenchmarks: " + ", ".join(names))
        return 0
    if argv:
        name = argv[0].replace("-", "_").removeprefix("bench_")
        if name not in names:
            print(f"unknown benchmark {argv[0]!r}; one of: {', '.join(names)}", file=sys.stderr)
            return 2
        return run(name, argv[1:])
    failures = [name for name in names if run(name, []) != 0]
    if failures:
        print(f"failed: {', '.join(failures)}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
