"""Each SMS-engine benchmark runs end to end at a tiny size and prints its table (no timing assertions:
the figures belong to docs/benchmarks.md, not to a test that a busy machine could fail)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bench import __main__ as runner
from bench import bench_alert_timing, bench_backup, bench_cost, bench_drain, bench_faults, bench_latency
from bench.common import numbers, percentile, table

pytestmark = pytest.mark.slow  # each runs a benchmark in its quick mode

Main = Callable[[list[str] | None], int]


@pytest.mark.parametrize(
    ("main", "columns", "rows"),
    [
        (bench_latency.main, bench_latency.HEADERS, 4),
        (bench_drain.main, bench_drain.HEADERS, 1),
        (bench_alert_timing.main, bench_alert_timing.HEADERS, 4),
        (bench_cost.main, bench_cost.HEADERS, 1),
        (bench_faults.main, bench_faults.HEADERS, 4),
    ],
    ids=["latency", "drain", "alert_timing", "cost", "faults"],
)
def test_benchmark_prints_its_table(
    main: Main, columns: tuple[str, ...], rows: int, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--quick"]) == 0
    lines = capsys.readouterr().out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith(columns[0]) and columns[-1] in line)
    positions = [lines[header].index(c) for c in columns]
    assert positions == sorted(positions), "every expected column, in order"
    assert set(lines[header + 1]) <= {"-", " "}
    body = lines[header + 2 : header + 2 + rows]
    assert len(body) == rows
    assert all(len(line.split()) >= len(columns) - 1 for line in body), body


def test_alert_reaches_every_handset_in_quick_mode(capsys: pytest.CaptureFixture[str]) -> None:
    bench_alert_timing.main(["--quick"])
    out = capsys.readouterr().out
    assert out.count("12/12") == 4, out


def test_backup_benchmark_prints_its_tables(capsys: pytest.CaptureFixture[str]) -> None:
    bench_backup.main(members=300, outbox_rows=2000)
    out = capsys.readouterr().out
    for line in ("backup while a writer commits", "restore into a fresh directory", "writer during the backup"):
        assert line in out, out


def test_runner_knows_the_benchmarks_and_refuses_an_unknown_one(capsys: pytest.CaptureFixture[str]) -> None:
    assert {"latency", "drain", "alert_timing", "cost", "faults", "backup"} <= set(runner.available())
    assert runner.main(["no-such-bench"]) == 2
    assert "one of:" in capsys.readouterr().err


def test_helpers() -> None:
    assert numbers(2, offset=5) == ["+33639980005", "+33639980006"]
    with pytest.raises(ValueError, match="fiction block"):
        numbers(2, offset=9_999)
    assert percentile([5.0, 1.0, 3.0, 2.0, 4.0], 50) == 3.0
    assert percentile([1.0, 2.0], 99) == 2.0
    rendered = table(("name", "n"), [("a", 1), ("bb", 22)]).splitlines()
    assert rendered == ["name   n", "----  --", "a      1", "bb    22"]
