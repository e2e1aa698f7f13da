"""Benchmark of the members CSV import: 10,000 fictitious rows (fiction-block numbers only).

Run: ``.venv/bin/python bench/bench_import.py [rows]``. Prints a table; asserts nothing.
"""

from __future__ import annotations

import io
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.registry.csv_io import import_members
from gateway.registry.exporting import export_members
from gateway.registry.fiction import write_members_csv
from gateway.registry.models import Street
from gateway.registry.reference import load_reference, reference_index
from gateway.storage import migrate
from gateway.storage.db import make_engine

DATA = Path(__file__).resolve().parents[1] / "data"
TODAY = date(2026, 11, 27)


def main(rows: int = 10_000) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        migrate.upgrade(url)
        engine = make_engine(url)
        source = Path(tmp) / "members.csv"
        with Session(engine) as session:
            load_reference(session, DATA)
            session.commit()
            index = reference_index(session)
            streets: dict[str, list[str]] = {}
            for street in session.scalars(select(Street)):
                streets.setdefault(street.zone_id, []).append(street.name)
            write_members_csv(
                source,
                rows,
                zones=sorted(index.zones),
                categories=sorted(index.categories),
                streets=streets,
                today=TODAY,
                seed=1,
            )
            results = []
            for label, dry_run in [
                ("dry run (empty DB)", True),
                ("import, all created", False),
                ("re-import, unchanged", False),
            ]:
                start = time.perf_counter()
                report = import_members(
                    session,
                    source.read_bytes(),
                    source=source.name,
                    today=TODAY,
                    now=datetime.now(UTC),
                    actor="bench",
                    dry_run=dry_run,
                )
                elapsed = time.perf_counter() - start
                assert report.ok, report.errors[:3]
                outcome = f"{report.created} new / {report.updated} upd / {report.unchanged} same"
                results.append((label, report.total, elapsed, outcome))
            start = time.perf_counter()
            count = export_members(session, io.BytesIO(), today=TODAY)
            results.append(("export", count, time.perf_counter() - start, ""))
        engine.dispose()
    print(f"{'operation':<24} {'rows':>8} {'seconds':>9} {'rows/s':>10}  outcome")
    for label, total, elapsed, outcome in results:
        print(f"{label:<24} {total:>8} {elapsed:>9.3f} {total / elapsed:>10.0f}  {outcome}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
