"""Benchmark of an alert fan-out: N recipients (default 10,000) committed in one transaction.

Run: ``.venv/bin/python bench/bench_fanout.py [recipients]``. Fiction-block numbers only
(+33639980000..+33639989999). Prints a table; asserts nothing. Target: under 1 s for 10,000.
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from gateway.alerts.fanout import create_alert, preview_alert
from gateway.alerts.settings import TextSettings
from gateway.alerts.types import AlertRequest, Target
from gateway.outbox.models import OutboxMessage
from gateway.outbox.store import Outbox
from gateway.registry.models import Member, MemberPhone, MemberStatus
from gateway.registry.reference import load_reference, reference_index
from gateway.storage import migrate
from gateway.storage.db import make_engine, session_factory

DATA = Path(__file__).resolve().parents[1] / "data"
TODAY = date(2026, 11, 27)
FIRST = 33639980000


def populate(session: Session, members: int, *, now: datetime) -> None:
    """``members`` active members spread over every zone and category, one fiction number each (numbers
    repeat past 10,000: two shops sharing a number, which the fan-out must text once)."""
    index = reference_index(session)
    zones, categories = sorted(index.zones), sorted(index.categories)
    chunk = 5000
    for start in range(0, members, chunk):
        rows = [
            {
                "siren": f"{i:09d}",
                "name": f"Commerce {i}",
                "category_id": categories[i % len(categories)],
                "zone_id": zones[i % len(zones)],
                "street_id": None,
                "address": "",
                "contact": "",
                "registered_on": date(2025, 1, 1),
                "expires_on": date(2028, 1, 1),
                "status": MemberStatus.ACTIVE,
                "consent_at": now,
                "created_at": now,
                "updated_at": now,
                "withdrawn_at": None,
            }
            for i in range(start, min(start + chunk, members))
        ]
        ids = session.execute(insert(Member).returning(Member.id), rows).scalars().all()
        session.execute(
            insert(MemberPhone),
            [
                {"member_id": member_id, "e164": f"+{FIRST + (start + k) % 10_000}", "is_test": True, "position": 0}
                for k, member_id in enumerate(ids)
            ],
        )
    session.commit()


def main(recipients: int = 10_000) -> None:
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        migrate.upgrade(url)
        engine = make_engine(url)
        outbox = Outbox(engine)
        with session_factory(engine)() as session:
            load_reference(session, DATA)
            populate(session, recipients, now=now)
            request = AlertRequest(
                text_fr="Vol à main armée signalé, fermez vos portes",
                text_en="Armed robbery",
                sender="bench",
                target=Target(whole_territory=True),
            )
            results = []
            start = time.perf_counter()
            preview = preview_alert(session, request, today=TODAY, text_settings=TextSettings())
            results.append(("preview (targeting, no write)", preview.numbers, time.perf_counter() - start))
            session.rollback()
            start = time.perf_counter()
            result = create_alert(session, outbox, request, now=now, today=TODAY, text_settings=TextSettings())
            results.append(("fan-out committed", result.numbers, time.perf_counter() - start))
            rows = session.scalar(select(func.count()).select_from(OutboxMessage))
            session.rollback()
        engine.dispose()
    print(f"{'step':<32} {'rows':>8} {'seconds':>8} {'rows/s':>10}")
    for label, count, seconds in results:
        print(f"{label:<32} {count:>8} {seconds:>8.3f} {count / seconds:>10.0f}")
    print(f"outbox rows after the fan-out: {rows}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
